//! The compliance oracle: one conformance suite, run against this crate or any implementation
//! that speaks the driver protocol (spec/conformance.md).
//!
//! ```no_run
//! use pyrosession::conform::{run, ExternalDriver, LocalDriver};
//!
//! // This crate's own engines...
//! let report = run(&mut LocalDriver::new())?;
//! assert!(report.ok());
//! // ...or real Pyrogram through its driver.
//! let mut pyrogram = ExternalDriver::spawn("python3 spec/drivers/pyrogram.py")?;
//! println!("{}", run(&mut pyrogram)?.to_text());
//! # Ok::<(), pyrosession::conform::DriverError>(())
//! ```

mod driver;
mod local;
pub mod scenarios;

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{json, Value};

pub use driver::{Driver, DriverError, ExternalDriver, Failure, DEFAULT_TIMEOUT, KINDS, MAX_LINE};
pub use local::LocalDriver;
pub use scenarios::{Scenario, ALL};

use scenarios::{Ctx, Fail};

/// The known divergences, as shipped in `spec/divergences.json`.
const DIVERGENCES: &str = include_str!("../../spec/divergences.json");

/// A known divergence of one implementation on one scenario (spec/conformance.md §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Its id.
    pub id: String,
    /// The implementation, as its driver names itself (`pyrogram 2.0.106`).
    pub implementation: String,
    /// The scenario.
    pub scenario: String,
    /// What the implementation does instead, and why.
    pub note: String,
}

/// Every scenario divergence listed in `spec/divergences.json`, read once.
#[must_use]
pub fn known_divergences() -> Vec<Divergence> {
    static LIST: std::sync::OnceLock<Vec<Divergence>> = std::sync::OnceLock::new();
    LIST.get_or_init(parse_divergences).clone()
}

fn parse_divergences() -> Vec<Divergence> {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(DIVERGENCES) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|d| {
            Some(Divergence {
                id: d["id"].as_str()?.to_owned(),
                implementation: d["implementation"].as_str()?.to_owned(),
                scenario: d["scenario"].as_str()?.to_owned(),
                note: d["implementation_does"].as_str().unwrap_or("").to_owned(),
            })
        })
        .collect()
}

/// How one scenario went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// As specified, and not listed as a divergence.
    Pass,
    /// Not as specified, and not listed: a failure of the run.
    Fail(String),
    /// Not as specified, as listed.
    KnownDivergence(String),
    /// As specified although listed as a divergence: the list is out of date, a failure of the
    /// run.
    UnexpectedPass(String),
    /// The driver broke: a failure of the run.
    DriverError(String),
}

impl Outcome {
    /// Whether the run may pass with this outcome.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Pass | Outcome::KnownDivergence(_))
    }

    fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "FAIL",
            Outcome::KnownDivergence(_) => "known divergence",
            Outcome::UnexpectedPass(_) => "UNEXPECTED PASS",
            Outcome::DriverError(_) => "DRIVER ERROR",
        }
    }

    fn detail(&self) -> &str {
        match self {
            Outcome::Pass => "",
            Outcome::Fail(d)
            | Outcome::KnownDivergence(d)
            | Outcome::UnexpectedPass(d)
            | Outcome::DriverError(d) => d,
        }
    }
}

/// The result of a run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The implementation, as its driver named itself.
    pub implementation: String,
    /// Each scenario and how it went, in order.
    pub results: Vec<(Scenario, Outcome)>,
}

impl Report {
    /// Whether everything not listed as a divergence passed, and nothing listed passed.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.results.iter().all(|(_, o)| o.is_ok())
    }

    /// The table for people: scenario, section, result and what was seen.
    #[must_use]
    pub fn to_text(&self) -> String {
        // One line, whatever the driver called itself.
        let mut out = format!(
            "implementation: {}\n",
            crate::inspect::one_line(&self.implementation)
        );
        let _ = writeln!(out, "{:<30} {:<40} result", "scenario", "section");
        for (s, o) in &self.results {
            let detail = crate::inspect::one_line(o.detail());
            let _ = writeln!(
                out,
                "{:<30} {:<40} {}{}{}",
                s.id,
                s.section,
                o.label(),
                if detail.is_empty() { "" } else { ": " },
                detail
            );
        }
        let count = |f: fn(&Outcome) -> bool| self.results.iter().filter(|(_, o)| f(o)).count();
        let _ = writeln!(
            out,
            "{} scenarios: {} passed, {} known divergences, {} failed",
            self.results.len(),
            count(|o| matches!(o, Outcome::Pass)),
            count(|o| matches!(o, Outcome::KnownDivergence(_))),
            count(|o| !o.is_ok()),
        );
        out
    }

    /// The report as JSON: `implementation`, `ok`, and `scenarios` with `id`, `section`,
    /// `summary`, `result` and `detail`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "implementation": self.implementation,
            "ok": self.ok(),
            "scenarios": self.results.iter().map(|(s, o)| json!({
                "id": s.id,
                "section": s.section,
                "summary": s.summary,
                "result": match o {
                    Outcome::Pass => "pass",
                    Outcome::Fail(_) => "fail",
                    Outcome::KnownDivergence(_) => "known_divergence",
                    Outcome::UnexpectedPass(_) => "unexpected_pass",
                    Outcome::DriverError(_) => "driver_error",
                },
                "detail": o.detail(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// The implementation's name, from its driver's `hello`.
pub fn implementation(driver: &mut dyn Driver) -> Result<String, DriverError> {
    let hello = driver
        .call("hello", json!({}))?
        .map_err(|f| DriverError::Protocol(format!("hello failed: {f}")))?;
    hello["implementation"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| DriverError::Protocol(format!("hello without an implementation: {hello}")))
}

/// Runs one scenario in a fresh folder, judged against the divergences listed for the
/// implementation.
pub fn run_one(driver: &mut dyn Driver, implementation: &str, scenario: &Scenario) -> Outcome {
    // Absolute, as every path sent to a driver is, even where TMPDIR is relative. A new folder
    // of an unpredictable name, mode 0700, never one that exists (spec/conformance.md §2.3).
    let tmp = std::env::temp_dir();
    let tmp = std::path::absolute(&tmp).unwrap_or(tmp);
    let dir: PathBuf = match crate::temporary::create_dir(&tmp, "pyrosession-conform-") {
        Ok(dir) => dir,
        Err(e) => {
            return Outcome::DriverError(format!("cannot make a folder in {}: {e}", tmp.display()))
        }
    };
    let mut ctx = Ctx::new(driver, dir.clone());
    let result = (scenario.run)(&mut ctx);
    let reset = ctx.reset_clock();
    if ctx.overran() {
        scenarios::release_waiting_opens(&dir);
    }
    let outcome = judge(implementation, scenario, result, reset);
    match crate::temporary::remove_dir(&dir) {
        Ok(()) => outcome,
        Err(e) => Outcome::DriverError(match outcome {
            Outcome::Pass => format!("cannot remove {}: {e}", dir.display()),
            o => format!(
                "cannot remove {}: {e} (the scenario: {}{}{})",
                dir.display(),
                o.label(),
                if o.detail().is_empty() { "" } else { ": " },
                o.detail()
            ),
        }),
    }
}

/// The outcome of a scenario that ran, judged against the divergences listed for the
/// implementation.
fn judge(
    implementation: &str,
    scenario: &Scenario,
    result: Result<(), Fail>,
    reset: Result<(), DriverError>,
) -> Outcome {
    let listed = known_divergences()
        .into_iter()
        .find(|d| d.implementation == implementation && d.scenario == scenario.id);
    match (result, reset, listed) {
        (Err(Fail::Driver(e)), _, _) | (_, Err(e), _) => Outcome::DriverError(e.to_string()),
        (Ok(()), Ok(()), None) => Outcome::Pass,
        (Ok(()), Ok(()), Some(d)) => Outcome::UnexpectedPass(format!(
            "listed as divergence {} in spec/divergences.json, but it passes: remove the entry",
            d.id
        )),
        (Err(Fail::Differs(seen)), Ok(()), None) => Outcome::Fail(seen),
        (Err(Fail::Differs(seen)), Ok(()), Some(d)) => {
            Outcome::KnownDivergence(format!("{seen} [{}]", d.id))
        }
    }
}

/// Runs every scenario against a driver.
pub fn run(driver: &mut dyn Driver) -> Result<Report, DriverError> {
    let implementation = implementation(driver)?;
    let results = ALL
        .iter()
        .map(|s| (*s, run_one(driver, &implementation, s)))
        .collect();
    Ok(Report {
        implementation,
        results,
    })
}
