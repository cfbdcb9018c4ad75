//! The conformance suite (spec/conformance.md), one named test per scenario, run against this
//! crate or, with `PYROSESSION_DRIVER="<command line>"`, against any implementation that speaks
//! the driver protocol:
//!
//! ```sh
//! cargo test --test conformance
//! PYROSESSION_DRIVER="<venv>/bin/python spec/drivers/pyrogram.py" cargo test --test conformance
//! ```
//!
//! A scenario passes when the implementation behaves as specified, or diverges exactly as
//! `spec/divergences.json` lists for it; a listed divergence that no longer happens fails.

use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Failed, Trial};
use pyrosession::conform::{
    self, Driver, DriverError, ExternalDriver, Failure, LocalDriver, Outcome, ALL,
};
use serde_json::Value;

/// The crate's own engines, presenting themselves as another implementation: checks that the
/// divergence list is enforced both ways.
struct Pretending<D> {
    inner: D,
    name: &'static str,
    break_usernames: bool,
}

impl<D: Driver> Driver for Pretending<D> {
    fn call(&mut self, op: &str, args: Value) -> Result<Result<Value, Failure>, DriverError> {
        match op {
            "hello" => Ok(Ok(
                serde_json::json!({ "implementation": self.name, "protocol": 1 }),
            )),
            "get_peer_by_username" if self.break_usernames => Ok(Err(Failure {
                kind: "not_found".into(),
                message: "broken on purpose".into(),
            })),
            _ => self.inner.call(op, args),
        }
    }
}

fn checks_of_the_checker() -> Vec<Trial> {
    vec![
        Trial::test("divergences::listed_but_passing_fails_the_run", || {
            // Pyrogram 2.0.106's listed divergences all pass on this crate's engine.
            let mut d = Pretending {
                inner: LocalDriver::new(),
                name: "pyrogram 2.0.106",
                break_usernames: false,
            };
            let report = conform::run(&mut d).map_err(|e| e.to_string())?;
            let unexpected: Vec<&str> = report
                .results
                .iter()
                .filter(|(_, o)| matches!(o, Outcome::UnexpectedPass(_)))
                .map(|(s, _)| s.id)
                .collect();
            if report.ok()
                || unexpected
                    != [
                        "peers.durable_without_save",
                        "open.newer_version",
                        "naming.memory",
                    ]
            {
                return Err(format!("expected three unexpected passes, got {unexpected:?}").into());
            }
            Ok(())
        }),
        Trial::test("divergences::unlisted_failure_fails_the_run", || {
            let mut d = Pretending {
                inner: LocalDriver::new(),
                name: "pyrosession 0.1.0",
                break_usernames: true,
            };
            let report = conform::run(&mut d).map_err(|e| e.to_string())?;
            let failed: Vec<&str> = report
                .results
                .iter()
                .filter(|(_, o)| matches!(o, Outcome::Fail(_)))
                .map(|(s, _)| s.id)
                .collect();
            if report.ok()
                || !failed.contains(&"peers.username_exact")
                || !failed.contains(&"peers.username_expiry")
            {
                return Err(format!("expected username scenarios to fail, got {failed:?}").into());
            }
            Ok(())
        }),
        Trial::test("divergences::every_scenario_entry_is_read", || {
            let text = std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/spec/divergences.json"
            ))
            .map_err(|e| e.to_string())?;
            let all: Value =
                serde_json::from_str(&text).map_err(|e| format!("spec/divergences.json: {e}"))?;
            let entries = all.as_array().ok_or("not an array")?;
            let scenario_entries = entries
                .iter()
                .filter(|e| e.get("scenario").is_some())
                .count();
            let read = conform::known_divergences();
            if read.len() != scenario_entries || read.is_empty() {
                return Err(
                    format!("{scenario_entries} scenario entries, {} read", read.len()).into(),
                );
            }
            let mut ids: Vec<&str> = entries
                .iter()
                .skip(1)
                .filter_map(|e| e["id"].as_str())
                .collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            if ids.len() != n || n + 1 != entries.len() {
                return Err("every entry needs an id of its own".into());
            }
            Ok(())
        }),
        Trial::test("divergences::every_entry_names_a_scenario", || {
            for d in conform::known_divergences() {
                if !ALL.iter().any(|s| s.id == d.scenario) {
                    return Err(
                        format!("divergence {} names no scenario: {}", d.id, d.scenario).into(),
                    );
                }
            }
            Ok(())
        }),
    ]
}

/// A driver that cannot start, or cannot say hello, is said so in one line, as the command
/// says it, not with a panic.
fn stop(e: &conform::DriverError) -> ! {
    eprintln!("conformance: {e}");
    std::process::exit(1)
}

fn main() {
    let args = Arguments::from_args();
    let command = std::env::var("PYROSESSION_DRIVER")
        .ok()
        .filter(|c| !c.trim().is_empty());
    let driver: Box<dyn Driver + Send> = match &command {
        Some(c) => match ExternalDriver::spawn(c) {
            Ok(d) => Box::new(d),
            Err(e) => stop(&e),
        },
        None => Box::new(LocalDriver::new()),
    };
    let driver = Arc::new(Mutex::new(driver));
    let implementation = match conform::implementation(&mut **driver.lock().expect("driver")) {
        Ok(i) => i,
        Err(e) => stop(&e),
    };
    eprintln!("conformance: {implementation}");
    let mut trials: Vec<Trial> = ALL
        .iter()
        .map(|scenario| {
            let driver = Arc::clone(&driver);
            let implementation = implementation.clone();
            let name = format!("conformance::{} [{}]", scenario.id, scenario.section);
            Trial::test(name, move || {
                let mut d = driver
                    .lock()
                    .map_err(|_| Failed::from("driver lock poisoned"))?;
                match conform::run_one(&mut **d, &implementation, scenario) {
                    Outcome::Pass | Outcome::KnownDivergence(_) => Ok(()),
                    other => Err(format!("{other:?}").into()),
                }
            })
        })
        .collect();
    if command.is_none() {
        trials.extend(checks_of_the_checker());
    }
    libtest_mimic::run(&args, trials).exit();
}
