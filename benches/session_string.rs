//! Session-string codec benchmarks, ids `session_string/{operation}` (spec/session-string.md).
//! Every timed closure checks its result.
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use pyrosession::storage::Storage;
use pyrosession::string::{decode_compat, decode_strict, encode, Format};

fn example() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/examples/v2.txt");
    std::fs::read_to_string(path)
        .expect("spec/examples/v2.txt")
        .trim_end()
        .to_owned()
}

fn codec(c: &mut Criterion) {
    let canonical = example();
    let lenient = format!("  {}\n", canonical.replace('-', "+"));
    let session = decode_strict(&canonical).expect("canonical").session;

    let mut g = c.benchmark_group("session_string");
    g.bench_function("encode", |b| {
        b.iter(|| {
            let s = encode(black_box(&session), Format::V2).expect("encodes");
            assert_eq!(s.len(), 362);
            s
        });
    });
    g.bench_function("decode_strict", |b| {
        b.iter(|| {
            let d = decode_strict(black_box(&canonical)).expect("canonical");
            assert_eq!(d.session.user_id, 123_456_789);
            d
        });
    });
    g.bench_function("decode_compat", |b| {
        b.iter(|| {
            let d = decode_compat(black_box(&canonical)).expect("canonical");
            assert!(d.warnings.is_empty());
            d
        });
    });
    g.bench_function("decode_compat_noncanonical", |b| {
        b.iter(|| {
            let d = decode_compat(black_box(&lenient)).expect("accepted by Pyrogram");
            assert_eq!(d.warnings.len(), 2);
            d
        });
    });
    g.finish();
}

/// Pyrogram's two storage-level operations on strings: `export_session_string` from a memory
/// storage and opening a memory storage from a string (`import_session_string`).
fn storage(c: &mut Criterion) {
    let canonical = example();
    let mut g = c.benchmark_group("memory");
    let storage = Storage::from_session_string(&canonical).expect("imports");
    g.bench_function("export_session_string", |b| {
        b.iter(|| {
            let s = storage.export_session_string().expect("exports");
            assert_eq!(s.len(), 362);
            s
        });
    });
    g.bench_function("import_session_string", |b| {
        b.iter(|| {
            let s = Storage::from_session_string(black_box(&canonical)).expect("imports");
            assert_eq!(s.session().expect("fields").user_id, Some(123_456_789));
            s
        });
    });
    g.finish();

    // The floor: what SQLite itself needs for the same work through bare rusqlite, done the
    // cheapest way known: open a memory database, copy a template holding Pyrogram's schema
    // into it page by page (as the crate does; running the schema's statements instead costs
    // several times more), write the session's fields, read them back with the crate's query, and close.
    // Its cost is mostly SQLite parsing the schema the new connection has to know.
    let session = decode_strict(&canonical).expect("canonical").session;
    let template = rusqlite::Connection::open_in_memory().expect("memory");
    template
        .execute_batch(pyrosession::storage::SCHEMA_V3)
        .expect("schema");
    template
        .execute_batch(
            "INSERT INTO version VALUES (3); INSERT INTO sessions VALUES (2, NULL, NULL, NULL, 0, NULL, NULL);",
        )
        .expect("rows");
    let mut g = c.benchmark_group("floor");
    g.bench_function("memory/import_session_string", |b| {
        b.iter(|| {
            let mut conn = rusqlite::Connection::open_in_memory().expect("memory");
            rusqlite::backup::Backup::new(&template, &mut conn)
                .and_then(|b| b.step(-1))
                .expect("copies");
            conn.execute(
                "UPDATE sessions SET dc_id = ?1, api_id = ?2, test_mode = ?3, auth_key = ?4, date = 0, user_id = ?5, is_bot = ?6",
                rusqlite::params![
                    session.dc_id,
                    session.api_id,
                    session.test_mode,
                    session.auth_key.as_bytes().as_slice(),
                    i64::try_from(session.user_id).expect("fits"),
                    session.is_bot
                ],
            )
            .expect("writes");
            // The crate's own query for the fields, every column read.
            let user_id: i64 = conn
                .query_row(
                    "SELECT dc_id, api_id, test_mode, auth_key, date, user_id, is_bot, NULL, NULL FROM sessions LIMIT 2",
                    [],
                    |r| {
                        for i in [0, 1, 2, 4, 6, 7, 8] {
                            black_box(r.get::<_, Option<i64>>(i)?);
                        }
                        black_box(r.get::<_, Vec<u8>>(3)?);
                        r.get(5)
                    },
                )
                .expect("reads");
            assert_eq!(user_id, 123_456_789);
            conn
        });
    });
    g.finish();
}

criterion_group!(benches, codec, storage);
criterion_main!(benches);
