//! The `pyrosession` command: a thin layer over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pyrosession::inspect::{self, Query, Source};
use pyrosession::storage::Storage;
use serde_json::json;

/// Writes a line to standard output. A closed stdout (`| head`) is not an error worth a panic:
/// the rest is dropped.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Writes text to standard output as it is, like [`out!`] without the line break.
macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "pyrosession",
    version,
    about = "Inspect, check, export and import Pyrogram session strings and session files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show a session string's or session file's fields (never the auth key unless asked).
    Inspect {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Accept only canonical strings, instead of Pyrogram 2.0.106's rules.
        #[arg(long)]
        strict: bool,
        /// Show the auth key itself (in hex).
        #[arg(long)]
        reveal_key: bool,
        /// A session string, a text file holding one, a session file, or - for standard input.
        /// A string that begins with '-' goes after '--'.
        session: String,
    },
    /// Print a session file's session string (which holds the auth key).
    Export {
        /// The session file.
        file: PathBuf,
    },
    /// Write a new Pyrogram session file from a session string; never overwrites.
    Import {
        /// A session string, a text file holding one, or - for standard input.
        session: String,
        /// The session file to create.
        file: PathBuf,
    },
    /// List the peers a session file caches.
    Peers {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// The session file.
        file: PathBuf,
    },
    /// Run the conformance suite against this crate or, with --driver, another implementation.
    Conform {
        /// The driver's command line, split as a shell would (default: this crate, in process).
        #[arg(long)]
        driver: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the input peer Pyrogram would use for an id, @username or +phone.
    Resolve {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The session file.
        file: PathBuf,
        /// A marked peer id, @username or +phone number.
        #[arg(allow_hyphen_values = true)]
        query: String,
    },
}

/// Reports a failure: one line on standard error and, with `--json`, an object on standard
/// output.
fn fail(json: bool, message: &str, extra: Option<serde_json::Value>) -> ExitCode {
    eprintln!("pyrosession: {message}");
    if json {
        out!("{}", extra.unwrap_or_else(|| json!({ "error": message })));
    }
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Inspect {
            json,
            strict,
            reveal_key,
            session,
        } => inspect_cmd(&session, json, strict, reveal_key),
        Command::Export { file } => {
            match Storage::open_file_read_only(&file).and_then(|s| s.export_session_string()) {
                Ok(s) => {
                    // The string holds the key: wiped once printed.
                    let s = zeroize::Zeroizing::new(s);
                    out!("{}", *s);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(false, &e.to_string(), None),
            }
        }
        Command::Import { session, file } => import_cmd(&session, &file),
        Command::Peers { json, file } => {
            match Storage::open_file_read_only(&file).and_then(|s| s.peers()) {
                Ok(peers) if json => {
                    out!("{}", inspect::peers_to_json(&peers));
                    ExitCode::SUCCESS
                }
                Ok(peers) => {
                    out_raw!("{}", inspect::peers_to_text(&peers));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(json, &e.to_string(), None),
            }
        }
        Command::Conform { driver, json } => conform_cmd(driver.as_deref(), json),
        Command::Resolve { json, file, query } => {
            let q = Query::parse(&query);
            match Storage::open_file_read_only(&file).and_then(|s| q.resolve(&s)) {
                Ok(peer) if json => {
                    out!("{}", inspect::input_peer_to_json(&peer));
                    ExitCode::SUCCESS
                }
                Ok(peer) => {
                    out!("{peer}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(json, &e.to_string(), None),
            }
        }
    }
}

fn read(source: &Source, json: bool) -> Result<String, ExitCode> {
    source.read().map_err(|e| {
        let msg = match source {
            Source::File(p) | Source::SessionFile(p) => format!("cannot read {}: {e}", p.display()),
            _ => format!("cannot read standard input: {e}"),
        };
        fail(json, &msg, None)
    })
}

fn inspect_cmd(arg: &str, json: bool, strict: bool, reveal_key: bool) -> ExitCode {
    let source = Source::from_arg(arg);
    if let Source::SessionFile(path) = &source {
        return match Storage::open_file_read_only(path).and_then(|s| inspect::file_report(&s)) {
            Ok(r) if json => {
                out!("{}", inspect::file_to_json(&r, reveal_key));
                ExitCode::SUCCESS
            }
            Ok(r) => {
                out_raw!("{}", inspect::file_to_text(&r, reveal_key));
                ExitCode::SUCCESS
            }
            Err(e) => fail(json, &e.to_string(), None),
        };
    }
    let text = match read(&source, json) {
        Ok(t) => zeroize::Zeroizing::new(t),
        Err(code) => return code,
    };
    match inspect::decode(&text, strict) {
        Ok(decoded) => {
            if json {
                out!("{}", inspect::to_json(&decoded, reveal_key));
            } else {
                out_raw!("{}", inspect::to_text(&decoded, reveal_key));
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(json, &e.to_string(), Some(inspect::error_json(&e))),
    }
}

fn import_cmd(arg: &str, file: &std::path::Path) -> ExitCode {
    let source = Source::from_arg(arg);
    let text = match read(&source, false) {
        Ok(t) => zeroize::Zeroizing::new(t),
        Err(code) => return code,
    };
    let decoded = match pyrosession::string::decode_compat(&text) {
        Ok(d) => d,
        Err(e) => return fail(false, &e.to_string(), None),
    };
    for w in &decoded.warnings {
        eprintln!("pyrosession: warning: {w}");
    }
    match Storage::create_file_from_session(file, &decoded.session) {
        Ok(()) => {
            eprintln!(
                "pyrosession: wrote {} ({} session, dc {})",
                file.display(),
                decoded.format,
                decoded.session.dc_id
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(false, &e.to_string(), None),
    }
}

fn conform_cmd(driver: Option<&str>, json: bool) -> ExitCode {
    use pyrosession::conform::{run, ExternalDriver, LocalDriver};
    let report = match driver {
        None => run(&mut LocalDriver::new()),
        Some(command) => ExternalDriver::spawn(command).and_then(|mut d| run(&mut d)),
    };
    match report {
        Ok(r) => {
            if json {
                out!("{}", r.to_json());
            } else {
                out_raw!("{}", r.to_text());
            }
            if r.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => fail(json, &e.to_string(), None),
    }
}
