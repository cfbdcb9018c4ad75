//! Opening a passcode-protected Telegram Desktop folder (spec/tdata.md §4.1, issue 22): the crate
//! against opentele-ng and @mtcute/convert on the same folders, in one run, interleaved. Opening
//! one is dominated by the 100,000 rounds of PBKDF2-HMAC-SHA512 that derive the passcode's key.
//!
//! ```text
//! PYROSESSION_OPENTELE_PYTHON=/path/to/venv/bin/python \
//! PYROSESSION_MTCUTE_DIR=target/ci-node/mtcute-convert-0.29.7 \
//!     cargo bench --bench tdata_passcode
//! ```
//!
//! Three folders with one passcode: the one opentele-ng 1.5.0 wrote
//! (spec/fixtures/tdata/opentele-1.5.0-passcode), the one @mtcute/convert 0.29.7 wrote
//! (spec/fixtures/tdata/mtcute-0.29.7-passcode) and one the crate writes at the start. Each
//! library runs in one process of its own for the whole run (`benches/tdata_opentele.py`,
//! `benches/tdata_mtcute.js`; their start is not counted), told over a pipe which folder to open
//! next. In each round every folder is opened once by every side, the sides' order rotating from
//! round to round and folder to folder, so that a change of the machine's load hits every side
//! alike; `PYROSESSION_BENCH_ROUNDS` rounds (default 10), after one opening per side and folder
//! that is not counted (warm-up). Every opening is checked (the user id read). For each folder and
//! side the minimum and the median of the wall-clock times and the median CPU time per opening are
//! printed, then the crate's ratio to each library (below 1: the crate is faster). Without
//! `PYROSESSION_OPENTELE_PYTHON` or `PYROSESSION_MTCUTE_DIR` that library is left out.
#![allow(missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use pyrosession::convert::tdata::{self, Login, Passcode, ReadOptions, WriteOptions};
use pyrosession::AuthKey;

const PASSCODE: &str = "correct horse battery staple";
const USER_ID: u64 = 123_456_789;

/// The CPU time this thread has used (Linux's /proc/thread-self/schedstat, in nanoseconds);
/// `None` elsewhere.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "?".to_owned(),
        |t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// One opening: its wall-clock time and the CPU time it took (where known).
type Opening = (Duration, Option<Duration>);

/// A library in a process of its own, opening the folder each line names.
struct Library {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Library {
    fn start(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the library's process starts");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut library = Self {
            name: String::new(),
            child,
            stdin,
            stdout,
        };
        let hello = library.answer();
        library.name = format!(
            "{} ({})",
            hello["library"].as_str().expect("the library's name"),
            hello["runtime"].as_str().expect("its runtime")
        );
        library
    }

    fn answer(&mut self) -> serde_json::Value {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("the library answers");
        assert!(!line.is_empty(), "the library's process ended early");
        serde_json::from_str(&line).expect("one JSON object a line")
    }

    fn open(&mut self, folder: &Path) -> Opening {
        let stdin = self.stdin.as_mut().expect("open");
        writeln!(stdin, "{}", folder.display()).expect("the library reads its input");
        stdin.flush().expect("flushed");
        let v = self.answer();
        assert_eq!(v["user_id"], USER_ID, "{} read another account", self.name);
        let seconds = |k: &str| Duration::from_secs_f64(v[k].as_f64().expect("a number"));
        (seconds("seconds"), Some(seconds("cpu_seconds")))
    }
}

impl Drop for Library {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

enum Side {
    Crate,
    Library(Library),
}

impl Side {
    fn name(&self) -> &str {
        match self {
            Self::Crate => "pyrosession",
            Self::Library(l) => &l.name,
        }
    }

    fn open(&mut self, folder: &Path) -> Opening {
        match self {
            Self::Crate => {
                let passcode = Passcode::new(PASSCODE.as_bytes().to_vec());
                let options = ReadOptions {
                    passcode: Some(&passcode),
                    ..ReadOptions::default()
                };
                let cpu = thread_cpu();
                let start = Instant::now();
                let read = tdata::read_folder(folder, &options).expect("the folder opens");
                let took = start.elapsed();
                let cpu = thread_cpu()
                    .zip(cpu)
                    .map(|(end, start)| end.saturating_sub(start));
                assert_eq!(read.accounts[0].authorization.user_id, USER_ID);
                (took, cpu)
            }
            Self::Library(l) => l.open(folder),
        }
    }
}

fn median(mut v: Vec<Duration>) -> Option<Duration> {
    v.sort();
    v.get(v.len() / 2).copied()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[allow(clippy::too_many_lines)] // the setup, the rounds, the table and the ratios, in order
fn main() {
    // `cargo bench` passes --bench; a filter that names no benchmark here skips it.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if filter
        .iter()
        .any(|f| !"tdata_passcode".contains(f.as_str()))
    {
        return;
    }
    let rounds: usize = std::env::var("PYROSESSION_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10)
        .max(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scratch =
        std::env::temp_dir().join(format!("pyrosession-bench-tdata-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch folder");
    let passcode_file = scratch.join("passcode");
    std::fs::write(&passcode_file, PASSCODE).expect("passcode file");
    let written = scratch.join("crate-written");
    let passcode = Passcode::new(PASSCODE.as_bytes().to_vec());
    tdata::write_folder(
        &written,
        &[Login::new(USER_ID, 2, AuthKey::new([5; 256]))],
        &WriteOptions {
            passcode: Some(&passcode),
            ..WriteOptions::default()
        },
    )
    .expect("a folder is written");
    let fixtures = root.join("spec/fixtures/tdata");
    let folders: [(&str, PathBuf); 3] = [
        ("opentele-written", fixtures.join("opentele-1.5.0-passcode")),
        ("mtcute-written", fixtures.join("mtcute-0.29.7-passcode")),
        ("crate-written", written),
    ];

    let mut sides = vec![Side::Crate];
    if let Ok(python) = std::env::var("PYROSESSION_OPENTELE_PYTHON") {
        let mut command = Command::new(python);
        command
            .arg(root.join("benches/tdata_opentele.py"))
            .arg(&passcode_file);
        sides.push(Side::Library(Library::start(command)));
    }
    if let Ok(dir) = std::env::var("PYROSESSION_MTCUTE_DIR") {
        let mut command = Command::new("node");
        command
            .arg(root.join("benches/tdata_mtcute.js"))
            .arg(dir)
            .arg(&passcode_file);
        sides.push(Side::Library(Library::start(command)));
    }

    println!(
        "tdata_passcode: {} sides, {} folders, {rounds} rounds; load average {} at the start",
        sides.len(),
        folders.len(),
        load_average()
    );
    // results[folder][side]: the openings.
    let mut results: Vec<Vec<Vec<Opening>>> = vec![vec![Vec::new(); sides.len()]; folders.len()];
    for round in 0..=rounds {
        for (f, (_, folder)) in folders.iter().enumerate() {
            for k in 0..sides.len() {
                let s = (k + round + f) % sides.len();
                let opening = sides[s].open(folder);
                // Round 0 is the warm-up.
                if round > 0 {
                    results[f][s].push(opening);
                }
            }
        }
    }
    println!("tdata_passcode: load average {} at the end", load_average());

    for (f, (folder, _)) in folders.iter().enumerate() {
        for (s, side) in sides.iter().enumerate() {
            let walls: Vec<Duration> = results[f][s].iter().map(|o| o.0).collect();
            let cpus: Option<Vec<Duration>> = results[f][s].iter().map(|o| o.1).collect();
            let min = walls.iter().min().copied().unwrap_or_default();
            let cpu = cpus
                .and_then(median)
                .map_or_else(|| "?".to_owned(), |c| format!("{:.2} ms", ms(c)));
            println!(
                "tdata_passcode/{folder:<17} {:<40} min {:>8.2} ms  median {:>8.2} ms  \
                 CPU median {cpu}  ({} openings)",
                side.name(),
                ms(min),
                ms(median(walls).unwrap_or_default()),
                results[f][s].len()
            );
        }
    }
    // The crate's ratio to each library over all folders: below 1, the crate is faster.
    let all = |s: usize, pick: fn(&Opening) -> Option<Duration>| -> Vec<Duration> {
        results
            .iter()
            .flat_map(|per_side| per_side[s].iter().filter_map(pick))
            .collect()
    };
    let crate_min = all(0, |o| Some(o.0)).into_iter().min();
    let crate_median = median(all(0, |o| Some(o.0)));
    let crate_cpu = median(all(0, |o| o.1));
    for (s, side) in sides.iter().enumerate().skip(1) {
        let ratio = |a: Option<Duration>, b: Option<Duration>| {
            a.zip(b).map_or_else(
                || "?".to_owned(),
                |(a, b)| format!("{:.3}", a.as_secs_f64() / b.as_secs_f64()),
            )
        };
        println!(
            "tdata_passcode/ratio pyrosession / {:<40} min {}  median {}  CPU median {}",
            side.name(),
            ratio(crate_min, all(s, |o| Some(o.0)).into_iter().min()),
            ratio(crate_median, median(all(s, |o| Some(o.0)))),
            ratio(crate_cpu, median(all(s, |o| o.1))),
        );
    }
    drop(sides);
    let _ = std::fs::remove_dir_all(&scratch);
}
