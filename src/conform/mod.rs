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

mod corpus;
mod driver;
mod local;
mod profiles;
mod scenarios;

use driver::CallJson as _;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{json, Value};

pub use corpus::{CorpusReport, Disagreement, KindTally};
pub use driver::{
    Driver, DriverError, ExternalDriver, Failure, DEFAULT_TIMEOUT, KINDS, MAX_LINE, MAX_STDERR,
};
pub use local::LocalDriver;
pub use profiles::Profile;
pub use scenarios::{Scenario, ALL};

/// The version of the JSON report's shape (spec/conformance.md §8.5): 2 since profiles.
pub const REPORT_VERSION: u64 = 2;

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

/// The most characters of a scenario's detail a report gives (spec/conformance.md §5.3): a
/// longer one, which quotes a large answer of the driver, keeps its beginning and its end.
pub const MAX_DETAIL: usize = 2000;

/// `detail` cut to [`MAX_DETAIL`] characters: its first and last characters, and between them
/// how many were left out.
fn cut_detail(detail: String) -> String {
    let count = detail.chars().count();
    if count <= MAX_DETAIL {
        return detail;
    }
    // Room for the note, whose number has at most 20 digits.
    let keep = (MAX_DETAIL - 60) / 2;
    let left_out = count - 2 * keep;
    let head: String = detail.chars().take(keep).collect();
    let tail: String = detail.chars().skip(count - keep).collect();
    format!("{head} … ({left_out} characters left out) … {tail}")
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
    /// The scenario's profile is not among the driver's: not run, and no failure
    /// (spec/conformance.md §8.5).
    NotApplicable(String),
}

impl Outcome {
    /// Whether the run may pass with this outcome.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            Outcome::Pass | Outcome::KnownDivergence(_) | Outcome::NotApplicable(_)
        )
    }

    fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "FAIL",
            Outcome::KnownDivergence(_) => "known divergence",
            Outcome::UnexpectedPass(_) => "UNEXPECTED PASS",
            Outcome::DriverError(_) => "DRIVER ERROR",
            Outcome::NotApplicable(_) => "n/a",
        }
    }

    /// Its name in the JSON report.
    fn json_name(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::KnownDivergence(_) => "known_divergence",
            Outcome::UnexpectedPass(_) => "unexpected_pass",
            Outcome::DriverError(_) => "driver_error",
            Outcome::NotApplicable(_) => "not_applicable",
        }
    }

    /// The same outcome, its detail cut to [`MAX_DETAIL`] characters.
    fn cut(self) -> Outcome {
        match self {
            Outcome::Pass => Outcome::Pass,
            Outcome::Fail(d) => Outcome::Fail(cut_detail(d)),
            Outcome::KnownDivergence(d) => Outcome::KnownDivergence(cut_detail(d)),
            Outcome::UnexpectedPass(d) => Outcome::UnexpectedPass(cut_detail(d)),
            Outcome::DriverError(d) => Outcome::DriverError(cut_detail(d)),
            Outcome::NotApplicable(d) => Outcome::NotApplicable(cut_detail(d)),
        }
    }

    fn detail(&self) -> &str {
        match self {
            Outcome::Pass => "",
            Outcome::Fail(d)
            | Outcome::KnownDivergence(d)
            | Outcome::UnexpectedPass(d)
            | Outcome::DriverError(d)
            | Outcome::NotApplicable(d) => d,
        }
    }
}

/// The result of a run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The implementation, as its driver named itself.
    pub implementation: String,
    /// The profiles its driver declared (spec/conformance.md §8.1).
    pub profiles: Vec<Profile>,
    /// Each scenario and how it went, in order.
    pub results: Vec<(Scenario, Outcome)>,
    /// What `codec.corpus` found, when it ran (spec/conformance.md §8.4).
    pub corpus: Option<CorpusReport>,
}

impl Report {
    /// Whether everything not listed as a divergence passed, nothing listed passed, and at
    /// least one scenario ran: a driver whose profiles leave every scenario not applicable
    /// (an empty `profiles`) was judged on nothing, which is no pass (spec/conformance.md §5.3).
    #[must_use]
    pub fn ok(&self) -> bool {
        self.results.iter().all(|(_, o)| o.is_ok()) && !self.judged_nothing()
    }

    /// Whether every scenario was not applicable.
    fn judged_nothing(&self) -> bool {
        self.results
            .iter()
            .all(|(_, o)| matches!(o, Outcome::NotApplicable(_)))
    }

    /// The table for people: scenario, section, result and what was seen.
    #[must_use]
    pub fn to_text(&self) -> String {
        // One line of at most 200 of its characters, whatever the driver called itself.
        let mut out = format!(
            "implementation: {}\n",
            crate::escape::one_line(&driver::shown(&self.implementation, 200))
        );
        let _ = writeln!(out, "{:<30} {:<40} result", "scenario", "section");
        for (s, o) in &self.results {
            let detail = crate::escape::one_line(o.detail());
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
        if let Some(c) = &self.corpus {
            let _ = writeln!(
                out,
                "corpus: {} of {} strings agree with {} ({}%)",
                c.agree,
                c.inputs,
                corpus::REFERENCE,
                c.percent()
            );
            for d in &c.disagreements {
                let f = &d.first;
                let name = f["name"]
                    .as_str()
                    .map_or(String::new(), |n| format!(" {n}"));
                let _ = writeln!(
                    out,
                    "  {}: {}; first ({}{name}): {}; input {}",
                    d.class,
                    corpus::strings(d.count),
                    f["kind"].as_str().unwrap_or(""),
                    crate::escape::one_line(f["detail"].as_str().unwrap_or("")),
                    f["input"]
                );
            }
        }
        if self.judged_nothing() {
            let _ = writeln!(
                out,
                "no scenario applies to the profiles the driver declares: nothing was judged, and \
                 the run is not ok"
            );
        }
        let count = |f: fn(&Outcome) -> bool| self.results.iter().filter(|(_, o)| f(o)).count();
        let _ = writeln!(
            out,
            "{} scenarios: {} passed, {} known divergences, {} failed, {} not applicable",
            self.results.len(),
            count(|o| matches!(o, Outcome::Pass)),
            count(|o| matches!(o, Outcome::KnownDivergence(_))),
            count(|o| !o.is_ok()),
            count(|o| matches!(o, Outcome::NotApplicable(_))),
        );
        out
    }

    /// The report as JSON, one object on one line (spec/conformance.md §8.5): `report_version`,
    /// `implementation`, `profiles`, `ok`, `counts`, `scenarios` with `id`, `profile`,
    /// `section`, `summary`, `result` and `detail`, and `corpus` (`null` unless `codec.corpus`
    /// ran).
    #[must_use]
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// [`Report::to_json`]'s object, for the command's JSON output to add its `schema` to.
    pub(crate) fn to_value(&self) -> Value {
        let mut counts = serde_json::Map::new();
        for name in [
            "pass",
            "fail",
            "known_divergence",
            "unexpected_pass",
            "driver_error",
            "not_applicable",
        ] {
            let n = self
                .results
                .iter()
                .filter(|(_, o)| o.json_name() == name)
                .count();
            counts.insert(name.to_owned(), json!(n));
        }
        json!({
            "report_version": REPORT_VERSION,
            "implementation": self.implementation,
            "profiles": self.profiles.iter().map(|p| p.name()).collect::<Vec<_>>(),
            "ok": self.ok(),
            "counts": counts,
            "scenarios": self.results.iter().map(|(s, o)| json!({
                "id": s.id,
                "profile": s.profile.name(),
                "section": s.section,
                "summary": s.summary,
                "result": o.json_name(),
                "detail": o.detail(),
            })).collect::<Vec<_>>(),
            "corpus": self.corpus.as_ref().map(CorpusReport::to_value),
        })
    }
}

/// What a driver's `hello` says (spec/conformance.md §3.2, §8.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The implementation, `{distribution} {version}`.
    pub implementation: String,
    /// The profiles it implements; `storage` alone for a driver that names none (protocol 1).
    pub profiles: Vec<Profile>,
    /// Whether its sessions live on a database server rather than in SQLite files (`hello`'s
    /// `"server": true`, spec/conformance.md §8.1): the scenarios of
    /// [`SQLITE_FILE_SCENARIOS`] are then not applicable.
    pub server: bool,
}

/// The `storage` scenarios about SQLite files themselves: their schema text and bytes on disk,
/// opening files other programs made, and the naming rule's files. An implementation that keeps
/// its sessions on a database server (PostgreSQL) has none of these (spec/conformance.md §8.1).
pub const SQLITE_FILE_SCENARIOS: &[&str] = &[
    "file.new_schema",
    "file.column_encodings",
    "delete.file",
    "open.empty_file",
    "open.json_session",
    "open.not_sqlite",
    "open.telethon",
    "open.missing_version_row",
    "open.newer_version",
    "open.migrates_v2",
    "naming.memory",
    "naming.file",
];

impl Hello {
    /// Whether the scenario's profile is among the driver's, and the scenario is not about
    /// SQLite files where the driver keeps its sessions on a server.
    #[must_use]
    pub fn runs(&self, scenario: &Scenario) -> bool {
        self.profiles.contains(&scenario.profile)
            && !(self.server && SQLITE_FILE_SCENARIOS.contains(&scenario.id))
    }
}

/// Sends `hello` and reads the implementation's name and profiles. A `profiles` member that is
/// not an array of known profile names is a protocol error.
pub fn hello(driver: &mut dyn Driver) -> Result<Hello, DriverError> {
    let hello = driver.call_json("hello", json!({}))?.map_err(|f| {
        DriverError::Protocol(format!(
            "hello failed: {}",
            driver::shown(&f.to_string(), 200)
        ))
    })?;
    let implementation = hello["implementation"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            DriverError::Protocol(format!(
                "hello without an implementation: {}",
                driver::quoted(&hello)
            ))
        })?;
    let profiles = match hello.get("profiles") {
        None => vec![Profile::Storage],
        Some(Value::Array(names)) => {
            let mut profiles = Vec::new();
            for name in names {
                let profile = name.as_str().and_then(Profile::from_name).ok_or_else(|| {
                    DriverError::Protocol(format!(
                        "hello names an unknown profile {} (known: storage, string_codec, file_read, file_write)",
                        driver::quoted(name)
                    ))
                })?;
                if !profiles.contains(&profile) {
                    profiles.push(profile);
                }
            }
            profiles
        }
        Some(other) => {
            return Err(DriverError::Protocol(format!(
                "hello's profiles is not an array: {}",
                driver::quoted(other)
            )))
        }
    };
    let server = match hello.get("server") {
        None | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(other) => {
            return Err(DriverError::Protocol(format!(
                "hello's server is not true or false: {}",
                driver::quoted(other)
            )))
        }
    };
    Ok(Hello {
        implementation,
        profiles,
        server,
    })
}

/// The implementation's name, from its driver's `hello`.
pub fn implementation(driver: &mut dyn Driver) -> Result<String, DriverError> {
    hello(driver).map(|h| h.implementation)
}

/// The outcome of a scenario the driver's `hello` rules out.
fn not_applicable(hello: &Hello, scenario: &Scenario) -> Outcome {
    if hello.profiles.contains(&scenario.profile) {
        Outcome::NotApplicable(
            "about SQLite files, and the driver keeps its sessions on a server".to_owned(),
        )
    } else {
        Outcome::NotApplicable(format!(
            "the driver does not declare the profile {}",
            scenario.profile
        ))
    }
}

/// Runs one scenario in a fresh folder, judged against the divergences listed for the
/// implementation, or reports it not applicable if its profile is not the driver's.
pub fn run_scenario(driver: &mut dyn Driver, hello: &Hello, scenario: &Scenario) -> Outcome {
    run_judged(driver, hello, scenario).0
}

fn run_judged(
    driver: &mut dyn Driver,
    hello: &Hello,
    scenario: &Scenario,
) -> (Outcome, Option<CorpusReport>) {
    if !hello.runs(scenario) {
        return (not_applicable(hello, scenario), None);
    }
    run_in_folder(driver, &hello.implementation, scenario)
}

/// Runs one scenario in a fresh folder, judged against the divergences listed for the
/// implementation (whatever its profile).
pub fn run_one(driver: &mut dyn Driver, implementation: &str, scenario: &Scenario) -> Outcome {
    run_in_folder(driver, implementation, scenario).0
}

fn run_in_folder(
    driver: &mut dyn Driver,
    implementation: &str,
    scenario: &Scenario,
) -> (Outcome, Option<CorpusReport>) {
    // Absolute, as every path sent to a driver is, even where TMPDIR is relative. A new folder
    // of an unpredictable name, mode 0700, never one that exists (spec/conformance.md §2.3).
    let tmp = std::env::temp_dir();
    let tmp = std::path::absolute(&tmp).unwrap_or(tmp);
    let dir: PathBuf = match crate::fs::create_dir(&tmp, "pyrosession-conform-") {
        Ok(dir) => dir,
        Err(e) => {
            return (
                Outcome::DriverError(format!("cannot make a folder in {}: {e}", tmp.display())),
                None,
            )
        }
    };
    let mut ctx = Ctx::new(driver, dir.clone());
    let result = (scenario.run)(&mut ctx);
    let reset = ctx.reset_clock();
    if ctx.overran() {
        scenarios::release_waiting_opens(&dir);
    }
    let corpus = ctx.corpus.take();
    let outcome = judge(implementation, scenario, result, reset);
    let outcome = match crate::fs::remove_dir(&dir) {
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
    };
    (outcome.cut(), corpus)
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

/// Runs every scenario of the driver's profiles, and reports the others not applicable.
pub fn run(driver: &mut dyn Driver) -> Result<Report, DriverError> {
    let hello = hello(driver)?;
    let mut corpus = None;
    let mut results = Vec::new();
    for s in ALL {
        let (outcome, found) = run_judged(driver, &hello, s);
        corpus = corpus.or(found);
        results.push((*s, outcome));
    }
    Ok(Report {
        implementation: hello.implementation,
        profiles: hello.profiles,
        results,
        corpus,
    })
}
