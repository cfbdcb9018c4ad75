//! The `pyrosession` command: a thin layer over the library.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pyrosession::convert::{self, Options, Target};
// Whole outputs go through the one escaping rule (spec/conversions.md §11.2).
use pyrosession::convert::{Argument, Refusal};
use pyrosession::report::{self, terminal_safe, ErrorCode, Failure};
use pyrosession::storage::{Query, Storage, StorageError, StorageErrorKind};

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

/// The first error writing standard output met, other than a closed pipe where the output is a
/// report; `main` reports it and fails, so that `export > backup.txt` on a full disk does not
/// pass for a backup (spec/conversions.md §11.3).
static OUTPUT_ERROR: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);

/// Whether standard output carries a session string (`export`, `convert` without TARGET,
/// `salvage -`): cut short it is no session, so a closed pipe is then a failure too.
static SESSION_OUTPUT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a write to standard output has failed (a closed pipe included): output that comes
/// one line at a time (`peers`) then stops.
static OUTPUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn output_closed() -> bool {
    OUTPUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

fn output_failed(e: std::io::Error) {
    OUTPUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    // A closed stdout (`| head`) is not a failure for a report: the rest is not wanted. A
    // session string that did not all arrive is.
    if e.kind() != std::io::ErrorKind::BrokenPipe
        || SESSION_OUTPUT.load(std::sync::atomic::Ordering::Relaxed)
    {
        let mut first = OUTPUT_ERROR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        first.get_or_insert(e);
    }
}

/// Writes to standard output with control characters a file may hold (an escape sequence in a
/// username) shown escaped, never sent to the terminal.
fn emit(text: &str, newline: bool) {
    emit_to(&mut std::io::stdout().lock(), text, newline);
}

/// [`emit`] into `out`, standard output or a buffer in front of it.
fn emit_to(out: &mut impl std::io::Write, text: &str, newline: bool) {
    let written = out
        .write_all(terminal_safe(text).as_bytes())
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        });
    if let Err(e) = written {
        output_failed(e);
    }
}

/// Writes a session string, and its line break, to standard output: a closed pipe is then a
/// failure, as any other error writing it (spec/conversions.md §11.3).
fn emit_session(string: &str) {
    SESSION_OUTPUT.store(true, std::sync::atomic::Ordering::Relaxed);
    emit(string, true);
}

/// A line on standard error: `pyrosession: `, a kind (`warning: `, `note: ` or nothing) and the
/// message, escaped on one line (spec/conversions.md §11.2): a line break in it, from an
/// argument or a file (or SQLite quoting a damaged schema), is written `\u000a`.
fn say(kind: &str, message: &str) {
    to_stderr(&format!(
        "pyrosession: {kind}{}\n",
        report::one_line(message)
    ));
}

/// Writes to standard error, never panicking: an error writing there (a full disk, a closed
/// pipe) is ignored, as there is nowhere left to report it, and the exit status stays the
/// work's (spec/conversions.md §11.3).
fn to_stderr(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
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
        /// Answer by exit status whether Pyrogram 2.0.106 would take it as a session: 0 if so,
        /// 3 if it is another library's session or a fork's file (1 if it cannot be read).
        #[arg(long)]
        pyrogram: bool,
        #[command(flatten)]
        folder: FolderArgs,
        /// A session string, a text file holding one, a session file, or - for standard input.
        /// A string that begins with '-' goes after '--'.
        session: OsString,
    },
    /// Print a session file's session string (which holds the auth key).
    Export {
        /// Print one JSON object instead of the string alone.
        #[arg(long)]
        json: bool,
        /// The session file.
        file: PathBuf,
    },
    /// Write a new Pyrogram session file from a session string; never overwrites.
    Import {
        /// Print one JSON object saying what was written.
        #[arg(long)]
        json: bool,
        /// A session string, a text file holding one, or - for standard input.
        session: OsString,
        /// The session file to create.
        file: PathBuf,
    },
    /// Convert a session between Pyrogram, Telethon and GramJS formats (nothing is guessed:
    /// what the target needs and the source lacks comes from the options).
    Convert {
        /// Print one JSON object saying what was written (and the string, without TARGET).
        #[arg(long)]
        json: bool,
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
        /// Replace TARGET if it exists (never a tdata folder).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        folder: FolderArgs,
        #[command(flatten)]
        new_folder: NewFolderArgs,
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
        /// Run the scenarios on this crate's PostgreSQL engine, on the server at URL (a new
        /// session for each scenario; spec/postgres.md §9), instead of its SQLite engines.
        #[cfg(feature = "postgres")]
        #[arg(long, value_name = "URL", conflicts_with = "driver")]
        postgres: Option<String>,
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
    /// Many accounts in one PostgreSQL database: import a folder of sessions, export them as
    /// session files, list them. Nothing prints a key or the address's password.
    #[cfg(feature = "postgres")]
    Fleet {
        #[command(subcommand)]
        command: FleetCommand,
    },
}

/// `fleet`'s commands.
#[cfg(feature = "postgres")]
#[derive(Subcommand)]
enum FleetCommand {
    /// Import every session of a folder (Pyrogram files of any version and fork, session
    /// strings in text files) under its file's stem; report what was imported, refused and
    /// why, names the database holds already, and accounts sharing a key. Exit status 0 when
    /// every file was imported, 1 otherwise.
    Import {
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
        /// The application's API id, for sessions of formats that do not hold it (a Pyrogram
        /// JSON session); a Pyrogram file or string is imported as it is.
        #[arg(long)]
        api_id: Option<u32>,
        /// The database's address (postgresql://... or key=value pairs).
        url: String,
        /// The folder to read (its subfolders are not).
        dir: PathBuf,
    },
    /// Write every account as a Pyrogram 2.0.106 session file DIR/NAME.session; an existing
    /// file is never overwritten. Exit status 0 when every account was written, 1 otherwise.
    Export {
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
        /// The database's address (postgresql://... or key=value pairs).
        url: String,
        /// The folder to write into.
        dir: PathBuf,
    },
    /// List the accounts: data center, user id, bot, peers cached, lease holder and time left.
    Ls {
        /// Print one JSON object a line.
        #[arg(long)]
        json: bool,
        /// The database's address (postgresql://... or key=value pairs).
        url: String,
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
    /// A new Telegram Desktop tdata folder (never over anything that exists).
    Tdata,
}

/// How to read a Telegram Desktop folder given as the session (spec/tdata.md §9.1).
#[derive(clap::Args)]
struct FolderArgs {
    /// For a Telegram Desktop folder: the account to read, by its index (inspect lists them;
    /// default: the first).
    #[arg(long, value_name = "N")]
    account: Option<u32>,
    /// For a Telegram Desktop folder with a local passcode: a file whose first line is the
    /// passcode, or - for standard input. Without it the passcode is asked for on the terminal;
    /// it is never taken on the command line.
    #[arg(long, value_name = "FILE")]
    passcode_file: Option<PathBuf>,
    /// For a Telegram Desktop folder of a Telegram Desktop started with -key NAME: that NAME.
    /// Default: data, or the one name the folder's key files have.
    #[arg(long, value_name = "NAME")]
    key_name: Option<String>,
}

/// How to write a new Telegram Desktop folder, `convert --to tdata` (spec/tdata.md §9.1).
#[derive(clap::Args)]
struct NewFolderArgs {
    /// For --to tdata: a file whose first line is the new folder's local passcode, or - for
    /// standard input; it is never taken on the command line. Default: no passcode.
    #[arg(long, value_name = "FILE", conflicts_with = "ask_new_passcode")]
    new_passcode_file: Option<PathBuf>,
    /// For --to tdata: ask for the new folder's local passcode on the terminal, twice.
    #[arg(long)]
    ask_new_passcode: bool,
    /// For --to tdata: the new folder's key file name, for a Telegram Desktop started with
    /// -key NAME (a-z, 0-9, - and _). Default: data.
    #[arg(long, value_name = "NAME")]
    new_key_name: Option<String>,
}

impl NewFolderArgs {
    /// The option given, if any.
    fn given(&self) -> Option<&'static str> {
        if self.new_passcode_file.is_some() {
            Some("--new-passcode-file")
        } else if self.ask_new_passcode {
            Some("--ask-new-passcode")
        } else if self.new_key_name.is_some() {
            Some("--new-key-name")
        } else {
            None
        }
    }
}

impl FolderArgs {
    /// The option given that reads only a folder, for a session that is not one.
    fn given(&self) -> Option<&'static str> {
        if self.account.is_some() {
            Some("--account")
        } else if self.passcode_file.is_some() {
            Some("--passcode-file")
        } else if self.key_name.is_some() {
            Some("--key-name")
        } else {
            None
        }
    }
}

impl From<TargetArg> for Target {
    fn from(t: TargetArg) -> Target {
        match t {
            TargetArg::Pyrogram => Target::Pyrogram,
            TargetArg::PyrogramFile => Target::PyrogramFile,
            TargetArg::Telethon => Target::Telethon,
            TargetArg::TelethonFile => Target::TelethonFile,
            TargetArg::Gramjs => Target::Gramjs,
            TargetArg::Tdata => Target::Tdata,
        }
    }
}

/// Reports a failure: one line on standard error (see [`say`]), and with `json` the error as
/// a JSON error object (spec/json-output.md §4): of the library error's code and kind (`&e`),
/// or of the code the command chose.
fn fail(json: bool, failure: impl Into<Failure>, message: &str) -> ExitCode {
    let failure = failure.into();
    fail_with(json, message, || report::error_to_json(failure, message))
}

/// [`fail`] with the JSON error object given, where it says more than the code and message.
fn fail_with(json: bool, message: &str, object: impl FnOnce() -> String) -> ExitCode {
    say("", message);
    if json {
        out!("{}", object());
    }
    ExitCode::FAILURE
}

/// [`fail`] for a storage error.
fn fail_storage(json: bool, e: &StorageError) -> ExitCode {
    fail(json, e, &e.to_string())
}

/// SIGINT, SIGTERM and SIGHUP remove the temporary files the command has made (a copy of the
/// key each) and end it with status 128 + the signal (spec/storage.md §2.7, rule 7). Rust runs
/// no destructor on a signal. The handler is signal-hook's: its own thread is woken by the
/// signal and does the work outside the handler (the crate forbids unsafe code). Where the
/// handler cannot be installed, the command runs as before.
#[cfg(unix)]
fn remove_temporary_files_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            pyrosession::remove_temporary_files();
            restore_echo();
            std::process::exit(128 + signal);
        }
    });
}

#[cfg(not(unix))]
fn remove_temporary_files_on_signals() {}

fn main() -> ExitCode {
    remove_temporary_files_on_signals();
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
            say("", &format!("cannot write the output: {e}"));
            ExitCode::FAILURE
        }
        None => code,
    }
}

// One arm per command: splitting the match would only scatter the commands.
#[allow(clippy::too_many_lines)]
fn run(command: Command) -> ExitCode {
    match command {
        Command::Inspect {
            json,
            strict,
            reveal_key,
            pyrogram,
            folder,
            session,
        } => match inspect_cmd(&session, &folder, json, strict, reveal_key) {
            Inspected::Failed(code) => code,
            Inspected::Pyrogram(false) if pyrogram => ExitCode::from(NO),
            Inspected::Pyrogram(_) => ExitCode::SUCCESS,
        },
        Command::Export { json, file } => {
            if let Some((code, why)) = missing_session_file(&file) {
                return fail(json, code, &why);
            }
            match Storage::open_file_read_only(&file).and_then(|s| s.export_session_string()) {
                Ok(s) => {
                    // The string holds the key: wiped once printed.
                    let s = zeroize::Zeroizing::new(s);
                    if json {
                        emit_session(&zeroize::Zeroizing::new(report::export_to_json(&s)));
                    } else {
                        emit_session(&s);
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail_storage(json, &e),
            }
        }
        Command::Import {
            json,
            session,
            file,
        } => import_cmd(&session, &file, json),
        Command::Convert {
            json,
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
            folder,
            new_folder,
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
            let paths = (target.as_deref(), &folder, &new_folder);
            convert_cmd(&source, to.into(), &options, paths, force, json)
        }
        Command::Peers { json, file } => {
            if let Some((code, why)) = missing_session_file(&file) {
                return fail(json, code, &why);
            }
            let storage = match Storage::open_file_read_only(&file) {
                Ok(s) => s,
                Err(e) => return fail_storage(json, &e),
            };
            if !json {
                out_raw!("{}", report::peers_header());
            }
            // One line a peer, written as it is read: the list is never held whole
            // (spec/json-output.md §3.2). The lines go out through a buffer, not one write
            // each; it is flushed before anything else is written (a warning, an error). A
            // closed output ends the listing.
            let mut buffer = std::io::BufWriter::new(std::io::stdout().lock());
            let listed = storage.for_each_readable_peer(|p| {
                if json {
                    emit_to(&mut buffer, &report::peer_to_json(&p), true);
                } else {
                    emit_to(&mut buffer, &report::peer_to_text(&p), false);
                }
                if output_closed() {
                    std::ops::ControlFlow::Break(())
                } else {
                    std::ops::ControlFlow::Continue(())
                }
            });
            if let Err(e) = std::io::Write::flush(&mut buffer) {
                output_failed(e);
            }
            drop(buffer);
            match listed {
                Ok(unreadable) => {
                    // Rows that cannot be read are named on standard error; the rest is listed.
                    for u in &unreadable {
                        say("warning: ", &format!("peer row not read: {u}"));
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail_storage(json, &e),
            }
        }
        Command::Salvage {
            json,
            damaged,
            target,
        } => salvage_cmd(&damaged, &target, json),
        Command::Conform {
            driver,
            #[cfg(feature = "postgres")]
            postgres,
            timeout,
            json,
        } => {
            #[cfg(feature = "postgres")]
            let local = postgres.as_deref();
            #[cfg(not(feature = "postgres"))]
            let local: Option<&str> = None;
            conform_cmd(driver.as_deref(), local, timeout, json)
        }
        #[cfg(feature = "postgres")]
        Command::Fleet { command } => fleet_cmd(command),
        Command::Resolve { json, file, query } => {
            let q = Query::parse(&query);
            if let Some((code, why)) = missing_session_file(&file) {
                return fail(json, code, &why);
            }
            match Storage::open_file_read_only(&file).and_then(|s| q.resolve(&s)) {
                Ok(resolved) if json => {
                    out!("{}", report::resolved_to_json(&resolved));
                    ExitCode::SUCCESS
                }
                Ok(resolved) => {
                    out!("{}", report::resolved_to_text(&resolved));
                    ExitCode::SUCCESS
                }
                // A query that may be a session string is not quoted unless it reads like a
                // username typed by hand: at most 32 characters, none of them upper case
                // (spec/conversions.md §11.1).
                // No such peer: the command worked, and the answer is no (exit status 3).
                Err(e)
                    if matches!(e.kind(), StorageErrorKind::NotFound(_))
                        && convert::could_be_session_string(&query)
                        && (query.chars().count() > 32
                            || query.chars().any(|c| c.is_ascii_uppercase())) =>
                {
                    fail(
                        json,
                        &e,
                        &format!(
                            "no peer found for the query (of {} characters, not shown: it may be a session string)",
                            query.chars().count()
                        ),
                    );
                    ExitCode::from(NO)
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        StorageErrorKind::NotFound(_)
                            | StorageErrorKind::UsernameExpired { .. }
                            | StorageErrorKind::MissingAccessHash { .. }
                    ) =>
                {
                    fail_storage(json, &e);
                    ExitCode::from(NO)
                }
                Err(e) => fail_storage(json, &e),
            }
        }
    }
}

fn read(argument: Argument, json: bool) -> Result<String, ExitCode> {
    let path = match &argument {
        Argument::File(f) => Some(f.path().to_path_buf()),
        _ => None,
    };
    argument.text().map_err(|e| {
        let msg = match path {
            Some(p) => format!("cannot read {}: {e}", report::shown_path(&p)),
            None => format!("cannot read standard input: {e}"),
        };
        fail(json, ErrorCode::Io, &msg)
    })
}

/// A SESSION or SOURCE argument as the library classifies it, or the failure its refusal is.
fn classify(arg: &OsStr, json: bool) -> Result<Argument, ExitCode> {
    Argument::classify(arg).map_err(|r| {
        let (code, why) = refused(&r);
        fail(json, code, &why)
    })
}

/// An argument the library refused, in the words of spec/conversions.md §11.1, with its error
/// code (SESSION, SOURCE and FILE; a file to write is worded by [`string_as_target`]).
fn refused(r: &Refusal) -> (Failure, String) {
    match r {
        Refusal::NotAFile(e) => (e.into(), e.to_string()),
        Refusal::Unreadable { path, error } => (
            ErrorCode::Io.into(),
            format!("cannot read {}: {error}", report::shown_path(path)),
        ),
        Refusal::NoSuchFile {
            path,
            did_you_mean: Some(file),
        } => (
            ErrorCode::NoSuchFile.into(),
            format!(
                "cannot read {}: no such file; did you mean {}?",
                report::shown_path(path),
                report::shown_path(file)
            ),
        ),
        Refusal::NoSuchFile { path, .. } => (
            ErrorCode::NoSuchFile.into(),
            format!("cannot read {}: no such file", report::shown_path(path)),
        ),
        Refusal::NoSuchSessionFile { path, did_you_mean } => (
            ErrorCode::NoSuchFile.into(),
            format!(
                "{}: no such session file; did you mean {}?",
                report::shown_path(path),
                report::shown_path(did_you_mean)
            ),
        ),
        Refusal::SessionString => (ErrorCode::Usage.into(), "the argument is a session string, not a session file (inspect shows what it holds; import writes a session file from it)".to_owned()),
        Refusal::MaybeSessionString { chars } => (ErrorCode::NoSuchFile.into(), format!(
            "no such session file (the argument, of {chars} characters, is not shown: it may be a session string)"
        )),
        other => (ErrorCode::Usage.into(), format!("{other:?}")),
    }
}

/// A string's error, for an argument that holds a `/` as a path does and names no file: it is
/// neither, and the argument, which may be a session string cut short, is not quoted
/// (spec/conversions.md §11.1).
fn neither(arg: &OsStr, message: String) -> String {
    if Argument::names_no_file(arg) {
        format!("no file of that name, and not a session string: {message}")
    } else {
        message
    }
}

/// Why the session file that `export`, `peers`, `resolve` or `salvage` reads is not there, where the
/// storage's message would quote an argument that may be a session string, or where the
/// operator left out `.session` (spec/conversions.md §11.1).
fn missing_session_file(file: &std::path::Path) -> Option<(Failure, String)> {
    convert::check_session_file(file).err().map(|r| refused(&r))
}

/// Why a file to write cannot be named by this argument: it is a session string (SESSION and
/// FILE swapped), which would then be quoted as the file written; or it may be one cut short: 64
/// characters or more, nearly all base64 (spec/conversions.md §11.1).
fn string_as_target(file: &std::path::Path) -> Option<String> {
    match convert::check_target(file).err()? {
        Refusal::SessionString => Some("the file to write is named by a session string (not shown): give the session first, then the file".to_owned()),
        Refusal::MaybeSessionString { chars } => Some(format!(
            "the file to write is named by what may be a session string (of {chars} characters, not shown): give the session first, then the file, whose name is not 64 characters or more of base64"
        )),
        other => Some(refused(&other).1),
    }
}

/// The exit status of a command that worked and whose answer is no: `inspect --pyrogram` of a
/// session Pyrogram 2.0.106 does not take, `resolve` of a peer the file does not hold
/// (spec/conversions.md §11.4).
const NO: u8 = 3;

/// What `inspect` found: a report was printed, of a session Pyrogram 2.0.106 takes or not; or
/// it failed, with this exit status.
enum Inspected {
    Pyrogram(bool),
    Failed(ExitCode),
}

impl From<ExitCode> for Inspected {
    fn from(code: ExitCode) -> Self {
        Inspected::Failed(code)
    }
}

fn inspect_cmd(
    arg: &OsStr,
    folder: &FolderArgs,
    json: bool,
    strict: bool,
    reveal_key: bool,
) -> Inspected {
    let argument = match classify(arg, json) {
        Ok(a) => a,
        Err(code) => return code.into(),
    };
    if let Err(code) = folder_options_fit(&argument, folder, json) {
        return code.into();
    }
    let file = match argument {
        Argument::File(file) if file.is_session_file() => file,
        Argument::TdataFolder(path) => return inspect_folder(&path, folder, json, reveal_key),
        other => return inspect_text(arg, other, json, strict, reveal_key),
    };
    let path = &file.path().to_path_buf();
    match report::inspect_file(file) {
        Ok(inspection) => print_inspection(&inspection, json, reveal_key),
        Err(report::InspectError::Storage(e)) => fail_storage(json, &e).into(),
        Err(report::InspectError::Convert(e)) => fail_convert(json, e, Some(path)).into(),
        Err(report::InspectError::Decode(e)) => fail(json, &e, &e.to_string()).into(),
    }
}

/// Prints `inspect`'s report.
fn print_inspection(inspection: &report::Inspection, json: bool, reveal_key: bool) -> Inspected {
    if json {
        out!("{}", inspection.to_json(reveal_key));
    } else {
        out_raw!("{}", inspection.to_text(reveal_key));
    }
    Inspected::Pyrogram(inspection.opened_by_pyrogram())
}

/// `--account` and `--passcode-file` read a Telegram Desktop folder: given for another
/// session, they are a usage error.
fn folder_options_fit(
    argument: &Argument,
    folder: &FolderArgs,
    json: bool,
) -> Result<(), ExitCode> {
    match (argument, folder.given()) {
        (Argument::TdataFolder(_), _) | (_, None) => Ok(()),
        (_, Some(option)) => Err(fail(
            json,
            ErrorCode::Usage,
            &format!("{option} reads a Telegram Desktop folder, and the session given is not one"),
        )),
    }
}

/// A Telegram Desktop folder read (spec/tdata.md §9.1, [`convert::read_tdata`]), with the
/// passcode from `--passcode-file` or, where the folder needs one and none was given, asked for
/// on the terminal: the account chosen (`--account`, else the first), or the failure said.
fn read_folder(
    path: &std::path::Path,
    folder: &FolderArgs,
    json: bool,
) -> Result<(convert::FolderRead, convert::Account), ExitCode> {
    use convert::tdata::{Passcode, TdataErrorKind};
    use convert::{ConvertErrorKind, FolderChoice};
    let failed = |e: convert::ConvertError| fail_convert(json, e, Some(path));
    let passcode = match &folder.passcode_file {
        None => None,
        Some(file) => Some(read_passcode(file).map_err(|e| {
            let from = if file.as_os_str() == "-" {
                "standard input".to_owned()
            } else {
                report::shown_path(file)
            };
            fail(
                json,
                ErrorCode::Io,
                &format!("cannot read the passcode from {from}: {e}"),
            )
        })?),
    };
    let read = |passcode: Option<&Passcode>| {
        let choice = FolderChoice {
            account: folder.account,
            passcode,
            key_file: folder.key_name.as_deref(),
        };
        convert::read_tdata(path, choice)
    };
    let (read, account) = match read(passcode.as_ref()) {
        Err(e)
            if passcode.is_none()
                && matches!(
                    e.kind(),
                    ConvertErrorKind::Tdata(TdataErrorKind::PasscodeNeeded)
                )
                && can_prompt() =>
        {
            let asked = prompt_passcode(path).map_err(|e| {
                fail(
                    json,
                    ErrorCode::Io,
                    &format!("cannot ask for the passcode on the terminal: {e}"),
                )
            })?;
            read(Some(&asked))
        }
        read => read,
    }
    .map_err(failed)?;
    for w in report::tdata_warnings(&read.tdata) {
        say("warning: ", &w);
    }
    Ok((read, account))
}

/// The passcode from `--passcode-file`: the file's first line, or standard input's.
fn read_passcode(file: &std::path::Path) -> std::io::Result<convert::tdata::Passcode> {
    use convert::tdata::Passcode;
    if file.as_os_str() != "-" {
        return Passcode::read_line(std::fs::File::open(file)?);
    }
    // Standard input unbuffered, through a descriptor of its own: std's buffer of it would
    // keep a copy of the passcode that nothing wipes.
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        let fd = std::io::stdin().as_fd().try_clone_to_owned()?;
        Passcode::read_line(std::fs::File::from(fd))
    }
    #[cfg(not(unix))]
    Passcode::read_line(std::io::stdin().lock())
}

/// Whether the passcode can be asked for: standard input is a terminal.
fn can_prompt() -> bool {
    use std::io::IsTerminal as _;
    cfg!(unix) && std::io::stdin().is_terminal()
}

/// Whether the terminal's echo is off while the passcode is typed: a signal that ends the
/// command turns it back on.
static ECHO_OFF: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns the terminal's echo on or off with `stty` (the crate forbids the unsafe code that
/// `tcsetattr` needs, and takes no dependency for it).
fn set_echo(tty: &std::fs::File, on: bool) -> std::io::Result<()> {
    let status = std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(tty.try_clone()?)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    ECHO_OFF.store(!on && status.success(), std::sync::atomic::Ordering::SeqCst);
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "stty {} failed ({status})",
            if on { "echo" } else { "-echo" }
        )))
    }
}

/// Turns the terminal's echo back on, where the command turned it off.
fn restore_echo() {
    if ECHO_OFF.load(std::sync::atomic::Ordering::SeqCst) {
        if let Ok(tty) = std::fs::File::options()
            .read(true)
            .write(true)
            .open("/dev/tty")
        {
            let _ = set_echo(&tty, true);
        }
    }
}

/// Asks for the folder's passcode on the terminal, its echo off: the prompt on the terminal
/// once the echo is off, then one line read from it, a byte at a time.
fn prompt_passcode(path: &std::path::Path) -> std::io::Result<convert::tdata::Passcode> {
    prompt_line(&format!(
        "pyrosession: passcode of {} (not shown): ",
        report::shown_path(path)
    ))
}

/// Asks on the terminal with `prompt`, its echo off, and reads one line from it.
fn prompt_line(prompt: &str) -> std::io::Result<convert::tdata::Passcode> {
    use std::io::Write as _;
    let tty = std::fs::File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    set_echo(&tty, false)?;
    let read = (&tty)
        .write_all(prompt.as_bytes())
        .and_then(|()| convert::tdata::Passcode::read_line(&tty));
    let restored = set_echo(&tty, true);
    let _ = (&tty).write_all(b"\n");
    let passcode = read?;
    restored.map(|()| passcode)
}

/// `inspect` of a Telegram Desktop folder: the account chosen, and what the folder holds.
fn inspect_folder(
    path: &std::path::Path,
    folder: &FolderArgs,
    json: bool,
    reveal_key: bool,
) -> Inspected {
    match read_folder(path, folder, json) {
        Ok((read, account)) => print_inspection(
            &report::Inspection::Folder(Box::new(read), Box::new(account)),
            json,
            reveal_key,
        ),
        Err(code) => code.into(),
    }
}

/// `inspect` of a session string: the argument, standard input, or a text file.
fn inspect_text(
    arg: &OsStr,
    argument: Argument,
    json: bool,
    strict: bool,
    reveal_key: bool,
) -> Inspected {
    let text = match read(argument, json) {
        Ok(t) => zeroize::Zeroizing::new(t),
        Err(code) => return code.into(),
    };
    match report::inspect_text(&text, strict) {
        Ok(inspection) => print_inspection(&inspection, json, reveal_key),
        Err(report::InspectError::Decode(e)) => {
            let message = neither(arg, e.to_string());
            fail_with(json, &message, || {
                report::decode_error_to_json(&e, &message)
            })
            .into()
        }
        Err(report::InspectError::Convert(e)) => fail(json, &e, &e.to_string()).into(),
        Err(report::InspectError::Storage(e)) => fail_storage(json, &e).into(),
    }
}

fn convert_cmd(
    arg: &OsStr,
    target: Target,
    options: &Options,
    (path, folder, new_folder): (Option<&std::path::Path>, &FolderArgs, &NewFolderArgs),
    force: bool,
    json: bool,
) -> ExitCode {
    let argument = match classify(arg, json) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if let Err(code) = folder_options_fit(&argument, folder, json) {
        return code;
    }
    if let Err(code) = new_folder_options_fit(arg, target, folder, new_folder, json) {
        return code;
    }
    if force && target == Target::Tdata {
        return fail(
            json,
            ErrorCode::Usage,
            "--to tdata writes only a new folder, never over anything: --force does not apply",
        );
    }
    // `-` is standard output for a string, as no TARGET is; never a file of that name.
    let path = match path {
        Some(p) if p.as_os_str() == "-" && target.is_file() => {
            return fail(
                json,
                ErrorCode::Usage,
                &format!(
                    "--to {target} writes a {0}: name it (- is not a {0} name here)",
                    written_kind(target)
                ),
            )
        }
        Some(p) if p.as_os_str() == "-" => None,
        p => p,
    };
    let (account, source_file) = match convert_source(arg, argument, folder, json) {
        Ok(read) => read,
        Err(code) => return code,
    };
    let source_file = source_file.as_deref();
    if let Some(why) = path.and_then(string_as_target) {
        return fail(json, ErrorCode::Usage, &why);
    }
    // A Pyrogram string's departures from canonical form, as import says them.
    for w in &account.warnings {
        say("warning: ", &w.to_string());
    }
    if target.is_file() && path.is_none() {
        return fail(
            json,
            ErrorCode::Usage,
            &format!(
                "--to {target} writes a {0}: name the TARGET {0} after SOURCE",
                written_kind(target)
            ),
        );
    }
    let result = match (target, path) {
        (Target::Tdata, Some(p)) => {
            match new_folder_written(&account, options, p, new_folder, source_file, json) {
                Ok(produced) => produced,
                Err(code) => return code,
            }
        }
        _ => convert::produce(&account, target, options, path, force, source_file),
    };
    match result {
        Ok(convert::Produced {
            text,
            losses,
            peers,
        }) => {
            for loss in &losses {
                say("note: ", &loss.to_string());
            }
            if let (Some(p), None) = (path, &text) {
                say(
                    "",
                    &wrote_converted(p, target, account.dc_id, peers.unwrap_or(0)),
                );
            }
            if json {
                let object = report::convert_to_json(
                    target,
                    path,
                    text.as_deref().map(String::as_str),
                    &account,
                    peers,
                    &losses,
                );
                // With the string in it, the object holds the key: wiped once printed.
                let object = zeroize::Zeroizing::new(object);
                if text.is_some() {
                    emit_session(&object);
                } else {
                    out!("{}", object.as_str());
                }
            } else if let Some(t) = text {
                emit_session(t.as_str());
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail_convert(json, e, source_file),
    }
}

/// `convert --to tdata`: the new folder written, with the passcode and key file name asked for;
/// or the failure to get the passcode, said.
fn new_folder_written(
    account: &convert::Account,
    options: &Options,
    path: &std::path::Path,
    new_folder: &NewFolderArgs,
    source: Option<&std::path::Path>,
    json: bool,
) -> Result<Result<convert::Produced, convert::ConvertError>, ExitCode> {
    let passcode = new_passcode(path, new_folder, json)?;
    let write = convert::tdata::WriteOptions {
        passcode: passcode.as_ref(),
        key_file: new_folder
            .new_key_name
            .as_deref()
            .unwrap_or(convert::tdata::DEFAULT_KEY_FILE),
    };
    Ok(
        convert::write_tdata(account, options, path, source, &write).map(|losses| {
            convert::Produced {
                text: None,
                losses,
                peers: Some(account.peers.len()),
            }
        }),
    )
}

/// The options that write a new folder are for `--to tdata` only, and standard input gives one
/// thing: the source, or a passcode.
fn new_folder_options_fit(
    arg: &OsStr,
    target: Target,
    folder: &FolderArgs,
    new_folder: &NewFolderArgs,
    json: bool,
) -> Result<(), ExitCode> {
    let usage = |why: &str| Err(fail(json, ErrorCode::Usage, why));
    if let (Some(option), false) = (new_folder.given(), target == Target::Tdata) {
        return usage(&format!(
            "{option} is for a new Telegram Desktop folder: it goes with --to tdata"
        ));
    }
    let stdin = |p: &Option<PathBuf>| p.as_ref().is_some_and(|p| p.as_os_str() == "-");
    if stdin(&new_folder.new_passcode_file) {
        if arg == "-" {
            return usage("standard input gives the session (-): --new-passcode-file - cannot read it too; give the passcode in a file");
        }
        if stdin(&folder.passcode_file) {
            return usage("--passcode-file - and --new-passcode-file - both read standard input: give one of them a file");
        }
    }
    if let Some(name) = &new_folder.new_key_name {
        use convert::tdata::{telegram_key_name, TdataErrorKind};
        let telegram = telegram_key_name(name);
        if name.is_empty() || telegram != *name {
            let kind = if name.is_empty() {
                TdataErrorKind::KeyFileName
            } else {
                TdataErrorKind::KeyNameNotTelegrams {
                    name: name.clone(),
                    telegram,
                }
            };
            return Err(fail_convert(
                json,
                convert::ConvertErrorKind::Tdata(kind).into(),
                None,
            ));
        }
    }
    if new_folder.ask_new_passcode && !can_prompt() {
        return usage("--ask-new-passcode asks on a terminal, and standard input is not one: give --new-passcode-file FILE (- for standard input)");
    }
    Ok(())
}

/// The new folder's passcode: from `--new-passcode-file`, or asked twice on the terminal
/// (`--ask-new-passcode`); none without either. An empty one is refused: a folder without a
/// passcode is written without the options.
fn new_passcode(
    path: &std::path::Path,
    new_folder: &NewFolderArgs,
    json: bool,
) -> Result<Option<convert::tdata::Passcode>, ExitCode> {
    let passcode = if let Some(file) = &new_folder.new_passcode_file {
        read_passcode(file).map_err(|e| {
            let from = if file.as_os_str() == "-" {
                "standard input".to_owned()
            } else {
                report::shown_path(file)
            };
            fail(
                json,
                ErrorCode::Io,
                &format!("cannot read the new folder's passcode from {from}: {e}"),
            )
        })?
    } else if new_folder.ask_new_passcode {
        let ask = |again: bool| {
            prompt_line(&format!(
                "pyrosession: {} passcode of the new folder {} (not shown): ",
                if again { "again, the" } else { "the" },
                report::shown_path(path)
            ))
            .map_err(|e| {
                fail(
                    json,
                    ErrorCode::Io,
                    &format!("cannot ask for the passcode on the terminal: {e}"),
                )
            })
        };
        let first = ask(false)?;
        let second = ask(true)?;
        if !first.matches(&second) {
            return Err(fail(
                json,
                ErrorCode::InvalidOption,
                "the two passcodes typed differ; nothing written",
            ));
        }
        first
    } else {
        return Ok(None);
    };
    if passcode.is_empty() {
        return Err(fail(
            json,
            ErrorCode::InvalidOption,
            "the new folder's passcode is empty: a folder without a passcode is written without --new-passcode-file or --ask-new-passcode",
        ));
    }
    Ok(Some(passcode))
}

/// `convert`'s SOURCE read into the hub, with the file or folder it names; or the failure
/// said.
fn convert_source(
    arg: &OsStr,
    argument: Argument,
    folder: &FolderArgs,
    json: bool,
) -> Result<(convert::Account, Option<PathBuf>), ExitCode> {
    let source_file = match &argument {
        Argument::File(f) => Some(f.path().to_path_buf()),
        Argument::TdataFolder(p) => Some(p.clone()),
        _ => None,
    };
    // The text may hold a key: wiped once read.
    let text;
    let source = match argument {
        Argument::File(f) => convert::Source::File(f),
        Argument::TdataFolder(p) => {
            return read_folder(&p, folder, json).map(|(_, a)| (a, Some(p)))
        }
        other => {
            text = zeroize::Zeroizing::new(read(other, json)?);
            convert::Source::Text(&text)
        }
    };
    match convert::read_source(source) {
        Ok(read) => Ok((read.account, source_file)),
        Err(e) if source_file.is_none() => Err(fail(json, &e, &neither(arg, e.to_string()))),
        Err(e) => Err(fail_convert(json, e, source_file.as_deref())),
    }
}

/// What a target written to a path is: a folder for `--to tdata`, else a file.
fn written_kind(target: Target) -> &'static str {
    if target == Target::Tdata {
        "folder"
    } else {
        "file"
    }
}

/// What `convert` says it wrote to a file.
fn wrote_converted(path: &std::path::Path, target: Target, dc_id: u8, peers: usize) -> String {
    format!(
        "wrote {} ({target}, dc {dc_id}, {peers} {})",
        report::shown_path(path),
        if peers == 1 { "peer" } else { "peers" }
    )
}

/// [`fail`] for a conversion's error, said as [`convert_message`] says it.
fn fail_convert(
    json: bool,
    e: convert::ConvertError,
    source: Option<&std::path::Path>,
) -> ExitCode {
    let failure = Failure::from(&e);
    fail(json, failure, &convert_message(e, source))
}

/// A conversion's error as the command says it: naming `source`, the file read, where the
/// error is about what it holds (the library decides, `ConvertError::at`), and the options to
/// pass (`report::with_flags`).
fn convert_message(e: convert::ConvertError, source: Option<&std::path::Path>) -> String {
    report::with_flags(&e.at(source))
}

fn import_cmd(arg: &OsStr, file: &std::path::Path, json: bool) -> ExitCode {
    let argument = match classify(arg, json) {
        Ok(a) => a,
        Err(code) => return code,
    };
    // `-` is standard input or output everywhere else: never a file of that name.
    if file.as_os_str() == "-" {
        return fail(
            json,
            ErrorCode::Usage,
            "import writes a session file: name it (- is not a file name here)",
        );
    }
    if let Some(why) = string_as_target(file) {
        return fail(json, ErrorCode::Usage, &why);
    }
    if file.is_dir() {
        return fail(
            json,
            ErrorCode::NotAFile,
            &format!(
                "{}: is a directory; name the session file to create (in it, as {}/NAME.session)",
                report::shown_path(file),
                report::shown_path(file)
            ),
        );
    }
    if let Argument::TdataFolder(p) = &argument {
        return fail(
            json,
            ErrorCode::OtherFormat,
            &format!(
                "{} is a Telegram Desktop folder; import takes Pyrogram's strings: convert --to pyrogram-file writes a Pyrogram session file from it",
                report::shown_path(p)
            ),
        );
    }
    if let Argument::File(f) = &argument {
        if f.is_session_file() {
            return fail(
                json,
                ErrorCode::Usage,
                &format!(
                    "{} is a session file; import takes a session string (to copy a session file into a new Pyrogram file, use convert --to pyrogram-file)",
                    report::shown_path(f.path())
                ),
            );
        }
    }
    let text = match read(argument, json) {
        Ok(t) => zeroize::Zeroizing::new(t),
        Err(code) => return code,
    };
    let decoded = match convert::import_string(&text) {
        Ok(d) => d,
        // Another library's session: convert writes a Pyrogram file from it.
        Err(e) if e.other.is_some() => {
            return fail(
                json,
                ErrorCode::OtherFormat,
                &format!("{e}; import takes Pyrogram's strings: convert --to pyrogram-file writes a Pyrogram session file from this one"),
            )
        }
        Err(e) => {
            let message = neither(arg, e.to_string());
            return fail_with(json, &message, || {
                report::decode_error_to_json(&e.error, &message)
            });
        }
    };
    for w in &decoded.warnings {
        say("warning: ", &w.to_string());
    }
    match convert::import(&decoded, file) {
        Ok(imported) => {
            say(
                "",
                &format!(
                    "wrote {} ({} session, dc {})",
                    report::shown_path(file),
                    imported.format,
                    imported.dc_id
                ),
            );
            let note = client_name_note(&imported);
            if let Some(note) = &note {
                say("note: ", note);
            }
            if json {
                let notes: Vec<String> = note.into_iter().collect();
                out!("{}", report::import_to_json(file, &decoded, &notes));
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail_storage(json, &e),
    }
}

/// Pyrogram's `Client("NAME")` opens `NAME.session` in its working directory: a file named
/// otherwise is found by no client, which a note says (spec/conversions.md §11.1).
fn client_name_note(imported: &convert::Imported) -> Option<String> {
    let c = imported.unfound_by.as_ref()?;
    Some(format!(
        "Pyrogram's Client(\"{}\") opens {}.session, not {}: rename the file to {}.session for Pyrogram to find it",
        c.stem, c.stem, c.name, c.stem
    ))
}

/// `conform`: with `postgres`, the in-process driver on the PostgreSQL engine at that address.
fn conform_cmd(driver: Option<&str>, postgres: Option<&str>, timeout: u64, json: bool) -> ExitCode {
    use pyrosession::conform::{run, ExternalDriver, LocalDriver};
    let report = match (driver, postgres) {
        (Some(command), _) => ExternalDriver::spawn(command)
            .and_then(|d| run(&mut d.with_timeout(std::time::Duration::from_secs(timeout)))),
        #[cfg(feature = "postgres")]
        (None, Some(url)) => run(&mut LocalDriver::with_postgres(url)),
        (None, _) => run(&mut LocalDriver::new()),
    };
    match report {
        Ok(r) => {
            if json {
                out!("{}", report::conform_to_json(&r));
            } else {
                out_raw!("{}", r.to_text());
            }
            if r.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => fail(json, ErrorCode::Driver, &e.to_string()),
    }
}

/// `salvage`: the report on standard output with a file target; with `-`, the string there and
/// the report on standard error. Exit status 0 whenever something was saved.
fn salvage_cmd(damaged: &std::path::Path, target: &std::path::Path, json: bool) -> ExitCode {
    // DAMAGED is a FILE and TARGET a file to write: neither is quoted where it could be a
    // session string (spec/conversions.md §11.1).
    if let Some((code, why)) = missing_session_file(damaged)
        .or_else(|| string_as_target(target).map(|why| (ErrorCode::Usage.into(), why)))
    {
        return fail(json, code, &why);
    }
    let salvaged = match Storage::salvage(damaged) {
        Ok(s) => s,
        Err(e) => return fail_storage(json, &e),
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
        Err(e) => return fail_storage(json, &e),
    };
    let peers = if to_stdout { 0 } else { report.peers.saved };
    let rendered = if json {
        let shown = if to_stdout {
            "-".to_owned()
        } else {
            report::shown_path(target)
        };
        format!("{}\n", report::salvage_to_json(report, &shown, peers))
    } else if to_stdout {
        format!(
            "{}target: standard output (a session string holds no peers)\n",
            report.to_text()
        )
    } else {
        format!(
            "{}target: {} (Pyrogram 2.0.106, schema version 3, {peers} {})\n",
            report.to_text(),
            report::shown_path(target),
            if peers == 1 { "peer" } else { "peers" }
        )
    };
    match string {
        Some(s) => {
            for line in rendered.lines() {
                to_stderr(&format!("pyrosession: {}\n", terminal_safe(line)));
            }
            emit_session(&s);
        }
        None => out_raw!("{rendered}"),
    }
    ExitCode::SUCCESS
}

/// `fleet import`, `fleet export` and `fleet ls`: the reports on standard output, progress on
/// standard error (a counter on a terminal, a line a file otherwise). The address's password
/// is never printed.
#[cfg(feature = "postgres")]
fn fleet_cmd(command: FleetCommand) -> ExitCode {
    use pyrosession::fleet;
    use pyrosession::storage::postgres::PgFleet;
    let (url, json) = match &command {
        FleetCommand::Import { url, json, .. }
        | FleetCommand::Export { url, json, .. }
        | FleetCommand::Ls { url, json } => (url.clone(), *json),
    };
    let failed = |e: &StorageError| fail(json, e, &fleet::redact(&e.to_string(), &url));
    let mut db = match PgFleet::connect(&url) {
        Ok(db) => db,
        Err(e) => return failed(&e),
    };
    match command {
        FleetCommand::Import { dir, api_id, .. } => {
            let options = Options {
                api_id,
                ..Options::default()
            };
            match fleet::import_folder(&mut db, &dir, &options, progress("importing")) {
                Ok(report) => {
                    if json {
                        out!("{}", report.to_json());
                    } else {
                        out_raw!("{}", report.to_text());
                    }
                    if report.all_imported() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => failed(&e),
            }
        }
        FleetCommand::Export { dir, .. } => {
            // The names alone: an account whose row cannot be read is refused in the report,
            // and the others are written.
            let names = match db.names() {
                Ok(names) => names,
                Err(e) => return failed(&e),
            };
            match fleet::export_folder(&mut db, &names, &dir, progress("exporting")) {
                Ok(report) => {
                    if json {
                        out!("{}", report.to_json());
                    } else {
                        out_raw!("{}", report.to_text());
                    }
                    if report.all_written() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => failed(&e),
            }
        }
        FleetCommand::Ls { .. } => match db.accounts() {
            Ok(accounts) => {
                if json {
                    for a in &accounts {
                        out!("{}", fleet::account_to_json(a));
                    }
                } else {
                    out_raw!("{}", fleet::accounts_to_text(&accounts));
                }
                ExitCode::SUCCESS
            }
            Err(e) => failed(&e),
        },
    }
}

/// Progress on standard error: on a terminal, one counter line rewritten in place and cleared
/// at the end; otherwise one line a file.
#[cfg(feature = "postgres")]
fn progress(verb: &'static str) -> impl FnMut(pyrosession::fleet::Progress<'_>) {
    use std::io::IsTerminal as _;
    let terminal = std::io::stderr().is_terminal();
    move |p| {
        let file = report::shown_path(p.file);
        if terminal {
            to_stderr(&format!(
                "\r\x1b[2K{verb} [{}/{}] {}",
                p.done,
                p.total,
                report::one_line(&file)
            ));
            if p.done == p.total {
                to_stderr("\r\x1b[2K");
            }
        } else {
            say(
                "",
                &format!("[{}/{}] {} {file}", p.done, p.total, p.outcome),
            );
        }
    }
}
