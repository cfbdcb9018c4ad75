//! Telethon session files of every schema version 1 to 8, built with the columns each version
//! had (spec/conversions.md §2.4, from Telethon 1.45's `_upgrade_database`). Real Telethon
//! 1.45 opens each and upgrades it (`tests/convert_interop.rs` checks that it reads the same
//! values as the crate).
#![allow(dead_code)]

use std::path::Path;

/// The key every built file holds: bytes 255 down to 0.
pub fn key() -> Vec<u8> {
    (0..=255u8).rev().collect()
}

/// An entity row: `(id, hash, username, phone, name, date)`.
pub type Row = (
    i64,
    i64,
    Option<&'static str>,
    Option<i64>,
    Option<&'static str>,
    i64,
);

/// The entities; `date` is written from version 7.
pub const ENTITIES: [Row; 3] = [
    (
        -1_001_234_567_890,
        77,
        Some("news"),
        None,
        Some("News"),
        1_700_000_001,
    ),
    (-42, 0, None, None, Some("Group"), 1_700_000_002),
    (
        555,
        -9,
        Some("bob"),
        Some(15_550_001),
        Some("Bob"),
        1_700_000_003,
    ),
];

/// Builds a Telethon file of `version` at `path`: dc 4, server 149.154.167.91:443, the key,
/// a takeout id from version 5 on, and the entities.
pub fn build(path: &Path, version: i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let takeout = if version >= 5 {
        ", takeout_id integer"
    } else {
        ""
    };
    let tmp = if version >= 8 {
        ", tmp_auth_key blob"
    } else {
        ""
    };
    let date = if version >= 7 { ", date integer" } else { "" };
    conn.execute_batch(&format!(
        "create table version (version integer primary key);
         create table sessions (dc_id integer primary key, server_address text, port integer, auth_key blob{takeout}{tmp});
         create table entities (id integer primary key, hash integer not null, username text, phone integer, name text{date});
         create table sent_files (md5_digest blob, file_size integer, type integer, id integer, hash integer, primary key(md5_digest, file_size, type));"
    ))
    .unwrap();
    if version >= 4 {
        conn.execute_batch("create table update_state (id integer primary key, pts integer, qts integer, date integer, seq integer);")
            .unwrap();
    }
    conn.execute("insert into version values (?1)", [version])
        .unwrap();
    let key = key();
    match version {
        ..=4 => conn.execute(
            "insert into sessions values (4, '149.154.167.91', 443, ?1)",
            [&key],
        ),
        5..=7 => conn.execute(
            "insert into sessions values (4, '149.154.167.91', 443, ?1, 99)",
            [&key],
        ),
        _ => conn.execute(
            "insert into sessions values (4, '149.154.167.91', 443, ?1, 99, x'')",
            [&key],
        ),
    }
    .unwrap();
    for (id, hash, username, phone, name, d) in ENTITIES {
        if version >= 7 {
            conn.execute(
                "insert into entities values (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![id, hash, username, phone, name, d],
            )
        } else {
            conn.execute(
                "insert into entities values (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![id, hash, username, phone, name],
            )
        }
        .unwrap();
    }
}
