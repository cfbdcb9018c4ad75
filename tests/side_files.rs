//! Side files (`-journal`, `-wal`, `-shm`) that SQLite did not make for the file: FIFOs,
//! directories, links, unreadable ones, another local user's (spec/storage.md §2.8), and
//! special files that say they are empty (spec/damaged-inputs.md §2, the rows that say
//! "see `tests/side_files.rs`").
//!
//! Each open runs in a child process that is killed after [`LIMIT`]: an open that would wait
//! forever (a FIFO `-journal` did) fails the test instead of hanging it. The library's opens
//! and `Storage::salvage` run in this test binary, started again with `PYROSESSION_SIDE_OPEN`
//! set to the file; the
//! commands `inspect` and `export` run the `pyrosession` binary. Rows that need other users are
//! played with `setpriv` where the tests run as root (user 64123 owns the file, 65534 is the
//! other user), and reported as ignored otherwise.

mod util;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use pyrosession::storage::Storage;
use util::TempDir;

/// How long a child may take: an open of these files takes milliseconds.
const LIMIT: Duration = Duration::from_secs(20);
const OPEN: &str = "PYROSESSION_SIDE_OPEN";
const READ_ONLY: &str = "PYROSESSION_SIDE_RO";
const SALVAGE: &str = "PYROSESSION_SIDE_SALVAGE";
/// The user who owns the session file in the rows played by two users.
const USER: u32 = 64_123;
/// Another local user (`nobody`).
const OTHER: u32 = 65_534;
const MARK: &str = "see tests/side_files.rs: ";

fn main() {
    if let Some(path) = std::env::var_os(OPEN) {
        let result = if std::env::var_os(SALVAGE).is_some() {
            Storage::salvage(&path).map(drop)
        } else if std::env::var_os(READ_ONLY).is_some() {
            Storage::open_file_read_only(&path).and_then(Storage::close)
        } else {
            Storage::open_file(&path).and_then(Storage::close)
        };
        match result {
            Ok(()) => println!("ok"),
            Err(e) => {
                let debug = format!("{:?}", e.kind());
                let name = debug.split([' ', '(', '{']).next().unwrap_or("");
                println!("{name}: {e}");
            }
        }
        return;
    }
    let args = Arguments::from_args();
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    let mut trials: Vec<Trial> = rows()
        .into_iter()
        .map(|(id, rw, ro)| {
            let needs_root = matches!(id.as_str(), "other-user-journal" | "other-user-wal");
            let name = format!("side_file_{}", id.replace('-', "_"));
            Trial::test(name, move || check_row(&id, &rw, &ro, root))
                .with_ignored_flag(needs_root && !root)
        })
        .collect();
    trials.push(Trial::test("the_table_has_the_side_file_rows", || {
        let ids: Vec<String> = rows().into_iter().map(|r| r.0).collect();
        for id in ROWS {
            if !ids.iter().any(|i| i == id) {
                return Err(format!("no row {id} in spec/damaged-inputs.md §2").into());
            }
        }
        assert_eq!(ids.len(), ROWS.len(), "rows without a maker: {ids:?}");
        Ok(())
    }));
    libtest_mimic::run(&args, trials).exit();
}

/// The rows this test makes and checks.
const ROWS: [&str; 10] = [
    "fifo-journal",
    "fifo-wal",
    "directory-journal",
    "null-journal",
    "unreadable-journal",
    "wide-journal",
    "other-user-journal",
    "other-user-wal",
    "wal-closed-directory",
    "proc-mem",
];

/// The rows of spec/damaged-inputs.md §2 checked here: id, `open_file`, `open_file_read_only`,
/// each without the mark.
fn rows() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(util::root().join("spec/damaged-inputs.md")).unwrap();
    text.lines()
        .skip_while(|l| !l.starts_with("## 2. "))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.len() >= 5 && cells[2].starts_with(MARK))
        .map(|cells| {
            let strip = |c: &str| {
                c.strip_prefix(MARK)
                    .unwrap_or(c)
                    .trim_matches('`')
                    .to_owned()
            };
            (cells[0].clone(), strip(&cells[2]), strip(&cells[3]))
        })
        .collect()
}

/// Who runs the opens of a row.
#[derive(Clone, Copy)]
enum Runner {
    /// The user running the tests.
    Me,
    /// This user, through `setpriv` (the tests run as root).
    Uid(u32),
}

impl Runner {
    fn command(self, program: &Path) -> Command {
        match self {
            Runner::Me => Command::new(program),
            Runner::Uid(uid) => {
                let mut c = Command::new("setpriv");
                c.args([
                    format!("--reuid={uid}"),
                    format!("--regid={uid}"),
                    "--clear-groups".into(),
                ])
                .arg(program);
                c
            }
        }
    }
}

/// A copy of the Pyrogram 2.0.106 fixture at `path`.
fn valid(path: &Path) {
    std::fs::copy(
        util::root().join("spec/fixtures/pyrogram-2.0.106.session"),
        path,
    )
    .unwrap();
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(uid)).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Makes the input of row `id` in `dir`; returns the file to open and who opens it.
fn make(id: &str, dir: &Path, root: bool) -> (PathBuf, Runner) {
    let file = dir.join("damaged.session");
    let side = |suffix: &str| dir.join(format!("damaged.session{suffix}"));
    // Rows that need a user other than root: played as `nobody` by root.
    let unprivileged = if root { Runner::Uid(OTHER) } else { Runner::Me };
    match id {
        "fifo-journal" => {
            valid(&file);
            mkfifo(&side("-journal"));
        }
        "fifo-wal" => {
            valid(&file);
            mkfifo(&side("-wal"));
        }
        "directory-journal" => {
            valid(&file);
            std::fs::create_dir(side("-journal")).unwrap();
        }
        "null-journal" => {
            valid(&file);
            std::os::unix::fs::symlink("/dev/null", side("-journal")).unwrap();
        }
        "unreadable-journal" => {
            valid(&file);
            std::fs::write(side("-journal"), vec![b'A'; 3000]).unwrap();
            chmod(&side("-journal"), 0o000);
            if root {
                chmod(dir, 0o777);
                for p in [file.clone(), side("-journal")] {
                    chown(&p, OTHER);
                }
            }
            return (file, unprivileged);
        }
        "wide-journal" => {
            valid(&file);
            chmod(&file, 0o600);
            std::fs::write(side("-journal"), vec![b'A'; 3000]).unwrap();
            chmod(&side("-journal"), 0o666);
        }
        "other-user-journal" | "other-user-wal" => {
            // A sticky, world-writable directory like /tmp; the user's file, and a side file
            // the other user made before the user's client ran.
            chmod(dir, 0o1777);
            valid(&file);
            chown(&file, USER);
            chmod(&file, 0o600);
            let suffix = if id == "other-user-wal" {
                "-wal"
            } else {
                "-journal"
            };
            std::fs::write(side(suffix), vec![b'A'; 3000]).unwrap();
            chown(&side(suffix), OTHER);
            chmod(&side(suffix), 0o666);
            return (file, Runner::Uid(USER));
        }
        "wal-closed-directory" => {
            // A WAL-mode file whose -wal holds a commit, in a directory the reader may not
            // write: its -shm cannot be made.
            let made = dir.join("made");
            std::fs::create_dir(&made).unwrap();
            let live = made.join("live.session");
            valid(&live);
            let conn = rusqlite::Connection::open(&live).unwrap();
            conn.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; UPDATE sessions SET date = 5",
            )
            .unwrap();
            std::fs::copy(&live, &file).unwrap();
            std::fs::copy(made.join("live.session-wal"), side("-wal")).unwrap();
            drop(conn);
            std::fs::remove_dir_all(&made).unwrap();
            chmod(dir, 0o555);
            if !root {
                return (file, Runner::Me);
            }
            return (file, unprivileged);
        }
        "proc-mem" => return (PathBuf::from("/proc/self/mem"), Runner::Me),
        other => panic!("no maker for row {other}"),
    }
    (file, Runner::Me)
}

/// Runs `cmd`, killing it after [`LIMIT`]; returns its standard output and error.
fn run_bounded(mut cmd: Command) -> Result<(String, String), String> {
    run_inner(&mut cmd).map_err(|e| e.to_string())
}

fn run_inner(cmd: &mut Command) -> Result<(String, String), Box<dyn std::error::Error>> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let start = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if start.elapsed() > LIMIT {
            child.kill()?;
            child.wait()?;
            return Err(format!("still running after {} s: killed", LIMIT.as_secs()).into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output()?;
    Ok((
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim_end().to_owned(),
    ))
}

/// Every entry under `dir`: a file's bytes, a link's target, what anything else is; never
/// opening a FIFO.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let what = if meta.is_dir() {
            out.extend(snapshot(&p));
            "directory".to_owned()
        } else if meta.file_type().is_symlink() {
            format!("link to {}", std::fs::read_link(&p).unwrap().display())
        } else if meta.is_file() {
            format!("{:?}", std::fs::read(&p).unwrap())
        } else {
            "not a regular file".to_owned()
        };
        out.insert(
            p,
            format!("{what}, mode {:o}, owner {}", meta.mode(), meta.uid()),
        );
    }
    out
}

fn check_row(id: &str, rw: &str, ro: &str, root: bool) -> Result<(), Failed> {
    let tmp = TempDir::new("side");
    chmod(&tmp.0, 0o755);
    let dir = std::fs::canonicalize(&tmp.0)?;
    let (path, runner) = make(id, &dir, root);
    let before = snapshot(&dir);
    let shown = |s: String| s.replace(&dir.display().to_string(), "{dir}");
    let exe = std::env::current_exe()?;
    let mut failures = Vec::new();
    let mut messages = Vec::new();
    for (read_only, want) in [(false, rw), (true, ro)] {
        let mut cmd = runner.command(&exe);
        cmd.env(OPEN, &path);
        if read_only {
            cmd.env(READ_ONLY, "1");
        }
        let opener = if read_only {
            "open_file_read_only"
        } else {
            "open_file"
        };
        match run_bounded(cmd) {
            Ok((got, _)) => {
                let got = shown(got);
                if got != want {
                    failures.push(format!("{opener}:\n  table: {want}\n  got:   {got}"));
                }
                messages.push(got);
            }
            Err(e) => failures.push(format!("{opener}: {e}")),
        }
    }
    // Salvage refuses the side file as the opens do, before it copies anything; the file whose
    // -wal cannot be read in place is read in salvage's private copy.
    let mut cmd = runner.command(&exe);
    cmd.env(OPEN, &path).env(SALVAGE, "1");
    let want = if id == "wal-closed-directory" {
        "ok"
    } else {
        ro
    };
    match run_bounded(cmd) {
        Ok((got, _)) if shown(got.clone()) == want => {}
        Ok((got, _)) => failures.push(format!("salvage:\n  want: {want}\n  got:  {}", shown(got))),
        Err(e) => failures.push(format!("salvage: {e}")),
    }
    // The commands say what the read-only open says, word for word.
    let message = ro.split_once(": ").map_or(ro, |(_, m)| m);
    for command in ["inspect", "export"] {
        let want = if id == "proc-mem" && command == "inspect" {
            // Not an SQLite file by its first bytes: read as a file holding a string.
            "pyrosession: cannot read /proc/self/mem: Input/output error (os error 5)".to_owned()
        } else {
            format!("pyrosession: {message}")
        };
        let mut cmd = runner.command(Path::new(env!("CARGO_BIN_EXE_pyrosession")));
        cmd.arg(command).arg(&path);
        match run_bounded(cmd) {
            Ok((_, err)) => {
                let got = shown(err);
                if got != want {
                    failures.push(format!("{command}:\n  want: {want}\n  got:  {got}"));
                }
            }
            Err(e) => failures.push(format!("{command}: {e}")),
        }
    }
    // Nothing was opened: the file and its side files are as they were.
    chmod(&dir, 0o755);
    if snapshot(&dir) != before {
        failures.push("the directory changed".to_owned());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}
