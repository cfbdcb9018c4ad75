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
    self, Driver, DriverError, ExternalDriver, Failure, LocalDriver, Outcome, Profile, ALL,
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
    fn call(&mut self, op: &str, args: &str) -> Result<Result<String, Failure>, DriverError> {
        match op {
            "hello" => Ok(Ok(
                serde_json::json!({ "implementation": self.name, "protocol": 1 }).to_string(),
            )),
            "get_peer_by_username" if self.break_usernames => Ok(Err(Failure {
                kind: "not_found".into(),
                message: "broken on purpose".into(),
            })),
            _ => self.inner.call(op, args),
        }
    }
}

/// The crate's engines behind a `hello` that names the given profiles; with `skip_legacy32`,
/// its decoder refuses every string of 351 characters, as a codec that knows no legacy32 would.
struct Profiled {
    profiles: Value,
    skip_legacy32: bool,
}

impl Driver for Profiled {
    fn call(&mut self, op: &str, args: &str) -> Result<Result<String, Failure>, DriverError> {
        let parsed: Value =
            serde_json::from_str(args).map_err(|e| DriverError::Protocol(e.to_string()))?;
        match op {
            "hello" => Ok(Ok(serde_json::json!({
                "implementation": "profiled 1.0", "protocol": 2, "profiles": self.profiles,
            })
            .to_string())),
            "decode_string"
                if self.skip_legacy32
                    && parsed["session_string"].as_str().map(|s| s.chars().count())
                        == Some(351) =>
            {
                Ok(Err(Failure {
                    kind: "invalid_string".into(),
                    message: "no legacy32 here".into(),
                }))
            }
            _ => LocalDriver::new().call(op, args),
        }
    }
}

/// The crate's own storage behind a `hello` that says `"server": VALUE` and the `storage` profile.
struct OnServer {
    server: Value,
    inner: LocalDriver,
}

impl Driver for OnServer {
    fn call(&mut self, op: &str, args: &str) -> Result<Result<String, Failure>, DriverError> {
        match op {
            "hello" => Ok(Ok(serde_json::json!({
                "implementation": "on-server 1.0", "protocol": 2, "profiles": ["storage"],
                "server": self.server,
            })
            .to_string())),
            _ => self.inner.call(op, args),
        }
    }
}

/// How many strings of the recorded corpus have 351 characters and are accepted by Pyrogram.
fn accepted_legacy32_strings() -> Result<usize, String> {
    let recorded: Value =
        serde_json::from_str(include_str!("../spec/vectors/pyrogram_corpus.json"))
            .map_err(|e| e.to_string())?;
    Ok(recorded.as_array().ok_or("not an array")?[1..]
        .iter()
        .filter(|e| {
            e["input"].as_str().map(|s| s.chars().count()) == Some(351)
                && e["pyrogram"]["accepted"] == true
        })
        .count())
}

/// A driver whose sessions live on a server (spec/conformance.md §8.1, `"server"`).
fn checks_of_server_drivers() -> Vec<Trial> {
    vec![Trial::test(
        "profiles::a_server_driver_is_spared_exactly_the_sqlite_file_scenarios",
        || {
            // spec/conformance.md §8.1: `"server": true` makes the twelve scenarios about
            // SQLite files not applicable, with their reason, and runs every other one.
            let mut d = OnServer {
                server: serde_json::json!(true),
                inner: LocalDriver::new(),
            };
            let report = conform::run(&mut d).map_err(|e| e.to_string())?;
            let mut spared = Vec::new();
            for (s, o) in &report.results {
                match o {
                        Outcome::Pass if s.profile == Profile::Storage => {}
                        Outcome::NotApplicable(why)
                            if s.profile == Profile::Storage
                                && why == "about SQLite files, and the driver keeps its sessions on a server" =>
                        {
                            spared.push(s.id);
                        }
                        Outcome::NotApplicable(_) if s.profile != Profile::Storage => {}
                        other => return Err(format!("{}: {other:?}", s.id).into()),
                    }
            }
            if spared != conform::SQLITE_FILE_SCENARIOS || !report.ok() {
                return Err(format!("{spared:?}").into());
            }
            // false is the default; anything else is a protocol error.
            let mut d = OnServer {
                server: serde_json::json!(false),
                inner: LocalDriver::new(),
            };
            let all = conform::run(&mut d).map_err(|e| e.to_string())?;
            let passed = |r: &conform::Report| {
                r.results
                    .iter()
                    .filter(|(_, o)| matches!(o, Outcome::Pass))
                    .count()
            };
            if passed(&all) != passed(&report) + spared.len() {
                return Err(format!("{} vs {}", passed(&all), passed(&report)).into());
            }
            let mut d = OnServer {
                server: serde_json::json!("yes"),
                inner: LocalDriver::new(),
            };
            match conform::run(&mut d) {
                Err(DriverError::Protocol(e))
                    if e == "hello's server is not true or false: \"yes\"" =>
                {
                    Ok(())
                }
                other => Err(format!("{other:?}").into()),
            }
        },
    )]
}

/// `"profiles": []` is allowed, and leaves every scenario not applicable: the run judged
/// nothing, which must not read as a pass.
fn a_driver_declaring_no_profile_is_judged_on_nothing() -> Result<(), Failed> {
    let mut d = Profiled {
        profiles: serde_json::json!([]),
        skip_legacy32: false,
    };
    let report = conform::run(&mut d).map_err(|e| e.to_string())?;
    let json: serde_json::Value =
        serde_json::from_str(&report.to_json()).map_err(|e| e.to_string())?;
    let text = report.to_text();
    if report.ok()
        || json["ok"] != false
        || json["counts"]["not_applicable"] != ALL.len()
        || !text.contains("no scenario applies to the profiles the driver declares")
    {
        return Err(format!("{}\n{text}", json["counts"]).into());
    }
    Ok(())
}

/// The profiles (spec/conformance.md §8): what a driver declares decides what runs, and the
/// corpus counts each disagreement.
fn checks_of_profiles() -> Vec<Trial> {
    vec![
        Trial::test(
            "profiles::a_driver_naming_no_profiles_runs_the_storage_scenarios_alone",
            || {
                // A protocol 1 hello: the storage profile, every other scenario not applicable.
                let mut d = Pretending {
                    inner: LocalDriver::new(),
                    name: "pyrosession 0.1.0",
                    break_usernames: false,
                };
                let report = conform::run(&mut d).map_err(|e| e.to_string())?;
                for (s, o) in &report.results {
                    let storage = s.profile == Profile::Storage;
                    match o {
                        Outcome::Pass if storage => {}
                        Outcome::NotApplicable(why) if !storage => {
                            if *why
                                != format!("the driver does not declare the profile {}", s.profile)
                            {
                                return Err(format!("{}: {why}", s.id).into());
                            }
                        }
                        other => return Err(format!("{}: {other:?}", s.id).into()),
                    }
                }
                let json: serde_json::Value = serde_json::from_str(&report.to_json())?;
                if !report.ok()
                    || report.corpus.is_some()
                    || json["counts"]["not_applicable"] != ALL.len() - 33
                    || json["counts"]["pass"] != 33
                    || json["profiles"] != serde_json::json!(["storage"])
                {
                    return Err(format!("{}", json["counts"]).into());
                }
                Ok(())
            },
        ),
        Trial::test(
            "profiles::a_driver_declaring_no_profile_is_judged_on_nothing_and_not_ok",
            a_driver_declaring_no_profile_is_judged_on_nothing,
        ),
        Trial::test("profiles::an_unknown_profile_is_a_protocol_error", || {
            let mut d = Profiled {
                profiles: serde_json::json!(["string_codec", "strings"]),
                skip_legacy32: false,
            };
            match conform::run(&mut d) {
                Err(DriverError::Protocol(e))
                    if e == "hello names an unknown profile \"strings\" (known: storage, string_codec, file_read, file_write)" =>
                {
                    Ok(())
                }
                other => Err(format!("{other:?}").into()),
            }
        }),
        Trial::test(
            "profiles::the_corpus_counts_each_disagreement_by_class",
            || {
                // The crate's codec, refusing every 351-character string: the corpus scenario
                // fails, counting exactly the legacy32 strings Pyrogram accepts, and names the
                // worked example first.
                let mut d = Profiled {
                    profiles: serde_json::json!(["string_codec"]),
                    skip_legacy32: true,
                };
                let report = conform::run(&mut d).map_err(|e| e.to_string())?;
                let corpus = report.corpus.clone().ok_or("no corpus report")?;
                let legacy32 = accepted_legacy32_strings()?;
                let [d] = corpus.disagreements.as_slice() else {
                    return Err(format!("{:?}", corpus.disagreements).into());
                };
                if legacy32 == 0
                    || corpus.inputs != 10_928
                    || corpus.agree != corpus.inputs - legacy32
                    || d.class != "rejects_accepted"
                    || d.count != legacy32
                    || d.first_name() != Some("legacy32_worked_example")
                {
                    return Err(format!("{legacy32} legacy32 strings; {corpus:?}").into());
                }
                let failed: Vec<&str> = report
                    .results
                    .iter()
                    .filter(|(_, o)| matches!(o, Outcome::Fail(_)))
                    .map(|(s, _)| s.id)
                    .collect();
                if failed != ["codec.decode_legacy32", "codec.corpus"] {
                    return Err(format!("{failed:?}").into());
                }
                let json: serde_json::Value = serde_json::from_str(&report.to_json())?;
                if json["report_version"] != 2
                    || json["corpus"]["disagreements"][0]["count"] != legacy32
                    || json["corpus"]["reference"] != "pyrogram 2.0.106"
                {
                    return Err(format!("{json}").into());
                }
                Ok(())
            },
        ),
    ]
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
    let hello = match conform::hello(&mut **driver.lock().expect("driver")) {
        Ok(h) => h,
        Err(e) => stop(&e),
    };
    let profiles: Vec<&str> = hello.profiles.iter().map(|p| p.name()).collect();
    eprintln!(
        "conformance: {} (profiles: {})",
        hello.implementation,
        profiles.join(", ")
    );
    // A scenario of a profile the driver does not declare is not applicable: an ignored test
    // (spec/conformance.md §8.5).
    let mut trials: Vec<Trial> = ALL
        .iter()
        .map(|scenario| {
            let driver = Arc::clone(&driver);
            let hello = hello.clone();
            let applies = hello.runs(scenario);
            let name = format!("conformance::{} [{}]", scenario.id, scenario.section);
            Trial::test(name, move || {
                let mut d = driver
                    .lock()
                    .map_err(|_| Failed::from("driver lock poisoned"))?;
                match conform::run_scenario(&mut **d, &hello, scenario) {
                    Outcome::Pass | Outcome::KnownDivergence(_) | Outcome::NotApplicable(_) => {
                        Ok(())
                    }
                    other => Err(format!("{other:?}").into()),
                }
            })
            .with_ignored_flag(!applies)
        })
        .collect();
    if command.is_none() {
        trials.extend(checks_of_the_checker());
        trials.extend(checks_of_profiles());
        trials.extend(checks_of_server_drivers());
    }
    libtest_mimic::run(&args, trials).exit();
}
