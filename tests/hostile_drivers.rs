//! Drivers that attack the conformance runner itself (spec/conformance.md §2.1, §2.4, §3.1,
//! §5.3): one that swaps the scenario's files for FIFOs, one that exits while a process it
//! started keeps its output open, one that leaves a process behind, one that keeps its file
//! locked, one that floods its output or its standard error, one that does not read or closes
//! its input, one that answers with a megabyte. Each run ends within a bound, says what
//! happened, keeps the runner's memory and report bounded, removes its folders and leaves no
//! process of the driver running.
//!
//! The drivers are one small Python script, written by each test into its own folder, whose
//! argument names the attack.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pyrosession::conform::{self, Driver as _, ExternalDriver, Outcome};
use serde_json::Value;
use util::TempDir;

const DRIVER: &str = r#"
import json, os, sqlite3, subprocess, sys

mode, pids = sys.argv[1], sys.argv[2]
paths, locks, child = {}, [], None
if mode == "leave-child":
    child = subprocess.Popen(["sleep", "100"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    open(os.path.join(pids, "child"), "w").write(str(child.pid))

def fifo(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    os.mkfifo(path)

for line in sys.stdin:
    r = json.loads(line)
    op, out = r["op"], {"ok": None}
    if op == "hello":
        out = {"ok": {"implementation": "hostile (" + mode + ")", "protocol": 1}}
        if mode == "close-stdin":
            print(json.dumps(dict(out, id=r["id"])), flush=True)
            os.close(0)
            subprocess.run(["sleep", "100"])
        if mode == "huge-name":
            out = {"ok": {"implementation": "A" * 1000000, "protocol": 1}}
        if mode == "huge-hello":
            out = {"ok": {"name": "A" * 1000000}}
        if mode == "last-words":
            sys.stderr.write(("x" * 99 + "\n") * 5000 + "Traceback: last words\n")
            sys.stderr.flush()
            os._exit(3)
        if mode == "stderr":
            # A screen-clearing log line, then 8 MB of log.
            sys.stderr.write("\x1b[2Jhello from the driver\n" + ("x" * 999 + "\n") * 8000)
            sys.stderr.flush()
        if mode == "flood":
            # Its answer, then 10 MB of lines nobody asked for; says when all are written.
            print(json.dumps(dict(out, id=r["id"])), flush=True)
            lines = b'{"id": 0, "ok": null}\n' * 10000
            for _ in range(50):
                sys.stdout.buffer.write(lines)
                sys.stdout.buffer.flush()
            open(os.path.join(pids, "flooded"), "w").write("all written")
            continue
    elif mode == "big-answers" and op.startswith("open_"):
        out = {"ok": "A" * 1000000}
    elif mode == "exit-with-child":
        # A child that keeps the driver's standard output open, then the driver is gone.
        child = subprocess.Popen(["sleep", "100"], stdin=subprocess.DEVNULL)
        open(os.path.join(pids, "child"), "w").write(str(child.pid))
        os._exit(4)
    elif mode == "fifo-on-open" and op == "open_file":
        fifo(r["path"])
        out = {"error": {"kind": "invalid_file", "message": "no"}}
    elif mode == "lock" and op == "open_file":
        conn = sqlite3.connect(r["path"], isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS t(x)")
        conn.execute("BEGIN EXCLUSIVE")
        locks.append(conn)
        out = {"ok": {"handle": len(locks)}}
    elif op.startswith("open_"):
        paths[len(paths) + 1] = r.get("path")
        out = {"ok": {"handle": len(paths)}}
    elif mode == "fifo-on-close" and op == "close" and paths.get(r["handle"]):
        fifo(paths[r["handle"]])
    elif op not in ("close", "set", "update_peers", "save", "advance_clock"):
        out = {"error": {"kind": "unsupported", "message": "no"}}
    out["id"] = r["id"]
    print(json.dumps(out), flush=True)
"#;

/// A test's folder: the driver script, the process ids its children write, and the `TMPDIR`
/// of the run.
struct Stage {
    dir: TempDir,
}

impl Stage {
    fn new(tag: &str) -> Stage {
        let dir = TempDir::new(tag);
        std::fs::write(dir.join("driver.py"), DRIVER).unwrap();
        std::fs::create_dir(dir.join("pids")).unwrap();
        std::fs::create_dir(dir.join("tmp")).unwrap();
        Stage { dir }
    }

    fn python() -> String {
        std::env::var("PYROSESSION_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
    }

    /// The driver command line for `mode`.
    fn driver(&self, mode: &str) -> String {
        format!(
            "{} {} {mode} {}",
            Self::python(),
            self.dir.join("driver.py").display(),
            self.dir.join("pids").display()
        )
    }

    /// `pyrosession conform --json` against the driver `mode`, with `TMPDIR` in the stage, in a
    /// process group of its own that is killed if the run has not ended after `bound` (the
    /// test then fails). The report, the exit status and how long it took.
    /// The stage's driver in `mode`, started for the library's runner with `timeout`.
    fn external(&self, mode: &str, timeout: Duration) -> ExternalDriver {
        ExternalDriver::start(
            Stage::python(),
            [
                self.dir.join("driver.py"),
                PathBuf::from(mode),
                self.dir.join("pids"),
            ],
        )
        .unwrap()
        .with_timeout(timeout)
    }

    /// `pyrosession conform [EXTRA] --driver DRIVER(mode)`, its temporary files in the stage,
    /// its standard input closed: for the tests that read its text output.
    fn command(&self, mode: &str, extra: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pyrosession"));
        command
            .arg("conform")
            .args(extra)
            .args(["--driver", &self.driver(mode)])
            .env("TMPDIR", self.dir.join("tmp"))
            .stdin(Stdio::null());
        command
    }

    fn conform(&self, mode: &str, extra: &[&str], bound: Duration) -> (Value, i32, Duration) {
        use std::os::unix::process::CommandExt as _;
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_pyrosession"))
            .arg("conform")
            .arg("--json")
            .args(extra)
            .args(["--driver", &self.driver(mode)])
            .env("TMPDIR", self.dir.join("tmp"))
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        // Read as it comes: a report larger than the pipe would otherwise hold the run up.
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut out = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
            out
        });
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > bound {
                kill_group(child.id());
                let _ = child.wait();
                self.kill_children();
                panic!("{mode}: conform still runs after {bound:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let took = started.elapsed();
        let out = reader.join().unwrap();
        let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{mode}: {e}: {out}"));
        (report, status.code().unwrap_or(-1), took)
    }

    /// The process id a child of the driver wrote.
    fn child(&self) -> u32 {
        std::fs::read_to_string(self.dir.join("pids/child"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    fn kill_children(&self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("pids/child")) {
            let _ = Command::new("kill")
                .args(["-s", "KILL", pid.trim()])
                .status();
        }
    }

    /// What is left in the run's `TMPDIR`.
    fn left(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.join("tmp"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pid}")])
        .status();
}

/// Whether process `pid` still runs (a zombie does not), after waiting up to 2 s for it to end.
fn runs(pid: u32) -> bool {
    let started = Instant::now();
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
        // The state is the first field after the command's closing parenthesis.
        let alive = state.is_some_and(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
        });
        if !alive || started.elapsed() > Duration::from_secs(2) {
            return alive;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The detail of scenario `id` in a JSON report.
fn detail<'a>(report: &'a Value, id: &str) -> &'a str {
    report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no scenario {id}"))["detail"]
        .as_str()
        .unwrap()
}

/// A driver that answers `open_file` after replacing the file the runner made with a FIFO:
/// the runner's comparison of the file does not wait on the FIFO (it waited forever), says the
/// file changed, and the run ends with every scenario folder removed (spec/conformance.md §2.4).
#[test]
fn a_fifo_left_by_the_driver_does_not_hang_the_runner() {
    let stage = Stage::new("hostile-fifo");
    let (report, status, _) =
        stage.conform("fifo-on-open", &["--timeout", "5"], Duration::from_secs(90));
    assert_eq!(status, 1);
    for id in [
        "open.empty_file",
        "open.json_session",
        "open.not_sqlite",
        "open.telethon",
        "open.missing_version_row",
        "open.newer_version",
    ] {
        assert_eq!(
            detail(&report, id),
            "the file changed although opening failed (not a regular file (a FIFO))",
            "{id}"
        );
    }
    assert_eq!(stage.left(), Vec::<String>::new());
}

/// A driver that turns its file into a FIFO when it closes it: the runner's own reads of the
/// file (through the crate, and then through SQLite directly) refuse it at once; SQLite's
/// read-only open of a FIFO waited forever (spec/conformance.md §2.4, §4.3).
#[test]
fn a_file_turned_into_a_fifo_is_refused_before_sqlite_opens_it() {
    let stage = Stage::new("hostile-fifo-close");
    let (report, status, _) = stage.conform(
        "fifo-on-close",
        &["--timeout", "5"],
        Duration::from_secs(90),
    );
    assert_eq!(status, 1);
    for (id, file) in [
        ("file.new_schema", "new.session"),
        ("file.column_encodings", "e.session"),
    ] {
        let seen = detail(&report, id);
        assert!(
            seen.starts_with("the crate cannot read the file written: ")
                && seen.ends_with(&format!(
                    "/{file}: not a regular file (a FIFO), not a session file"
                )),
            "{id}: {seen}"
        );
    }
    assert_eq!(stage.left(), Vec::<String>::new());
}

/// A driver that exits (status 4) at its first request after `hello`, while a process it
/// started keeps its standard output open: the runner reports the exit with its status at once,
/// not as a timeout after 30 s, and that process is stopped with the driver's process group
/// (spec/conformance.md §2.1).
#[test]
fn a_driver_that_exits_is_reported_at_once_and_its_children_stopped() {
    let stage = Stage::new("hostile-exit");
    let (report, status, took) = stage.conform("exit-with-child", &[], Duration::from_secs(120));
    let child = stage.child();
    let child_ran = runs(child);
    if child_ran {
        stage.kill_children();
    }
    assert_eq!(status, 1);
    assert_eq!(
        detail(&report, "string.import_export_v2"),
        "driver broke the protocol: the driver exited during open_string (exit status: 4)"
    );
    assert_eq!(
        detail(&report, "string.import_legacy32"),
        "driver broke the protocol: open_string not sent: the driver exited during open_string \
         (exit status: 4)"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(!child_ran, "the driver's child {child} still runs");
    assert_eq!(stage.left(), Vec::<String>::new());
}

/// A driver that started a process of its own and exits when its input ends: that process is
/// stopped when the run ends (spec/conformance.md §2.1).
#[test]
fn the_drivers_process_group_is_stopped_at_the_end() {
    let stage = Stage::new("hostile-leave");
    let (_, status, _) = stage.conform("leave-child", &[], Duration::from_secs(120));
    let child = stage.child();
    let child_ran = runs(child);
    if child_ran {
        stage.kill_children();
    }
    assert_eq!(status, 1);
    assert!(!child_ran, "the driver's child {child} still runs");
}

/// A driver that keeps its file locked after `close`: the runner's read of it ends after the
/// time limit of one answer (3 s here, time enough for `hello` on a busy machine), as a driver
/// error, not after the crate's own wait for a busy file (5 s) (spec/conformance.md §2.4).
#[test]
fn a_check_of_the_files_ends_within_the_time_limit() {
    let stage = Stage::new("hostile-lock");
    let scenario = conform::ALL
        .iter()
        .find(|s| s.id == "file.new_schema")
        .unwrap();
    let mut driver = stage.external("lock", Duration::from_secs(3));
    let name = conform::implementation(&mut driver).unwrap();
    let started = Instant::now();
    let outcome = conform::run_one(&mut driver, &name, scenario);
    let took = started.elapsed();
    let Outcome::DriverError(seen) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        seen.starts_with("the runner's check of ")
            && seen.ends_with("/new.session did not end within 3 s"),
        "{seen}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(Path::new(&stage.dir.0).is_dir());
}

/// A driver that answers `hello` and then writes 10 MB of short lines nobody asked for: the
/// runner reads no further ahead than one line, so the driver waits on its full pipe instead of
/// the runner holding every line in memory (it read them all, 435 MB for a run of 2 s of such
/// lines; spec/conformance.md §3.1).
#[test]
fn lines_nobody_asked_for_are_not_read_ahead() {
    let stage = Stage::new("hostile-flood");
    let mut driver = stage.external("flood", Duration::from_secs(10));
    assert_eq!(
        conform::implementation(&mut driver).unwrap(),
        "hostile (flood)"
    );
    let flooded = stage.dir.join("pids/flooded");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        assert!(
            !flooded.exists(),
            "the runner read all 10 MB in {:?}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The next answer is the first of those lines, as before.
    let error = driver.call("close", r#"{"handle": 1}"#).unwrap_err();
    util::assert_message(
        &error,
        "driver broke the protocol: answer to close has id 0, expected 2",
    );
}

/// A driver that never reads its standard input, sent a request larger than the pipe holds
/// (1 MiB): writing the request is bounded by the time limit of one answer too, and the driver
/// is then stopped; the runner waited in the write without end (spec/conformance.md §2.1).
#[test]
fn a_request_the_driver_does_not_read_ends_at_the_time_limit() {
    let stage = Stage::new("hostile-unread");
    let pid_file = stage.dir.join("pids/child");
    let mut driver = ExternalDriver::start(
        Stage::python(),
        [
            "-c".into(),
            "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)"
                .into(),
            pid_file.clone().into_os_string(),
        ],
    )
    .unwrap()
    .with_timeout(Duration::from_secs(2));
    let started = Instant::now();
    while !pid_file.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let args = serde_json::json!({ "string": "A".repeat(1 << 20) }).to_string();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let result = driver.call("open_string", &args).map(drop);
        let _ = send.send((result, started.elapsed()));
    });
    let Ok((result, took)) = receive.recv_timeout(Duration::from_secs(20)) else {
        stage.kill_children();
        panic!("the request is still being written after 20 s");
    };
    let driver_ran = runs(stage.child());
    if driver_ran {
        stage.kill_children();
    }
    util::assert_message(
        &result.unwrap_err(),
        "the driver did not answer open_string within 2 s and was stopped",
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(!driver_ran, "the driver still runs");
}

/// A driver that writes a terminal escape sequence and 8 MB to its standard error: the runner
/// shows it escaped, each line marked as the driver's, and at most `MAX_STDERR` bytes of it,
/// while it reads all of it (spec/conformance.md §2.1). The driver's standard error reached the
/// runner's as it was: 8 MB, and the sequence that clears the screen.
#[test]
fn the_drivers_standard_error_is_shown_escaped_and_bounded() {
    let stage = Stage::new("hostile-stderr");
    let out = stage
        .command("stderr", &["--timeout", "10"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let shown = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.stderr.contains(&0x1b),
        "a raw escape sequence was shown"
    );
    assert!(
        shown.starts_with("driver: \\u001b[2Jhello from the driver\n"),
        "{}",
        &shown[..shown.len().min(200)]
    );
    assert!(
        shown.ends_with("driver: (the rest of its standard error is not shown)\n"),
        "{}",
        &shown[shown.len().saturating_sub(200)..]
    );
    assert!(
        out.stderr.len() < conform::MAX_STDERR + 100,
        "{} bytes shown",
        out.stderr.len()
    );
}

/// A driver that writes 500 kB to its standard error and exits: all it wrote is shown before
/// the runner's error, not cut short when the runner ends (spec/conformance.md §2.1).
#[test]
fn a_drivers_last_words_are_shown_before_the_error() {
    let stage = Stage::new("hostile-last-words");
    let out = stage
        .command("last-words", &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{}driver: Traceback: last words\npyrosession: driver broke the protocol: the driver \
             exited during hello (exit status: 3)\n",
            format!("driver: {}\n", "x".repeat(99)).repeat(5000)
        )
    );
}

/// A driver that answers every request with a string of a million characters: each detail of
/// the report quotes at most `MAX_DETAIL` characters, its beginning and its end, and says how
/// many it left out; a report of such a run was 41 MB, a line of a megabyte a scenario
/// (spec/conformance.md §5.3).
#[test]
fn a_huge_answer_is_quoted_cut_in_the_report() {
    let stage = Stage::new("hostile-big");
    let (report, status, _) = stage.conform("big-answers", &[], Duration::from_secs(300));
    assert_eq!(status, 1);
    for scenario in report["scenarios"].as_array().unwrap() {
        let detail = scenario["detail"].as_str().unwrap();
        assert!(
            detail.chars().count() <= conform::MAX_DETAIL,
            "{}: {} characters",
            scenario["id"],
            detail.chars().count()
        );
    }
    // 1,000,057 characters: 970 of its beginning, 970 of its end.
    let prefix = "driver broke the protocol: open_string gave no handle: \"";
    assert_eq!(
        detail(&report, "string.import_export_v2"),
        format!(
            "{prefix}{} … (998117 characters left out) … {}\"",
            "A".repeat(970 - prefix.len()),
            "A".repeat(969)
        )
    );
    assert!(
        detail(&report, "string.rejects_garbage").ends_with("expected a failure"),
        "{}",
        detail(&report, "string.rejects_garbage")
    );
}

/// A driver whose `hello` names no implementation and carries a million characters: the
/// runner's error quotes 200 characters of it, not a line of a megabyte (spec/conformance.md
/// §3.1).
#[test]
fn a_huge_hello_is_quoted_cut_in_the_error() {
    let stage = Stage::new("hostile-huge-hello");
    let out = stage
        .command("huge-hello", &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "pyrosession: driver broke the protocol: hello without an implementation: {{\"name\":\"{}… \
             (1000011 characters)\n",
            "A".repeat(191)
        )
    );
}

/// The longest time limit there is (`--timeout 18446744073709551615`, `Duration::MAX`) is a
/// wait without end, not a panic: the runner added it to the clock, which overflowed
/// (spec/conformance.md §2.1).
#[test]
fn the_longest_time_limit_is_no_panic() {
    let stage = Stage::new("hostile-long-limit");
    let mut driver = stage.external("fifo-on-open", Duration::MAX);
    assert_eq!(
        conform::implementation(&mut driver).unwrap(),
        "hostile (fifo-on-open)"
    );
    assert_eq!(
        driver.call("close", r#"{"handle": 1}"#).unwrap().unwrap(),
        "null"
    );
    // The runner's own checks of the files run under the same limit.
    let scenario = conform::ALL
        .iter()
        .find(|s| s.id == "file.new_schema")
        .unwrap();
    let outcome = conform::run_one(&mut driver, "hostile", scenario);
    assert!(!outcome.is_ok(), "{outcome:?}");
}

/// A driver that names its implementation with a million characters: the text report's first
/// line quotes 200 of them (spec/conformance.md §5.3).
#[test]
fn a_huge_implementation_name_is_cut_in_the_text_report() {
    let stage = Stage::new("hostile-huge-name");
    let out = stage
        .command("huge-name", &["--timeout", "10"])
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().next().unwrap(),
        format!("implementation: {}… (1000000 characters)", "A".repeat(200))
    );
}

/// A driver that closes its standard input after `hello` and runs on: the next request cannot
/// be written, which the runner said as "the driver has exited" although it had not; it is
/// named as what it is, and the driver stopped (spec/conformance.md §2.1).
#[test]
fn a_driver_that_closes_its_input_is_named_so() {
    let stage = Stage::new("hostile-close-stdin");
    let mut driver = stage.external("close-stdin", Duration::from_secs(5));
    assert_eq!(
        conform::implementation(&mut driver).unwrap(),
        "hostile (close-stdin)"
    );
    // Time for it to close its input.
    std::thread::sleep(Duration::from_secs(1));
    let started = Instant::now();
    util::assert_message(
        &driver.call("close", r#"{"handle": 1}"#).unwrap_err(),
        "driver broke the protocol: the driver closed its standard input before close and was \
         stopped",
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    util::assert_message(
        &driver.call("close", r#"{"handle": 1}"#).unwrap_err(),
        "driver broke the protocol: close not sent: the driver closed its standard input before \
         close and was stopped",
    );
}
