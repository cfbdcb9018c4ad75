//! No key material where it was not asked for (spec/storage.md §9, spec/session-string.md §2.2).
//!
//! A canary session with a random key is put through every error the library can give for it
//! (damaged strings and files holding the key, failed exports and imports, a busy file) and
//! every command of the CLI, and each text is scanned for the key: any 8 bytes of it in hex
//! (either case), any 12 characters of its base64 (both alphabets, all three alignments), any
//! 16 characters of the session strings that hold it, any 6 of its bytes in a debug list, and
//! any 8 of its raw bytes. The scanner is shown to work first: `--reveal-key` and `export`,
//! which print the key on purpose, must be caught.

mod util;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use pyrosession::peer::{Peer, PeerType};
use pyrosession::storage::{OpenOptions, SharedStorage, Storage};
use pyrosession::string::{decode_compat, decode_strict, encode, Format};
use pyrosession::{AuthKey, Session};
use util::mutate::Rng;
use util::TempDir;

struct Canary {
    key: [u8; 256],
    strings: Vec<String>,
}

impl Canary {
    fn new() -> Canary {
        let mut rng = Rng::new(0x05ec_2e75);
        let mut key = [0u8; 256];
        key.copy_from_slice(&rng.bytes(256));
        let session = Canary::session_with(key);
        let strings = Format::ALL
            .iter()
            .map(|f| encode(&session, *f).unwrap())
            .collect();
        Canary { key, strings }
    }

    fn session_with(key: [u8; 256]) -> Session {
        Session {
            dc_id: 2,
            api_id: Some(12345),
            test_mode: false,
            auth_key: AuthKey::new(key),
            user_id: 777_000,
            is_bot: false,
        }
    }

    fn session(&self) -> Session {
        Canary::session_with(self.key)
    }

    /// Every fragment that would give the key away.
    fn needles(&self) -> Vec<Vec<u8>> {
        let mut needles: Vec<Vec<u8>> = Vec::new();
        for w in self.key.windows(8) {
            let hex = w.iter().fold(String::new(), |mut h, b| {
                let _ = write!(h, "{b:02x}");
                h
            });
            needles.push(hex.clone().into_bytes());
            needles.push(hex.to_uppercase().into_bytes());
            needles.push(w.to_vec());
        }
        for w in self.key.windows(6) {
            let list: Vec<String> = w.iter().map(u8::to_string).collect();
            needles.push(list.join(", ").into_bytes());
        }
        for offset in 0..3 {
            for engine in [
                &base64::engine::general_purpose::STANDARD,
                &base64::engine::general_purpose::URL_SAFE,
            ] {
                let b64 = engine.encode(&self.key[offset..]);
                // Skip the first characters, which mix in bits of the neighbouring bytes.
                for w in b64.as_bytes()[4..b64.len() - 4].windows(12) {
                    needles.push(w.to_vec());
                }
            }
        }
        for s in &self.strings {
            for w in s.as_bytes().windows(16) {
                needles.push(w.to_vec());
            }
        }
        needles
    }
}

struct Scanner {
    /// The needles by length.
    needles: std::collections::BTreeMap<usize, std::collections::HashSet<Vec<u8>>>,
    count: usize,
    scanned: usize,
}

impl Scanner {
    fn new(needles: Vec<Vec<u8>>) -> Scanner {
        let count = needles.len();
        let mut by_len: std::collections::BTreeMap<usize, std::collections::HashSet<Vec<u8>>> =
            std::collections::BTreeMap::new();
        for n in needles {
            by_len.entry(n.len()).or_default().insert(n);
        }
        Scanner {
            needles: by_len,
            count,
            scanned: 0,
        }
    }

    fn leak(&self, text: &[u8]) -> Option<String> {
        self.needles.iter().find_map(|(len, set)| {
            text.windows(*len)
                .find(|w| set.contains(*w))
                .map(|w| String::from_utf8_lossy(w).into_owned())
        })
    }

    #[track_caller]
    fn clean(&mut self, what: &str, text: impl AsRef<[u8]>) {
        self.scanned += 1;
        if let Some(n) = self.leak(text.as_ref()) {
            panic!(
                "{what} gives key material away ({n:?}):\n{}",
                String::from_utf8_lossy(text.as_ref())
            );
        }
    }

    #[track_caller]
    fn caught(&self, what: &str, text: impl AsRef<[u8]>) {
        assert!(
            self.leak(text.as_ref()).is_some(),
            "the scanner misses the key in {what}"
        );
    }
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(args)
        .output()
        .expect("run pyrosession")
}

/// Near-valid strings made from a canary string: every way a string gets damaged in transit.
fn damaged_strings(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    for cut in [1, 2, 3, 4, 10, 100, chars.len() / 2, chars.len() - 1] {
        out.push(chars[..chars.len() - cut.min(chars.len())].iter().collect());
    }
    for at in [0, 1, 7, chars.len() / 2, chars.len() - 1] {
        for c in ['!', ' ', '\n', 'é', '=', '+', '/', '\0'] {
            let mut v = chars.clone();
            v.insert(at, c);
            out.push(v.into_iter().collect());
        }
    }
    out.push(format!("{s}=="));
    out.push(format!("{s}A"));
    out.push(format!("{s}AAAA"));
    out.push(format!("1{s}"));
    out.push(s.replace('-', "+").replace('_', "/"));
    out.push(format!("  {s}  "));
    out.push(s.repeat(2));
    out
}

/// The canary, a scanner for it, and a session file holding it.
fn setup() -> (Canary, Scanner, TempDir, PathBuf) {
    let canary = Canary::new();
    let scan = Scanner::new(canary.needles());
    let dir = TempDir::new("secrets");
    let file = dir.join("canary.session");
    Storage::create_file_from_session(&file, &canary.session()).unwrap();
    (canary, scan, dir, file)
}

/// The scanner finds the key where it is printed on purpose.
#[test]
fn the_scanner_catches_keys_printed_on_purpose() {
    let (canary, scan, _dir, file) = setup();
    let f = file.to_str().unwrap();
    scan.caught(
        "inspect --reveal-key",
        cli(&["inspect", "--reveal-key", f]).stdout,
    );
    scan.caught(
        "inspect --reveal-key --json",
        cli(&["inspect", "--json", "--reveal-key", &canary.strings[0]]).stdout,
    );
    scan.caught("export", cli(&["export", f]).stdout);
    scan.caught("a session string", &canary.strings[2]);
}

/// The library's values: sessions, keys, decoded strings and their warnings.
#[test]
fn values_and_warnings_carry_no_key() {
    let (canary, mut scan, _dir, _file) = setup();
    // The library's values.
    let session = canary.session();
    scan.clean("Session's Debug", format!("{session:?}"));
    scan.clean("AuthKey's Debug", format!("{:?}", session.auth_key));
    scan.clean("AuthKey's Display", format!("{}", session.auth_key));
    let mut warned = 0;
    for s in &canary.strings {
        let d = decode_strict(s).unwrap();
        scan.clean("Decoded's Debug", format!("{d:?}"));
        for variant in [
            format!("{s}=="),
            format!("{s}="),
            s.replace('-', "+").replace('_', "/"),
        ] {
            if let Ok(d) = decode_compat(&variant) {
                warned += d.warnings.len();
                scan.clean("Decoded's Debug", format!("{d:?}"));
                for w in &d.warnings {
                    scan.clean("a warning", format!("{w} {w:?}"));
                }
            }
        }
    }
    assert!(warned > 0, "no accepted string with warnings was scanned");
    assert!(scan.scanned > 0, "nothing scanned");
}

/// Every rejection of a damaged canary string, by both decoders, the memory engine and the CLI; encoding errors.
#[test]
fn string_errors_carry_no_key() {
    let (canary, mut scan, _dir, _file) = setup();
    // Every rejection of a damaged canary string, from both decoders and from the memory engine.
    let mut rejected = 0;
    for s in &canary.strings {
        for bad in damaged_strings(s) {
            for result in [decode_strict(&bad), decode_compat(&bad)] {
                match result {
                    Ok(d) => {
                        scan.clean("Decoded's Debug", format!("{d:?}"));
                        for w in &d.warnings {
                            scan.clean("a warning", format!("{w} {w:?}"));
                        }
                    }
                    Err(e) => {
                        rejected += 1;
                        scan.clean("a decode error", format!("{e} | {e:?}"));
                        scan.clean("Pyrogram's error", format!("{:?}", e.pyrogram_error()));
                        scan.clean("a diagnosis", format!("{:?}", e.diagnosis()));
                    }
                }
            }
            if let Err(e) = Storage::from_session_string(&bad) {
                scan.clean("from_session_string's error", format!("{e} | {e:?}"));
            }
            if bad.contains('\0') {
                // Not a possible argument; the decoders above saw it.
                continue;
            }
            let out = cli(&["inspect", "--", &bad]);
            scan.clean(
                "inspect on a damaged string",
                [out.stdout, out.stderr].concat(),
            );
            let out = cli(&["inspect", "--json", "--strict", "--", &bad]);
            scan.clean(
                "inspect --json on a damaged string",
                [out.stdout, out.stderr].concat(),
            );
        }
    }
    assert!(rejected > 100, "only {rejected} rejections scanned");

    // Encoding errors.
    let mut wide = canary.session();
    wide.user_id = u64::from(u32::MAX) + 1;
    let e = encode(&wide, Format::Legacy32).unwrap_err();
    scan.clean("an encode error", format!("{e} | {e:?}"));
    let mut no_api = canary.session();
    no_api.api_id = None;
    let e = encode(&no_api, Format::V2).unwrap_err();
    scan.clean("an encode error", format!("{e} | {e:?}"));
    assert!(scan.scanned > 0, "nothing scanned");
}

/// Storages holding the key: their Debug, fields, peers and errors.
#[test]
fn storages_carry_no_key() {
    let (_canary, mut scan, _dir, file) = setup();
    // Storages holding the key: their Debug, their fields, their errors.
    let mut storage = Storage::open_file(&file).unwrap();
    scan.clean("Storage's Debug", format!("{storage:?}"));
    scan.clean(
        "SessionFields' Debug",
        format!("{:?}", storage.session().unwrap()),
    );
    storage
        .update_peers(&[Peer {
            id: 5,
            access_hash: Some(6),
            peer_type: PeerType::User,
            username: Some("five".into()),
            phone_number: None,
        }])
        .unwrap();
    scan.clean(
        "StoredPeer's Debug",
        format!("{:?}", storage.peers().unwrap()),
    );
    let busy = OpenOptions::new()
        .wait(std::time::Duration::ZERO)
        .open(&file)
        .unwrap_err();
    scan.clean("InUse", format!("{busy} | {busy:?}"));
    storage.set_api_id(None).unwrap();
    let e = storage.export_session_string().unwrap_err();
    scan.clean("MissingField", format!("{e} | {e:?}"));
    let shared = SharedStorage::new(storage);
    scan.clean("SharedStorage's Debug", format!("{shared:?}"));
    shared.into_inner().close().unwrap();
    assert!(scan.scanned > 0, "nothing scanned");
}

/// Damaged files that hold the key: every refusal, by the library and the CLI.
#[test]
fn damaged_files_carry_no_key() {
    let (_canary, mut scan, dir, file) = setup();
    // Damaged files that hold the key: every refusal.
    let damage = [
        "INSERT INTO sessions SELECT dc_id + 1, api_id, test_mode, auth_key, date, user_id, is_bot FROM sessions",
        "DELETE FROM version",
        "UPDATE version SET number = 9",
        "UPDATE sessions SET date = 'x'",
        "UPDATE sessions SET user_id = 'me'",
        LONG_KEY,
        "UPDATE sessions SET auth_key = substr(auth_key, 1, 255)",
        "UPDATE sessions SET auth_key = hex(auth_key)",
        "UPDATE sessions SET auth_key = CAST(auth_key AS TEXT)",
        "UPDATE peers SET type = 'robot'",
        "DROP TABLE peers",
    ];
    for (i, sql) in damage.iter().enumerate() {
        let p = damaged_copy(&dir, &file, i, sql);
        check_file(&mut scan, &p);
    }
    assert!(scan.scanned > 0, "nothing scanned");
}

/// Damage that keeps the whole key in the file: a key one byte too long.
const LONG_KEY: &str = "UPDATE sessions SET auth_key = auth_key || x'00'";

/// A copy of the canary file at `damaged-{i}.session` in `dir`, damaged by `sql`.
fn damaged_copy(dir: &TempDir, file: &Path, i: usize, sql: &str) -> PathBuf {
    let p = dir.join(&format!("damaged-{i}.session"));
    std::fs::copy(file, &p).unwrap();
    let conn = rusqlite::Connection::open(&p).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    p
}

/// Every command on the canary file and strings, successes and failures.
#[test]
fn commands_print_no_key() {
    let (canary, mut scan, dir, file) = setup();
    let f = file.to_str().unwrap();
    // Every command on the canary file and strings.
    let missing = dir.join("missing.session");
    let target = dir.join("imported.session");
    // This test's own damaged file: the export must refuse a file that exists and holds the key.
    let damaged = damaged_copy(&dir, &file, 0, LONG_KEY);
    assert!(damaged.exists());
    let runs: Vec<Vec<&str>> = vec![
        vec!["inspect", f],
        vec!["inspect", "--json", f],
        vec!["inspect", &canary.strings[0]],
        vec!["inspect", "--json", &canary.strings[1]],
        vec!["inspect", "--strict", &canary.strings[2]],
        vec!["peers", f],
        vec!["peers", "--json", f],
        vec!["resolve", f, "5"],
        vec!["resolve", "--json", f, "@five"],
        vec!["resolve", f, "+1"],
        vec!["import", &canary.strings[0], target.to_str().unwrap()],
        vec!["import", &canary.strings[0], target.to_str().unwrap()],
        vec!["import", &canary.strings[0], f],
        vec!["export", missing.to_str().unwrap()],
        vec!["export", damaged.to_str().unwrap()],
    ];
    for args in &runs {
        let out = cli(args);
        scan.clean(
            &format!("`pyrosession {}`", args.join(" ")),
            [out.stdout, out.stderr].concat(),
        );
    }
    // The export of the damaged file is refused for its damage, not for a missing file.
    let refused = cli(&["export", damaged.to_str().unwrap()]);
    scan.clean(
        "`pyrosession export` of the damaged file",
        [&refused.stdout[..], &refused.stderr[..]].concat(),
    );
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && !said.contains("no such session file"),
        "export of the damaged file: {said}"
    );
    eprintln!(
        "{} texts scanned for {} fragments of the key",
        scan.scanned, scan.count
    );
}

/// Opens a damaged file every way and scans whatever comes back.
fn check_file(scan: &mut Scanner, p: &Path) {
    let f = p.to_str().unwrap();
    for read_only in [true, false] {
        // One at a time: a read-only connection left open would make the next open wait.
        let result = OpenOptions::new().read_only(read_only).open(p);
        match result {
            Ok(s) => {
                scan.clean("Storage's Debug", format!("{s:?}"));
                match s.session() {
                    Ok(fields) => scan.clean("SessionFields", format!("{fields:?}")),
                    Err(e) => scan.clean("a storage error", format!("{e} | {e:?}")),
                }
                if let Err(e) = s.peers() {
                    scan.clean("a storage error", format!("{e} | {e:?}"));
                }
                if let Err(e) = s.export_session_string() {
                    scan.clean("a storage error", format!("{e} | {e:?}"));
                }
                s.close().unwrap();
            }
            Err(e) => scan.clean("a storage error", format!("{e} | {e:?}")),
        }
    }
    for args in [
        vec!["inspect", f],
        vec!["inspect", "--json", f],
        vec!["peers", f],
        vec!["resolve", f, "5"],
    ] {
        let out = cli(&args);
        scan.clean(
            &format!("`pyrosession {}`", args.join(" ")),
            [out.stdout, out.stderr].concat(),
        );
    }
}

/// Code a file's schema holds that would run on the key: a CHECK constraint, an index on an
/// expression, a partial index (each refused at open), a foreign key that carries a write of
/// the key into another table's CHECK (harmless: foreign keys are off), each with the canary
/// key in the file and without it (the file of issue 17, which opened and inspected cleanly and
/// then failed `set_auth_key` with the new key in hex). Every refusal, every write of the key,
/// and `inspect`, `peers`, `resolve`, `export` and `convert` on each file (spec/storage.md §4.1).
#[test]
fn schema_code_carries_no_key() {
    const LEAK: &str = "json_extract(''{}'', hex(auth_key))";
    let (canary, mut scan, dir, file) = setup();
    let rewrite = |name: &str, sql: &str| {
        format!(
            "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = '{sql}' WHERE name = '{name}'; PRAGMA writable_schema = OFF;"
        )
    };
    let code = [
        rewrite(
            "sessions",
            &format!("CREATE TABLE sessions (dc_id INTEGER PRIMARY KEY, api_id INTEGER, test_mode INTEGER, auth_key BLOB CHECK (auth_key IS NULL OR {LEAK} IS NULL), date INTEGER NOT NULL, user_id INTEGER, is_bot INTEGER)"),
        ),
        format!(
            "CREATE INDEX idx_key ON sessions (dc_id); {}",
            rewrite("idx_key", &format!("CREATE INDEX idx_key ON sessions (iif(auth_key IS NULL, NULL, {LEAK}))"))
        ),
        format!(
            "CREATE INDEX idx_part ON sessions (dc_id); {}",
            rewrite("idx_part", &format!("CREATE INDEX idx_part ON sessions (dc_id) WHERE auth_key IS NULL OR {LEAK} IS NULL"))
        ),
        "CREATE UNIQUE INDEX idx_sessions_key ON sessions (auth_key);
         CREATE TABLE spy (k BLOB REFERENCES sessions (auth_key) ON UPDATE CASCADE
             CHECK (json_extract('{}', hex(k)) IS NULL));
         PRAGMA ignore_check_constraints = ON;
         INSERT INTO spy SELECT auth_key FROM sessions;"
            .to_owned(),
    ];
    let mut refused = 0;
    for (i, sql) in code.iter().enumerate() {
        for without_key in [false, true] {
            let sql = if without_key {
                format!("UPDATE sessions SET auth_key = NULL; {sql}")
            } else {
                sql.clone()
            };
            let p = damaged_copy(&dir, &file, 100 + 2 * i + usize::from(without_key), &sql);
            check_file(&mut scan, &p);
            match Storage::open_file(&p) {
                Ok(mut s) => {
                    if let Err(e) = s.set_auth_key(Some(&canary.session().auth_key)) {
                        scan.clean("set_auth_key's error", format!("{e} | {e:?}"));
                    }
                    if let Err(e) = s.set_session(&canary.session()) {
                        scan.clean("set_session's error", format!("{e} | {e:?}"));
                    }
                    s.close().unwrap();
                }
                Err(e) => {
                    refused += 1;
                    scan.clean("a refusal", format!("{e} | {e:?}"));
                }
            }
            let f = p.to_str().unwrap();
            for args in [vec!["export", f], vec!["convert", "--to", "telethon", f]] {
                // Their output is the key on purpose; what they say about the file is scanned.
                let out = cli(&args);
                scan.clean(&format!("`pyrosession {}`", args.join(" ")), out.stderr);
            }
        }
    }
    assert_eq!(refused, 6, "the CHECK and index files are refused at open");
}
