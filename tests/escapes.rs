//! Text from a file or an argument reaches the terminal escaped, by every command
//! (spec/conversions.md §11.2): an escape sequence, line breaks, a tab, other C0 and C1 control
//! characters, DEL and a character that reverses text, put where each command shows outside
//! text, all arrive as `\u` and four hex digits, and no value adds a line of its own.

mod util;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::process::{Command, Output, Stdio};

/// The hostile text, and how the command must show it.
const HOSTILE: &str = "a\u{1b}[2Jb\nc\rd\te\u{7}f\u{7f}g\u{9b}h\u{202e}i";
const SHOWN: &str = "a\\u001b[2Jb\\u000ac\\u000dd\\u0009e\\u0007f\\u007fg\\u009bh\\u202ei";

fn run<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyrosession"))
        .args(args)
        .current_dir(util::root())
        .stdin(Stdio::null())
        .output()
        .expect("run pyrosession")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// Neither stream holds a character that acts on a terminal, but the line breaks that end the
/// report's own lines; every line of standard error is one of the command's.
#[track_caller]
fn assert_clean(out: &Output) -> (String, String) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    for stream in [&stdout, &stderr] {
        let bad = stream.chars().find(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{61c}' | '\u{feff}' | '\u{fe00}'..='\u{fe0f}' | '\u{e0000}'..='\u{e0fff}')
        });
        assert_eq!(bad, None, "a raw character in: {stream:?}");
    }
    for line in stderr.lines() {
        assert!(line.starts_with("pyrosession: "), "{stderr:?}");
    }
    (stdout, stderr)
}

fn fixture(dir: &util::TempDir, name: &str) -> String {
    let p = dir.join(name);
    std::fs::copy(util::root().join("spec/fixtures").join(name), &p).unwrap();
    p.to_str().unwrap().to_owned()
}

fn telethon_with_hostile_server(dir: &util::TempDir) -> String {
    let t = fixture(dir, "telethon-1.45.0.session");
    rusqlite::Connection::open(&t)
        .unwrap()
        .execute("UPDATE sessions SET server_address = ?1", [HOSTILE])
        .unwrap();
    t
}

#[test]
fn inspect_escapes_a_file_and_an_argument() {
    let dir = util::TempDir::new("escapes-inspect");
    let t = telethon_with_hostile_server(&dir);
    let out = run(&["inspect", &t]);
    let (stdout, _) = assert_clean(&out);
    assert!(
        stdout.contains(&format!("server       {SHOWN}:443\n")),
        "{stdout}"
    );
    // No line more than the report of the file as it was.
    let plain = run(&["inspect", "spec/fixtures/telethon-1.45.0.session"]);
    assert_eq!(
        stdout.lines().count(),
        text(&plain.stdout).lines().count(),
        "{stdout}"
    );
    let out = run(&["inspect", "--json", &t]);
    let (stdout, _) = assert_clean(&out);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["server"], format!("{HOSTILE}:443"));

    let arg = format!("{}/{HOSTILE}.session", dir.0.display());
    let out = run(&["inspect", &arg]);
    let (_, stderr) = assert_clean(&out);
    assert_eq!(
        stderr,
        format!(
            "pyrosession: cannot read {}/{SHOWN}.session: no such file\n",
            dir.0.display()
        )
    );
}

#[test]
fn export_and_peers_escape_their_file_argument() {
    let dir = util::TempDir::new("escapes-export");
    let arg = format!("{}/{HOSTILE}.session", dir.0.display());
    for command in ["export", "peers"] {
        let out = run(&[command, &arg]);
        let (_, stderr) = assert_clean(&out);
        assert_eq!(
            stderr,
            format!(
                "pyrosession: {}/{SHOWN}.session: no such session file\n",
                dir.0.display()
            ),
            "{command}"
        );
    }
}

#[test]
fn peers_escapes_what_the_file_holds() {
    let dir = util::TempDir::new("escapes-peers");
    let p = fixture(&dir, "pyrogram-2.0.106.session");
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute(
            "UPDATE peers SET username = ?1 WHERE rowid = (SELECT min(rowid) FROM peers)",
            [HOSTILE],
        )
        .unwrap();
    let out = run(&["peers", &p]);
    let (stdout, _) = assert_clean(&out);
    assert!(stdout.contains(&format!(" {SHOWN} ")), "{stdout}");
    assert_eq!(stdout.lines().count(), 11, "{stdout}");
    let out = run(&["peers", "--json", &p]);
    let (stdout, _) = assert_clean(&out);
    // One object a line (spec/json-output.md §3.2), read back as the list they make.
    let v: serde_json::Value = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .collect();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["username"] == HOSTILE));
}

#[test]
fn import_escapes_the_file_it_names() {
    let dir = util::TempDir::new("escapes-import");
    let string = std::fs::read_to_string(util::root().join("spec/examples/v2.txt")).unwrap();
    let file = format!("{}/{HOSTILE}", dir.0.display());
    let out = run(&["import", string.trim_end(), &file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (_, stderr) = assert_clean(&out);
    let d = dir.0.display();
    assert_eq!(
        stderr,
        format!(
            "pyrosession: wrote {d}/{SHOWN} (v2 session, dc 2)\n\
             pyrosession: note: Pyrogram's Client(\"{SHOWN}\") opens {SHOWN}.session, not {SHOWN}: rename the file to {SHOWN}.session for Pyrogram to find it\n"
        )
    );
}

#[test]
fn convert_escapes_its_notes_and_the_file_it_names() {
    let dir = util::TempDir::new("escapes-convert");
    let t = telethon_with_hostile_server(&dir);
    let target = format!("{}/{HOSTILE}", dir.0.display());
    let out = run(&[
        "convert",
        "--to",
        "pyrogram",
        "--api-id",
        "1",
        "--user-id",
        "2",
        "--is-bot",
        "false",
        "--test-mode",
        "false",
        &t,
        &target,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (_, stderr) = assert_clean(&out);
    assert!(
        stderr.contains(&format!(
            "the data-center table's address instead of {SHOWN}:443\n"
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(&format!(
            "pyrosession: wrote {}/{SHOWN} (pyrogram, dc 2, 0 peers)\n",
            dir.0.display()
        )),
        "{stderr}"
    );
    // A Telethon string cannot hold it: the error quotes it, on one line.
    let out = run(&["convert", "--to", "telethon", &t]);
    let (stdout, stderr) = assert_clean(&out);
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // An error that quotes it.
    let out = run(&[
        "convert",
        "--to",
        "pyrogram",
        "--api-id",
        "1",
        "--user-id",
        "2",
        "--is-bot",
        "false",
        &t,
    ]);
    let (_, stderr) = assert_clean(&out);
    assert!(
        stderr.contains(&format!("cannot tell whether {SHOWN} is a test")),
        "{stderr}"
    );
}

#[test]
fn resolve_escapes_its_query() {
    let fixture = util::root().join("spec/fixtures/pyrogram-2.0.106.session");
    let fixture = fixture.to_str().unwrap();
    // Whitespace is dropped from a username as Pyrogram drops it; the rest is shown escaped.
    let query = "x\u{1b}[2jy\u{7}z\u{7f}\u{9b}\u{202e}";
    let out = run(&["resolve", fixture, query]);
    let (_, stderr) = assert_clean(&out);
    assert_eq!(
        stderr,
        "pyrosession: username not found: x\\u001b[2jy\\u0007z\\u007f\\u009b\\u202e\n"
    );
    // A query of whitespace only is the empty username, as in Pyrogram (spec/storage.md §6.5):
    // none of its control characters reaches the terminal.
    let out = run(&["resolve", fixture, " \n\t\r "]);
    let (_, stderr) = assert_clean(&out);
    assert_eq!(stderr, "pyrosession: username not found: \n");
}

#[test]
fn conform_escapes_the_driver_it_names() {
    let out = run(&["conform", "--driver", &format!("./no-such-{HOSTILE}")]);
    let (_, stderr) = assert_clean(&out);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no-such-a"), "{stderr}");
}

/// A file name that is not UTF-8 is shown with each byte that is not UTF-8 as `\xff`, so that
/// the operator can tell which file is meant, and its control characters escaped; so is the file
/// a command writes.
#[test]
fn a_file_name_that_is_not_utf8_is_escaped_too() {
    let dir = util::TempDir::new("escapes-bytes");
    let mut name = dir.0.as_os_str().as_bytes().to_vec();
    name.extend_from_slice(b"/\xff\x1b[2J.session");
    let out = run(&[OsStr::from_bytes(b"inspect"), OsStr::from_bytes(&name)]);
    let (_, stderr) = assert_clean(&out);
    assert_eq!(
        stderr,
        format!(
            "pyrosession: cannot read {}/\\xff\\u001b[2J.session: no such file\n",
            dir.0.display()
        )
    );
    let mut target = dir.0.as_os_str().as_bytes().to_vec();
    target.extend_from_slice(b"/bad\xfe\xff.session");
    let v2 = std::fs::read_to_string(util::root().join("spec/examples/v2.txt")).unwrap();
    let out = run(&[
        OsStr::from_bytes(b"import"),
        OsStr::new(v2.trim_end()),
        OsStr::from_bytes(&target),
    ]);
    let (_, stderr) = assert_clean(&out);
    assert_eq!(
        stderr,
        format!(
            "pyrosession: wrote {}/bad\\xfe\\xff.session (v2 session, dc 2)\n",
            dir.0.display()
        )
    );
}

/// The driver's command line is shown by the one escaping rule (`\u001b`), not by Rust's
/// `Debug` (`\u{1b}`), when it cannot be started or split.
#[test]
fn conform_names_a_driver_by_the_one_escaping_rule() {
    let out = run(&["conform", "--driver", "/nonexistent/\u{1b}[31mx"]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: cannot start driver \"/nonexistent/\\u001b[31mx\": No such file or directory (os error 2)\n"
    );
    let out = run(&["conform", "--driver", "\u{1b}[31m 'b"]);
    assert_eq!(
        text(&out.stderr),
        "pyrosession: cannot split the driver command line \"\\u001b[31m 'b\"\n"
    );
}

/// The one escaping rule escapes exactly the characters of `spec/vectors/escaped_chars.json`
/// (general categories Cc, Cf, Zl, Zp and `Default_Ignorable_Code_Point`, from Unicode's data):
/// every one of them, as `\u` and four hex digits a UTF-16 unit, and no other character
/// (spec/conversions.md §11.2). `terminal_safe` keeps only the line break and the tab.
#[test]
fn every_character_of_the_class_and_no_other_is_escaped() {
    let text = std::fs::read_to_string(util::root().join("spec/vectors/escaped_chars.json"))
        .expect("the vector file");
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let code = |v: &serde_json::Value| {
        u32::from_str_radix(v.as_str().unwrap().trim_start_matches("U+"), 16).unwrap()
    };
    let ranges: Vec<(u32, u32)> = entries[1..]
        .iter()
        .map(|e| (code(&e[0]), code(&e[1])))
        .collect();
    let mut escaped = 0;
    for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
        let listed = ranges.iter().any(|&(a, b)| (a..=b).contains(&u32::from(c)));
        let s = c.to_string();
        let want = if listed {
            escaped += 1;
            c.encode_utf16(&mut [0; 2])
                .iter()
                .fold(String::new(), |out, u| out + &format!("\\u{u:04x}"))
        } else {
            s.clone()
        };
        assert_eq!(
            pyrosession::report::one_line(&s),
            want,
            "U+{:04X}",
            u32::from(c)
        );
        let laid_out = if matches!(c, '\n' | '\t') {
            s.clone()
        } else {
            want
        };
        assert_eq!(pyrosession::report::terminal_safe(&s), laid_out);
    }
    // Cc, Cf, Zl, Zp and the default-ignorable code points of Unicode 18: a smaller count is a
    // class lost, not a character.
    assert!(escaped > 4000, "{escaped}");
}

/// The characters an audit found printed raw (line and paragraph separators, the Arabic letter
/// mark, the byte order mark, the invisible operators) arrive escaped in a report.
#[test]
fn peers_escapes_separators_and_invisible_marks() {
    let dir = util::TempDir::new("escapes-separators");
    let p = fixture(&dir, "pyrogram-2.0.106.session");
    let username = "ab\u{202e}cod.exe\u{2028}FAKE LINE\u{2029}x\u{200b}\u{85}\u{61c}\u{feff}\u{2060}\u{2064}\u{fe0f}\u{e0041}";
    rusqlite::Connection::open(&p)
        .unwrap()
        .execute(
            "UPDATE peers SET username = ?1 WHERE rowid = (SELECT min(rowid) FROM peers)",
            [username],
        )
        .unwrap();
    let out = run(&["peers", &p]);
    let (stdout, _) = assert_clean(&out);
    assert!(
        stdout.contains(" ab\\u202ecod.exe\\u2028FAKE LINE\\u2029x\\u200b\\u0085\\u061c\\ufeff\\u2060\\u2064\\ufe0f\\udb40\\udc41 "),
        "{stdout}"
    );
    let out = run(&["peers", "--json", &p]);
    // One object a line (spec/json-output.md §3.2), read back as the list they make.
    let v: serde_json::Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .collect();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["username"] == username));
}
