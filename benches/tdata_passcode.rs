//! Opening a passcode-protected Telegram Desktop folder (spec/tdata.md §4.1, issue 22): the crate
//! against opentele-ng on the same folders, in one run. Opening one is dominated by the 100,000
//! rounds of PBKDF2-HMAC-SHA512 that derive the passcode's key.
//!
//! ```text
//! PYROSESSION_OPENTELE_PYTHON=/path/to/venv/bin/python cargo bench --bench tdata_passcode
//! ```
//!
//! Two folders: the one opentele-ng 1.5.0 wrote (spec/fixtures/tdata/opentele-1.5.0-passcode) and
//! one the crate writes at the start, with the same passcode. Each is opened `ROUNDS` times
//! (`PYROSESSION_BENCH_ROUNDS`, default 10) by the crate in this process, then by opentele-ng in
//! one Python process (`benches/tdata_opentele.py`), then by the crate again, so that a machine
//! that got busier shows as a difference between the crate's two series. Every opening is
//! checked (the user id read); the minimum and the median of each series are printed, and the
//! process CPU time of the Python side. Without `PYROSESSION_OPENTELE_PYTHON` only the crate runs.
#![allow(missing_docs)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pyrosession::convert::tdata::{self, Login, Passcode, ReadOptions, WriteOptions};
use pyrosession::AuthKey;

const PASSCODE: &str = "correct horse battery staple";

/// The CPU time this thread has used (Linux's /proc/thread-self/schedstat, in nanoseconds);
/// `None` elsewhere.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn crate_series(folder: &Path, rounds: usize, user_id: u64) -> (Vec<Duration>, Option<Duration>) {
    let passcode = Passcode::new(PASSCODE.as_bytes().to_vec());
    let options = ReadOptions {
        passcode: Some(&passcode),
        ..ReadOptions::default()
    };
    let cpu = thread_cpu();
    let series = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            let read = tdata::read_folder(folder, &options).expect("the folder opens");
            let took = start.elapsed();
            assert_eq!(read.accounts[0].authorization.user_id, user_id);
            took
        })
        .collect();
    let cpu = thread_cpu()
        .zip(cpu)
        .map(|(end, start)| end.saturating_sub(start) / u32::try_from(rounds).unwrap_or(1));
    (series, cpu)
}

fn crate_line(folder: &str, who: &str, (series, cpu): &(Vec<Duration>, Option<Duration>)) {
    line(folder, who, series);
    if let Some(cpu) = cpu {
        println!(
            "tdata_passcode/{folder:<22} {who:<34} thread CPU {:.2} ms per opening",
            cpu.as_secs_f64() * 1000.0
        );
    }
}

fn opentele_series(
    python: &str,
    folder: &Path,
    passcode_file: &Path,
    rounds: usize,
    user_id: u64,
) -> (String, Vec<Duration>, f64) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/tdata_opentele.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(folder)
        .arg(passcode_file)
        .arg(rounds.to_string())
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["user_id"], user_id, "opentele-ng read another account");
    let seconds = v["seconds"]
        .as_array()
        .expect("seconds")
        .iter()
        .map(|s| Duration::from_secs_f64(s.as_f64().expect("a number")))
        .collect();
    let name = format!(
        "{} (Python {})",
        v["library"].as_str().unwrap_or("opentele-ng"),
        v["python"].as_str().unwrap_or("?")
    );
    (name, seconds, v["cpu_seconds"].as_f64().unwrap_or(f64::NAN))
}

fn line(folder: &str, who: &str, series: &[Duration]) {
    let mut sorted = series.to_vec();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "tdata_passcode/{folder:<22} {who:<34} min {:>8.2} ms  median {:>8.2} ms  ({} rounds)",
        ms(sorted[0]),
        ms(sorted[sorted.len() / 2]),
        sorted.len()
    );
}

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
    let python = std::env::var("PYROSESSION_OPENTELE_PYTHON").ok();
    let scratch =
        std::env::temp_dir().join(format!("pyrosession-bench-tdata-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch folder");
    let passcode_file = scratch.join("passcode");
    std::fs::write(&passcode_file, PASSCODE).expect("passcode file");
    let written = scratch.join("crate-written");
    let passcode = Passcode::new(PASSCODE.as_bytes().to_vec());
    tdata::write_folder(
        &written,
        &[Login::new(123_456_789, 2, AuthKey::new([5; 256]))],
        &WriteOptions {
            passcode: Some(&passcode),
            ..WriteOptions::default()
        },
    )
    .expect("a folder is written");
    let folders: [(&str, PathBuf); 2] = [
        (
            "opentele-written",
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("spec/fixtures/tdata/opentele-1.5.0-passcode"),
        ),
        ("crate-written", written),
    ];
    for (name, folder) in &folders {
        crate_line(
            name,
            "pyrosession (1st series)",
            &crate_series(folder, rounds, 123_456_789),
        );
        if let Some(python) = &python {
            let (who, series, cpu) =
                opentele_series(python, folder, &passcode_file, rounds, 123_456_789);
            line(name, &who, &series);
            println!(
                "tdata_passcode/{name:<22} {who:<34} process CPU {:.2} ms per opening",
                cpu * 1000.0 / f64::from(u32::try_from(rounds).unwrap_or(u32::MAX))
            );
        }
        crate_line(
            name,
            "pyrosession (2nd series)",
            &crate_series(folder, rounds, 123_456_789),
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
