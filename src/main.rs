//! The `pyrosession` command: a thin layer over the library.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pyrosession::convert::{self, Options, Target};
use pyrosession::inspect::{self, Query, Source};
use pyrosession::storage::{Storage, StorageError};
use serde_json::json;

/// Writes a line to standard output (see [`emit`]).
macro_rules! out {
    ($($arg:tt)*) => {
        emit(&format!($($arg)*), true)
    };
}

/// Writes text to standard output as it is, like [`out!`] without the line break.
macro_rules! out_raw {
    ($($arg:tt)*) => {
        emit(&format!($($arg)*), false)
    };
}

/// The first error writing standard output met, other than a closed pipe; `main` reports it
/// and fails, so that `export > backup.txt` on a full disk does not pass for a backup.
static OUTPUT_ERROR: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);

fn output_failed(e: std::io::Error) {
    // A closed stdout (`| head`) is not a failure: the rest is not wanted.
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        let mut first = OUTPUT_ERROR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        first.get_or_insert(e);
    }
}

/// Writes to standard output with control characters a file may hold (an escape sequence in a
/// username) shown escaped, never sent to the terminal.
fn emit(text: &str, newline: bool) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(terminal_safe(text).as_bytes())
        .and_then(|()| {
            if newline {
                stdout.write_all(b"\n")
            } else {
                Ok(())
            }
        });
    if let Err(e) = written {
        output_failed(e);
    }
}

/// `text` with every control character but line breaks and tabs, and the invisible characters
/// that reorder or hide text, written as `\u001b`: in JSON output (whose strings serde has
/// already escaped below U+0020) the same escape is valid JSON and reads back as the character.
fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            // Every such character is in the Basic Multilingual Plane: four digits suffice.
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[derive(Parser)]
#[command(
    name = "pyrosession",
    version,
    about = "Inspect, check, export, import and convert Pyrogram session strings and session files"
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
        session: OsString,
    },
    /// Print a session file's session string (which holds the auth key).
    Export {
        /// The session file.
        file: PathBuf,
    },
    /// Write a new Pyrogram session file from a session string; never overwrites.
    Import {
        /// A session string, a text file holding one, or - for standard input.
        session: OsString,
        /// The session file to create.
        file: PathBuf,
    },
    /// Convert a session between Pyrogram, Telethon and GramJS formats (nothing is guessed:
    /// what the target needs and the source lacks comes from the options).
    Convert {
        /// The format to write.
        #[arg(long, value_enum)]
        to: TargetArg,
        /// The application's API id (Pyrogram needs it; only Pyrogram formats hold it).
        #[arg(long)]
        api_id: Option<u32>,
        /// The account's user id (Pyrogram needs it; only Pyrogram formats hold it).
        #[arg(long)]
        user_id: Option<u64>,
        /// Whether the account is a bot: true or false (Pyrogram needs it).
        #[arg(long, value_name = "true|false")]
        is_bot: Option<bool>,
        /// Whether the session is for Telegram's test servers: true or false (needed when the
        /// server is not in the data-center table).
        #[arg(long, value_name = "true|false")]
        test_mode: Option<bool>,
        /// The server's address, for a Telethon or GramJS target when the source holds none
        /// (default: the data-center table's address for the session's DC).
        #[arg(long, value_name = "ADDRESS")]
        server: Option<String>,
        /// The server's port (default: 443, for the data-center table's addresses).
        #[arg(long)]
        port: Option<u16>,
        /// Take the data-center table's IPv6 address instead of its IPv4 one.
        #[arg(long)]
        ipv6: bool,
        /// The schema version of a Telethon file to write: 8 (Telethon 1.45) or 7 (Telethon up
        /// to 1.37, and what Telethon v2 migrates from).
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u8).range(7..=8))]
        telethon_version: u8,
        /// Replace TARGET if it exists.
        #[arg(long)]
        force: bool,
        /// A session string, a file holding one, a session file (Pyrogram or Telethon), a JSON
        /// session (Pyrogram 0.14 or earlier), or - for standard input.
        #[arg(allow_hyphen_values = true)]
        source: OsString,
        /// Where to write; a string target without it is printed on standard output.
        target: Option<PathBuf>,
    },
    /// List the peers a session file caches.
    Peers {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// The session file.
        file: PathBuf,
    },
    /// Save what a damaged session file still holds: a new Pyrogram 2.0.106 session file (or,
    /// with -, the session string) from its session row and the peers that can be read, with a
    /// report of what was lost. The damaged file is only read.
    Salvage {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The damaged session file.
        damaged: PathBuf,
        /// The session file to create (never overwritten), or - for the session string on
        /// standard output (the report then goes to standard error).
        target: PathBuf,
    },
    /// Run the conformance suite against this crate or, with --driver, another implementation.
    Conform {
        /// The driver's command line, split as a shell would (default: this crate, in process).
        #[arg(long)]
        driver: Option<String>,
        /// Seconds to wait for the driver's answer to each request before stopping it.
        #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
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

/// The formats `convert --to` writes.
#[derive(Clone, Copy, clap::ValueEnum)]
enum TargetArg {
    /// A Pyrogram session string.
    Pyrogram,
    /// A Pyrogram session file (schema version 3).
    PyrogramFile,
    /// A Telethon string session.
    Telethon,
    /// A Telethon session file.
    TelethonFile,
    /// A GramJS string session.
    Gramjs,
}

impl From<TargetArg> for Target {
    fn from(t: TargetArg) -> Target {
        match t {
            TargetArg::Pyrogram => Target::Pyrogram,
            TargetArg::PyrogramFile => Target::PyrogramFile,
            TargetArg::Telethon => Target::Telethon,
            TargetArg::TelethonFile => Target::TelethonFile,
            TargetArg::Gramjs => Target::Gramjs,
        }
    }
}

/// Reports a failure: one line on standard error and, with `--json`, an object on standard
/// output.
/// Reports a failure: one line on standard error (a message that holds line breaks, such as
/// SQLite's quoting a damaged schema, is joined with spaces), and with `json` the error as JSON.
fn fail(json: bool, message: &str, extra: Option<serde_json::Value>) -> ExitCode {
    let one_line = message.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    eprintln!("pyrosession: {}", terminal_safe(&one_line));
    if json {
        out!("{}", extra.unwrap_or_else(|| json!({ "error": message })));
    }
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let code = run(Cli::parse().command);
    if let Err(e) = std::io::Write::flush(&mut std::io::stdout()) {
        output_failed(e);
    }
    let failed = OUTPUT_ERROR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    match failed {
        Some(e) => {
            eprintln!("pyrosession: cannot write the output: {e}");
            ExitCode::FAILURE
        }
        None => code,
    }
}

fn run(command: Command) -> ExitCode {
    match command {
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
        Command::Convert {
            to,
            api_id,
            user_id,
            is_bot,
            test_mode,
            server,
            port,
            ipv6,
            telethon_version,
            force,
            source,
            target,
        } => {
            let options = Options {
                api_id,
                user_id,
                is_bot,
                test_mode,
                server,
                port,
                ipv6,
                telethon_version,
            };
            convert_cmd(&source, to.into(), &options, target.as_deref(), force)
        }
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
        Command::Salvage {
            json,
            damaged,
            target,
        } => salvage_cmd(&damaged, &target, json),
        Command::Conform {
            driver,
            timeout,
            json,
        } => conform_cmd(driver.as_deref(), timeout, json),
        Command::Resolve { json, file, query } => {
            let q = Query::parse(&query);
            if q.is_empty() {
                return fail(
                    json,
                    &format!("{query:?} names no peer: give an id, a @username or a +phone number"),
                    None,
                );
            }
            match Storage::open_file_read_only(&file).and_then(|s| q.resolve(&s)) {
                Ok(inspect::Resolved::Peer(peer)) if json => {
                    out!("{}", inspect::input_peer_to_json(&peer));
                    ExitCode::SUCCESS
                }
                Ok(inspect::Resolved::Peer(peer)) => {
                    out!("{peer}");
                    ExitCode::SUCCESS
                }
                Ok(inspect::Resolved::Me) if json => {
                    out!("{}", json!({"kind": "self"}));
                    ExitCode::SUCCESS
                }
                Ok(inspect::Resolved::Me) => {
                    out!("InputPeerSelf()");
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

/// Why an argument that names a path cannot be read as a session's file, where it would
/// otherwise be taken for a session string and fail to decode with a message about base64:
/// a directory, a FIFO or device, a broken symbolic link, or a path that does not exist but
/// looks like one (it holds a `/`, ends in `.session` or `.txt`, or is not UTF-8; no session
/// string of under 300 characters has any of these, and a longer one may hold a `/`).
fn unusable_path(arg: &OsStr) -> Option<String> {
    let path = std::path::Path::new(arg);
    if arg == "-" || arg.is_empty() {
        return None;
    }
    // The storage's own errors, so that the command says it in the storage's words.
    let owned = || path.to_path_buf();
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => Some(StorageError::IsADirectory { path: owned() }.to_string()),
        Ok(_) => Some(StorageError::NotAFile { path: owned() }.to_string()),
        Err(e) => match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() && e.kind() == std::io::ErrorKind::NotFound => {
                let target = std::fs::read_link(path).unwrap_or_default();
                Some(
                    StorageError::DanglingSymlink {
                        path: owned(),
                        target,
                    }
                    .to_string(),
                )
            }
            Ok(_) => Some(format!("cannot read {}: {e}", path.display())),
            Err(_) => {
                let looks_like_a_path = match arg.to_str() {
                    // Every session string is ASCII.
                    None => true,
                    Some(arg) => {
                        (path.extension().is_some_and(|e| {
                            e.eq_ignore_ascii_case("session") || e.eq_ignore_ascii_case("txt")
                        }) || arg.contains('/'))
                            // Below the shortest session string (351), with room for one
                            // cut short to be diagnosed as a string (spec/conversions.md §11).
                            && arg.chars().count() < 300
                    }
                };
                looks_like_a_path.then(|| format!("cannot read {}: no such file", path.display()))
            }
        },
    }
}

fn inspect_cmd(arg: &OsStr, json: bool, strict: bool, reveal_key: bool) -> ExitCode {
    if let Some(why) = unusable_path(arg) {
        return fail(json, &why, None);
    }
    let source = Source::from_arg(arg);
    if let Source::SessionFile(path) = &source {
        let report = match convert::detect_and_open(path) {
            // Detection opened and checked the file: reported as it is, not opened again.
            Ok((_, Some(storage))) => inspect::file_report(&storage),
            Ok((d, None)) => {
                return match convert::read_detected(path, &d, None) {
                    Ok(account) => foreign_report(&d, &account, json, reveal_key),
                    Err(e) => fail(json, &naming_source(&e, Some(path), None), None),
                };
            }
            // A file that begins like JSON is said to be a broken JSON session, as detection
            // says it; anything else as the storage says it: why it cannot open it.
            Err(e) if begins_with_brace(path) => {
                return fail(json, &naming_source(&e, Some(path), None), None);
            }
            Err(_) => Storage::open_file_read_only(path).and_then(|s| inspect::file_report(&s)),
        };
        return match report {
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
        Err(e) => {
            // Not a Pyrogram string: perhaps another library's string, or a JSON session.
            if let Ok(d) = convert::detect_text(&text) {
                if d.kind != convert::Kind::PyrogramString {
                    if let Ok(account) = convert::read_text(&text) {
                        return foreign_report(&d, &account, json, reveal_key);
                    }
                }
            }
            fail(json, &e.to_string(), Some(inspect::error_json(&e)))
        }
    }
}

fn foreign_report(
    d: &convert::Detected,
    account: &convert::Account,
    json: bool,
    reveal_key: bool,
) -> ExitCode {
    if json {
        out!("{}", convert::describe::to_json(d, account, reveal_key));
    } else {
        out_raw!("{}", convert::describe::to_text(d, account, reveal_key));
    }
    ExitCode::SUCCESS
}

fn convert_cmd(
    arg: &OsStr,
    target: Target,
    options: &Options,
    path: Option<&std::path::Path>,
    force: bool,
) -> ExitCode {
    if let Some(why) = unusable_path(arg) {
        return fail(false, &why, None);
    }
    // `-` is standard output for a string, as no TARGET is; never a file of that name.
    let path = match path {
        Some(p) if p.as_os_str() == "-" && target.is_file() => {
            return fail(
                false,
                &format!("--to {target} writes a file: name it (- is not a file name here)"),
                None,
            )
        }
        Some(p) if p.as_os_str() == "-" => None,
        p => p,
    };
    let file = std::path::Path::new(arg);
    let account = if arg != "-" && file.is_file() {
        convert::read_path(file)
    } else {
        match read(&Source::from_arg(arg), false) {
            // The text may hold a key: wiped once read.
            Ok(text) => convert::read_text(&zeroize::Zeroizing::new(text)),
            Err(code) => return code,
        }
    };
    let source_file = (arg != "-" && file.is_file()).then_some(file);
    let account = match account {
        Ok(a) => a,
        Err(e) => return fail(false, &naming_source(&e, source_file, path), None),
    };
    // A Pyrogram string's departures from canonical form, as import says them.
    for w in &account.warnings {
        eprintln!("pyrosession: warning: {w}");
    }
    let result = match (target.is_file(), path) {
        (true, None) => {
            return fail(
                false,
                &format!("--to {target} writes a file: name the TARGET file after SOURCE"),
                None,
            )
        }
        (true, Some(p)) => convert::write_file(&account, target, options, p, force, source_file)
            .map(|losses| (None, losses)),
        (false, p) => convert::render(&account, target, options).and_then(|r| match p {
            None => Ok((Some(r.text), r.losses)),
            Some(p) => {
                if source_file.is_some_and(|s| same_file(s, p)) {
                    return Err(convert::ConvertError::SameFile {
                        path: p.to_path_buf(),
                    });
                }
                convert::write_string_file(p, &r.text, force).map(|()| (None, r.losses))
            }
        }),
    };
    match result {
        Ok((text, losses)) => {
            for loss in &losses {
                eprintln!("pyrosession: note: {loss}");
            }
            match (text, path) {
                (Some(t), _) => out!("{}", t.as_str()),
                (None, Some(p)) => {
                    let peers = match target {
                        // What Telethon holds: a note has said what it cannot.
                        Target::TelethonFile => {
                            convert::telethon_file::entities(&account.peers, &mut Vec::new()).len()
                        }
                        Target::PyrogramFile => account.peers.len(),
                        _ => 0,
                    };
                    eprintln!(
                        "pyrosession: wrote {} ({target}, dc {}, {peers} {})",
                        p.display(),
                        account.dc_id,
                        if peers == 1 { "peer" } else { "peers" }
                    );
                }
                (None, None) => {}
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(false, &naming_source(&e, source_file, path), None),
    }
}

/// Whether the file's first byte other than white space is `{`.
fn begins_with_brace(path: &std::path::Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 256];
    std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .is_ok_and(|n| head[..n].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

/// An error's message, beginning with the source file's name where the error is about what
/// the file holds (a value out of range, a missing key, broken JSON) and names no file. An
/// error about options to pass, or one that names a file already, is left as it is.
fn naming_source(
    e: &convert::ConvertError,
    source: Option<&std::path::Path>,
    target: Option<&std::path::Path>,
) -> String {
    use convert::ConvertError as E;
    let message = e.to_string();
    let about_content = matches!(
        e,
        E::Invalid { .. }
            | E::NoAuthKey { .. }
            | E::Json { .. }
            | E::Length { .. }
            | E::Version { .. }
            | E::Base64 { .. }
            | E::Unrecognised { .. }
            | E::PyrogramString(_)
    );
    let named = |p: &std::path::Path| message.contains(&p.display().to_string());
    match source {
        Some(s) if about_content && !named(s) && !target.is_some_and(named) => {
            format!("{}: {message}", s.display())
        }
        _ => message,
    }
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

fn import_cmd(arg: &OsStr, file: &std::path::Path) -> ExitCode {
    if let Some(why) = unusable_path(arg) {
        return fail(false, &why, None);
    }
    // `-` is standard input or output everywhere else: never a file of that name.
    if file.as_os_str() == "-" {
        return fail(
            false,
            "import writes a session file: name it (- is not a file name here)",
            None,
        );
    }
    let source = Source::from_arg(arg);
    if let Source::SessionFile(p) = &source {
        return fail(
            false,
            &format!(
                "{} is a session file; import takes a session string (to copy a session file into a new Pyrogram file, use convert --to pyrogram-file)",
                p.display()
            ),
            None,
        );
    }
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

fn conform_cmd(driver: Option<&str>, timeout: u64, json: bool) -> ExitCode {
    use pyrosession::conform::{run, ExternalDriver, LocalDriver};
    let report = match driver {
        None => run(&mut LocalDriver::new()),
        Some(command) => ExternalDriver::spawn(command)
            .and_then(|d| run(&mut d.with_timeout(std::time::Duration::from_secs(timeout)))),
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

/// `salvage`: the report on standard output with a file target; with `-`, the string there and
/// the report on standard error. Exit status 0 whenever something was saved.
fn salvage_cmd(damaged: &std::path::Path, target: &std::path::Path, json: bool) -> ExitCode {
    let salvaged = match Storage::salvage(damaged) {
        Ok(s) => s,
        Err(e) => return fail(json, &e.to_string(), None),
    };
    let report = salvaged.report();
    let to_stdout = target.as_os_str() == "-";
    let written = if to_stdout {
        salvaged
            .session_string()
            .map(|s| Some(zeroize::Zeroizing::new(s)))
    } else {
        salvaged.write_file(target).map(|()| None)
    };
    let string = match written {
        Ok(s) => s,
        Err(e) => return fail(json, &e.to_string(), None),
    };
    let peers = if to_stdout { 0 } else { report.peers.saved };
    let rendered = if json {
        let mut value = report.to_json();
        value["target"] = json!(if to_stdout {
            "-".to_owned()
        } else {
            target.display().to_string()
        });
        value["peers_written"] = json!(peers);
        format!("{value}\n")
    } else if to_stdout {
        format!(
            "{}target: standard output (a session string holds no peers)\n",
            report.to_text()
        )
    } else {
        format!(
            "{}target: {} (Pyrogram 2.0.106, schema version 3, {peers} {})\n",
            report.to_text(),
            target.display(),
            if peers == 1 { "peer" } else { "peers" }
        )
    };
    match string {
        Some(s) => {
            for line in rendered.lines() {
                eprintln!("pyrosession: {}", terminal_safe(line));
            }
            out!("{}", *s);
        }
        None => out_raw!("{rendered}"),
    }
    ExitCode::SUCCESS
}
