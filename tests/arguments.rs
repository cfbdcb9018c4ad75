//! Command-line arguments that may be session strings are never quoted back
//! (spec/conversions.md §11.1).
//!
//! About 3,000 damaged session strings, made from the real libraries' strings of `spec/vectors/`
//! and `spec/examples/` (cut short, in the standard base64 alphabet, wrapped in quotes, with
//! whitespace, a stray character, a character lost), are given to every command that takes a
//! session or a file, and each output (standard output and standard error) is scanned for key
//! material: any 12 characters of the argument itself (as given, or lower-cased, as a username
//! lookup folds it), of the key in hex, or of the key's base64 in either alphabet. Every other
//! string goes through one command, in turn (every string through all eleven with
//! `PYROSESSION_FULL_SCAN=1`, twenty-two times slower), so that the test stays short. Against the code before this rule, the full
//! scan found 14,298 of 24,000 outputs holding key material.

mod util;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use util::mutate::Rng;

/// A session string from a real library, and its key.
struct Base {
    string: String,
    key: Vec<u8>,
}

fn hex(bytes: &[u8]) -> String {
    pyrosession::AuthKey::from_slice(bytes)
        .expect("a 256-byte key")
        .to_hex()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Whether a key has enough variety that its fragments identify it (not all zeros).
fn varied(key: &[u8]) -> bool {
    key.iter().collect::<HashSet<_>>().len() > 64
}

fn bases() -> Vec<Base> {
    let mut out = Vec::new();
    let mut pyrogram = Vec::new();
    for v in util::vectors("session_string").iter().skip(1) {
        if v["pyrogram"]["accepted"].as_bool() == Some(true) {
            let input = v["input"].as_str().unwrap();
            let d = pyrosession::string::decode_compat(input).unwrap();
            let key = d.session.auth_key.as_bytes().to_vec();
            if varied(&key) {
                pyrogram.push(Base {
                    string: pyrosession::string::encode(&d.session, d.format).unwrap(),
                    key,
                });
            }
        }
    }
    for name in ["v2.txt", "legacy32.txt", "legacy64.txt"] {
        let s = std::fs::read_to_string(util::root().join("spec/examples").join(name)).unwrap();
        let d = pyrosession::string::decode_compat(s.trim_end()).unwrap();
        pyrogram.push(Base {
            string: s.trim_end().to_owned(),
            key: d.session.auth_key.as_bytes().to_vec(),
        });
    }
    // Pyrogram reads `+` and `/` as `-` and `_`: every one of its strings has a standard twin.
    for b in pyrogram {
        out.push(Base {
            string: b.string.replace('-', "+").replace('_', "/"),
            key: b.key.clone(),
        });
        out.push(b);
    }
    for (file, twin) in [("gramjs_strings", false), ("telethon_strings", true)] {
        for v in util::vectors(file).iter().skip(1) {
            if v["valid"].as_bool() != Some(true) {
                continue;
            }
            let key = unhex(v["auth_key"].as_str().unwrap());
            if !varied(&key) {
                continue;
            }
            let string = v["string"].as_str().unwrap().to_owned();
            if twin {
                out.push(Base {
                    string: string.replace('-', "+").replace('_', "/"),
                    key: key.clone(),
                });
            }
            out.push(Base { string, key });
        }
    }
    out
}

/// The ways an operator's string goes wrong, each applied to `s`.
fn damaged(rng: &mut Rng, s: &str) -> Vec<String> {
    let cut = |rng: &mut Rng| {
        let n = 12 + rng.below(s.len() - 12);
        s[..n].to_owned()
    };
    let mut out = Vec::new();
    for _ in 0..8 {
        out.push(cut(rng));
    }
    let c = cut(rng);
    for wrapped in [
        format!("\"{s}\""),
        format!("'{s}'"),
        format!("b'{s}'"),
        format!("\"{c}\""),
        format!("b'{c}'"),
        format!(" {s}\n"),
        format!("{s}."),
        format!("{c}."),
        format!("session={s}"),
    ] {
        out.push(wrapped);
    }
    let at = 1 + rng.below(s.len() - 2);
    out.push(format!("{}\n{}", &s[..at], &s[at..]));
    out.push(format!("{}{}", &s[..at], &s[at + 1..]));
    let stray = *rng.pick(&['.', '!', '%', '"', '\\', ' ', '/']);
    out.push(format!("{}{stray}{}", &s[..at], &s[at + 1..]));
    out.push(format!("{}{stray}{}", &s[..at], &c[at.min(c.len())..]));
    out
}

/// Every 12-character fragment that would give the key away.
fn needles(arg: &str, key: &[u8]) -> HashSet<Vec<u8>> {
    let mut set = HashSet::new();
    let mut add = |text: &str| {
        for w in text.as_bytes().windows(12) {
            set.insert(w.to_vec());
        }
    };
    add(arg);
    add(&arg.to_lowercase());
    let h = hex(key);
    add(&h);
    add(&h.to_uppercase());
    for offset in 0..3 {
        for engine in [&STANDARD, &URL_SAFE] {
            let b64 = engine.encode(&key[offset..]);
            // The first and last characters mix in bits of the neighbouring bytes.
            add(&b64[4..b64.len() - 4]);
        }
    }
    set
}

/// The commands given each argument: `{}` is the argument, `FIXTURE` a valid session file.
const COMMANDS: [&[&str]; 11] = [
    &["inspect", "--", "{}"],
    &["inspect", "--json", "--", "{}"],
    &["import", "--", "{}", "out.session"],
    &["convert", "--to", "telethon", "--", "{}"],
    &["export", "--", "{}"],
    &["peers", "--", "{}"],
    &["resolve", "--", "{}", "me"],
    &["resolve", "--", "FIXTURE", "{}"],
    &["salvage", "--", "{}", "out.session"],
    &["salvage", "--json", "--", "{}", "-"],
    &["salvage", "--", "dir/{}", "-"],
];

fn run(dir: &Path, fixture: &Path, command: &[&str], arg: &str) -> Vec<u8> {
    let args: Vec<std::ffi::OsString> = command
        .iter()
        .map(|a| match *a {
            "{}" => arg.into(),
            "dir/{}" => format!("dir/{arg}").into(),
            "FIXTURE" => fixture.as_os_str().to_owned(),
            a => a.into(),
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run pyrosession");
    let _ = std::fs::remove_file(dir.join("out.session"));
    // A string that converts (one with a line break at its end, say) is printed converted, as
    // asked: that output holds the key by design, and only what else is said is scanned.
    if out.status.success() && command[0] == "convert" {
        return out.stderr;
    }
    let mut all = out.stdout;
    all.extend_from_slice(&out.stderr);
    all
}

fn leaks(output: &[u8], needles: &HashSet<Vec<u8>>) -> bool {
    output.windows(12).any(|w| needles.contains(w))
}

#[test]
fn no_output_quotes_a_damaged_session_string() {
    let full = std::env::var_os("PYROSESSION_FULL_SCAN").is_some();
    let mut rng = Rng::new(0x5ca7_2700);
    let mut inputs: Vec<(String, HashSet<Vec<u8>>)> = Vec::new();
    let bases = bases();
    'fill: loop {
        for b in &bases {
            for arg in damaged(&mut rng, &b.string) {
                if inputs.len() == 3000 {
                    break 'fill;
                }
                let n = needles(&arg, &b.key);
                inputs.push((arg, n));
            }
        }
    }
    let fixture: PathBuf = util::root().join("spec/fixtures/pyrogram-2.0.106.session");
    // (input index, command index) pairs to run.
    let mut work: Vec<(usize, usize)> = Vec::new();
    for i in 0..inputs.len() {
        if full {
            work.extend((0..COMMANDS.len()).map(|c| (i, c)));
        } else if i % 2 == 0 {
            work.push((i, (i / 2) % COMMANDS.len()));
        }
    }
    // Mostly waiting for processes to start: more threads than cores.
    let threads = 4;
    let found: Vec<(usize, usize, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let work = &work;
                let inputs = &inputs;
                let fixture = &fixture;
                scope.spawn(move || {
                    let dir = util::TempDir::new(&format!("arguments-{t}"));
                    let mut found = Vec::new();
                    for &(i, c) in work.iter().skip(t).step_by(threads) {
                        let out = run(&dir.0, fixture, COMMANDS[c], &inputs[i].0);
                        if leaks(&out, &inputs[i].1) {
                            found.push((i, c, String::from_utf8_lossy(&out).into_owned()));
                        }
                    }
                    found
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut by_command: BTreeMap<String, usize> = BTreeMap::new();
    for (_, c, _) in &found {
        *by_command.entry(COMMANDS[*c].join(" ")).or_default() += 1;
    }
    eprintln!(
        "{} arguments, {} runs, {} leaking outputs: {by_command:?}",
        inputs.len(),
        work.len(),
        found.len()
    );
    let examples: Vec<String> = found
        .iter()
        .take(5)
        .map(|(i, c, out)| {
            format!(
                "{} with an argument of {} characters: {}",
                COMMANDS[*c].join(" "),
                inputs[*i].0.len(),
                out.chars().take(300).collect::<String>()
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "{} outputs hold key material:\n{}",
        found.len(),
        examples.join("\n")
    );
}

/// Makes the input a row of spec/damaged-inputs.md §3 names, in `dir`, and returns the
/// arguments to give and what to pipe to standard input.
fn make_argument(id: &str, dir: &Path) -> (Vec<String>, Option<Vec<u8>>) {
    let example = |name: &str| {
        std::fs::read_to_string(util::root().join("spec/examples").join(name))
            .unwrap()
            .trim_end()
            .to_owned()
    };
    let fixture = util::root().join("spec/fixtures/pyrogram-2.0.106.session");
    let d = dir.display();
    let args = |a: &[&str]| a.iter().map(ToString::to_string).collect::<Vec<_>>();
    match id {
        "cut-string-with-slash" => {
            let cut = example("v2.txt").replace('-', "+").replace('_', "/")[..280].to_owned();
            assert!(cut.contains('/'));
            (args(&["inspect", &cut]), None)
        }
        "quoted-string" => (
            args(&["inspect", &format!("b'{}'", example("v2.txt"))]),
            None,
        ),
        "name-without-session" => {
            std::fs::copy(&fixture, dir.join("my_account.session")).unwrap();
            (args(&["export", &format!("{d}/my_account")]), None)
        }
        "string-as-file" => (args(&["export", &example("v2.txt")]), None),
        "cut-string-as-file" => (args(&["peers", &example("v2.txt")[..100]]), None),
        "sqlite-on-stdin" => (
            args(&["inspect", "-"]),
            Some(std::fs::read(&fixture).unwrap()),
        ),
        "telethon-string-to-import" => (
            args(&[
                "import",
                &example("telethon.txt"),
                &format!("{d}/new.session"),
            ]),
            None,
        ),
        "directory-as-target" => (
            args(&[
                "convert",
                "--to",
                "telethon-file",
                "--force",
                &example("v2.txt"),
                &d.to_string(),
            ]),
            None,
        ),
        "missing-directory-as-target" => (
            args(&[
                "convert",
                "--to",
                "telethon",
                &example("v2.txt"),
                &format!("{d}/no/such/t.txt"),
            ]),
            None,
        ),
        "string-as-salvage-source" => (
            args(&["salvage", &example("v2.txt"), &format!("{d}/new.session")]),
            None,
        ),
        "cut-string-as-salvage-source" => (
            args(&["salvage", "--json", &example("v2.txt")[..200], "-"]),
            None,
        ),
        "string-as-salvage-target" => (
            args(&["salvage", fixture.to_str().unwrap(), &example("v2.txt")]),
            None,
        ),
        "broken-json-not-named-session" => {
            let json = std::fs::read_to_string(
                util::root().join("spec/fixtures/pyrogram-json-0.14.session"),
            )
            .unwrap();
            let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
            // The key is a list of base64 lines: its last line lost.
            v["auth_key"].as_array_mut().unwrap().pop();
            std::fs::write(dir.join("short.json"), v.to_string()).unwrap();
            (args(&["inspect", &format!("{d}/short.json")]), None)
        }
        other => panic!("no maker for argument row {other}"),
    }
}

/// spec/damaged-inputs.md §3, word for word: each argument's one line on standard error, with
/// its directory written `{dir}`, and exit status 1.
#[test]
fn every_argument_row_gets_what_the_table_says() {
    use std::io::Write as _;
    let text = std::fs::read_to_string(util::root().join("spec/damaged-inputs.md")).unwrap();
    let rows: Vec<(String, String)> = text
        .lines()
        .skip_while(|l| !l.starts_with("## 3."))
        .take_while(|l| !l.starts_with("## 4."))
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 4, "{l}");
            (
                cells[0].trim_matches('`').to_owned(),
                cells[3].trim_matches('`').to_owned(),
            )
        })
        .collect();
    assert!(rows.len() >= 9, "the table has {} rows", rows.len());
    let mut failures = Vec::new();
    for (id, want) in rows {
        let dir = util::TempDir::new("argument-rows");
        let (args, stdin) = make_argument(&id, &dir.0);
        let mut child = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
            .args(&args)
            .current_dir(&dir.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(&stdin.unwrap_or_default()).unwrap();
        drop(pipe);
        let out = child.wait_with_output().unwrap();
        let got = String::from_utf8(out.stderr)
            .unwrap()
            .replace(&dir.0.display().to_string(), "{dir}");
        if out.status.code() != Some(1) || got != format!("pyrosession: {want}\n") {
            failures.push(format!("{id}:\n  table: {want}\n  got:   {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
