//! Drivers: how the conformance suite talks to an implementation (spec/conformance.md §2).

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitStatus;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// An error the implementation reported for an operation: part of what a scenario observes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The error's kind (spec/conformance.md §3.3): `not_found`, `expired`, `invalid_peer`,
    /// `missing_field`, `invalid_string`, `invalid_file`, `unsupported`, `other`.
    pub kind: String,
    /// The implementation's own message.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind, self.message)
    }
}

/// The driver itself broke: it could not be started, stopped answering, or spoke out of
/// protocol. Unlike a [`Failure`], this is never an observation of the implementation.
#[derive(Debug)]
#[non_exhaustive]
pub enum DriverError {
    /// The program could not be started.
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// Reading from or writing to the driver failed.
    Io(std::io::Error),
    /// The driver's answer was not what the protocol allows.
    Protocol(String),
    /// The command line could not be split.
    BadCommandLine(String),
    /// The driver did not answer an operation within the time allowed, and was stopped.
    Timeout {
        /// The operation.
        op: String,
        /// How long the runner waited.
        waited: Duration,
    },
    /// The runner's own check of a file in the scenario's folder did not end within the time
    /// allowed for an answer (spec/conformance.md §2.4): the driver left a file there that
    /// cannot be read in time.
    CheckTimeout {
        /// The file.
        path: PathBuf,
        /// How long the runner waited.
        waited: Duration,
    },
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriverError::Spawn { command, source } => {
                write!(
                    f,
                    "cannot start driver \"{}\": {source}",
                    crate::escape::one_line(command)
                )
            }
            DriverError::Io(e) => write!(f, "driver i/o failed: {e}"),
            DriverError::Protocol(m) => write!(f, "driver broke the protocol: {m}"),
            DriverError::BadCommandLine(c) if c.trim().is_empty() => {
                f.write_str("the driver command line is empty: name a program to run")
            }
            DriverError::BadCommandLine(c) => {
                write!(
                    f,
                    "cannot split the driver command line \"{}\"",
                    crate::escape::one_line(c)
                )
            }
            DriverError::Timeout { op, waited } => write!(
                f,
                "the driver did not answer {op} within {} s and was stopped",
                waited.as_secs()
            ),
            DriverError::CheckTimeout { path, waited } => write!(
                f,
                "the runner's check of {} did not end within {} s",
                path.display(),
                waited.as_secs()
            ),
        }
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DriverError::Spawn { source, .. } | DriverError::Io(source) => Some(source),
            _ => None,
        }
    }
}

/// One implementation behind the protocol: an operation and its arguments in, its result or the
/// implementation's failure out. Arguments and results are JSON texts, as the protocol's lines
/// carry them (spec/conformance.md §3): the arguments an object, the result any value.
pub trait Driver {
    /// Performs one operation (spec/conformance.md §3).
    ///
    /// # Errors
    /// The driver cannot answer (it is gone, broke the protocol, or took too long).
    fn call(&mut self, op: &str, args: &str) -> Result<Result<String, Failure>, DriverError>;

    /// How long the runner waits for one answer, which also bounds each of its own checks of
    /// the files of a scenario (spec/conformance.md §2.4); `None` (the default) for
    /// [`DEFAULT_TIMEOUT`].
    fn time_limit(&self) -> Option<Duration> {
        None
    }
}

/// How long the runner waits for the answer to one request, unless told otherwise
/// (spec/conformance.md §2.1).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest answer line the runner reads (spec/conformance.md §3.1).
pub const MAX_LINE: usize = 1 << 20;

/// The most of a driver's standard error the runner shows, in bytes shown (escaped, each line
/// marked as the driver's; spec/conformance.md §2.1): the rest is read and dropped.
pub const MAX_STDERR: usize = 1 << 20;

/// The longest line of a driver's standard error shown, in bytes; the rest of a longer one is
/// dropped.
const MAX_STDERR_LINE: usize = 4096;

/// Shows a driver's standard error on `to` until it ends: each line on a line of its own,
/// `driver: ` and the line escaped as any text from outside ([`crate::escape::one_line`], a
/// byte that is not UTF-8 as U+FFFD), at most [`MAX_STDERR_LINE`] bytes of a line, while
/// what is shown stays within [`MAX_STDERR`] bytes; then one line saying the rest is not shown,
/// and the rest read and dropped, so that the driver never waits on a full pipe
/// (spec/conformance.md §2.1).
fn show_stderr(stderr: impl Read, to: &mut impl Write) {
    let mut reader = BufReader::new(stderr);
    let mut shown = Some(0);
    loop {
        let mut line = Vec::new();
        let limit = u64::try_from(MAX_STDERR_LINE).unwrap_or(u64::MAX) + 1;
        let n = match (&mut reader).take(limit).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let ended = line.last() == Some(&b'\n');
        let cut = !ended && n > MAX_STDERR_LINE;
        if let Some(so_far) = shown {
            if ended {
                line.pop();
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            line.truncate(MAX_STDERR_LINE);
            let mut text = format!(
                "driver: {}",
                crate::escape::one_line(&String::from_utf8_lossy(&line))
            );
            if cut {
                text.push_str(" …");
            }
            text.push('\n');
            shown = Some(so_far + text.len()).filter(|&all| all <= MAX_STDERR);
            let text = match shown {
                Some(_) => text.as_str(),
                None => "driver: (the rest of its standard error is not shown)\n",
            };
            // A failure to show it is no reason to stop reading it.
            let _ = to.write_all(text.as_bytes());
        }
        if cut && !skip_line(&mut reader) {
            return;
        }
    }
}

/// What the reader thread saw on the driver's standard output.
#[derive(Debug)]
enum Line {
    /// A line, without its line break (bytes: UTF-8 is checked by the caller).
    Text(Vec<u8>),
    /// A line longer than [`MAX_LINE`], skipped to its end.
    TooLong,
    /// Standard output closed.
    End,
    /// Reading failed.
    Failed(std::io::Error),
}

/// How many lines the reader thread holds for the runner beyond the one it is reading: the
/// channel is bounded, so a driver that writes lines nobody asked for waits on its full pipe
/// instead of the runner holding them all in memory (spec/conformance.md §3.1).
const LINES_AHEAD: usize = 1;

/// Reads lines of at most [`MAX_LINE`] bytes (without the line break) from the driver until
/// its output ends. A longer line is said at once, not at its end, which may never come; the
/// rest of it is then read and dropped. Sending waits while [`LINES_AHEAD`] lines wait to be
/// taken.
fn read_lines(stdout: impl Read, lines: &mpsc::SyncSender<Line>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = Vec::new();
        let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 1;
        let message = match (&mut reader).take(limit).read_until(b'\n', &mut line) {
            Err(e) => Line::Failed(e),
            Ok(0) => Line::End,
            Ok(_) if line.last() == Some(&b'\n') => {
                line.pop();
                Line::Text(line)
            }
            Ok(n) if n > MAX_LINE => Line::TooLong,
            // The last line, without a line break: its end of file follows.
            Ok(_) => Line::Text(line),
        };
        let last = matches!(message, Line::Failed(_) | Line::End);
        let too_long = matches!(message, Line::TooLong);
        if lines.send(message).is_err() || last {
            return;
        }
        if too_long && !skip_line(&mut reader) {
            let _ = lines.send(Line::End);
            return;
        }
    }
}

/// Reads to the end of the current line; `false` if the output ended first.
fn skip_line(reader: &mut impl BufRead) -> bool {
    loop {
        let buf = match reader.fill_buf() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Ok([]) | Err(_) => return false,
            Ok(buf) => buf,
        };
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            reader.consume(i + 1);
            return true;
        }
        let n = buf.len();
        reader.consume(n);
    }
}

/// At most `n` characters of a driver's text, for a report.
pub(crate) fn shown(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_owned()
    } else {
        let head: String = text.chars().take(n).collect();
        format!("{head}… ({} characters)", text.chars().count())
    }
}

/// A driver that is a separate program speaking the protocol on its standard input and output.
#[derive(Debug)]
pub struct ExternalDriver {
    command: String,
    child: Child,
    /// Request lines for the writer thread, which owns the driver's standard input; `None`
    /// once it is to be closed.
    requests: Option<mpsc::Sender<Vec<u8>>>,
    /// The writer thread's result for each request line.
    written: Receiver<std::io::Result<()>>,
    /// Disconnected once the driver's standard error has ended and been shown.
    stderr_shown: Receiver<()>,
    lines: Receiver<Line>,
    next_id: u64,
    timeout: Duration,
    /// Why the driver can no longer be asked anything, once it cannot.
    gone: Option<String>,
}

impl ExternalDriver {
    /// Starts the program named by a command line, split as a shell would split it (with the
    /// default `cli` feature, which brings the splitter; [`ExternalDriver::start`] takes the
    /// words themselves).
    #[cfg(feature = "cli")]
    pub fn spawn(command_line: &str) -> Result<ExternalDriver, DriverError> {
        let words = shlex::split(command_line)
            .ok_or_else(|| DriverError::BadCommandLine(command_line.to_owned()))?;
        let (program, args) = words
            .split_first()
            .ok_or_else(|| DriverError::BadCommandLine(command_line.to_owned()))?;
        match Self::start(program, args) {
            Ok(mut driver) => {
                command_line.clone_into(&mut driver.command);
                Ok(driver)
            }
            Err(DriverError::Spawn { source, .. }) => Err(DriverError::Spawn {
                command: command_line.to_owned(),
                source,
            }),
            Err(e) => Err(e),
        }
    }

    /// Starts `program` with `args`.
    pub fn start(
        program: impl AsRef<std::ffi::OsStr>,
        args: impl IntoIterator<Item = impl AsRef<std::ffi::OsStr>>,
    ) -> Result<ExternalDriver, DriverError> {
        let args: Vec<std::ffi::OsString> =
            args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let command_line = std::iter::once(program.as_ref().to_string_lossy().into_owned())
            .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(" ");
        let mut command = Command::new(program.as_ref());
        command
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // A process group of its own, whose id is the driver's process id: stopping the
        // driver stops every process it started too (spec/conformance.md §2.1).
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().map_err(|source| DriverError::Spawn {
            command: command_line.clone(),
            source,
        })?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| DriverError::Protocol("no stdin".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| DriverError::Protocol("no stdout".into()))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| DriverError::Protocol("no stderr".into()))?;
        let (shown, stderr_shown) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("conform-driver-stderr".into())
            .spawn(move || {
                show_stderr(stderr, &mut std::io::stderr());
                drop(shown);
            })
            .map_err(DriverError::Io)?;
        let (send, lines) = mpsc::sync_channel(LINES_AHEAD);
        std::thread::Builder::new()
            .name("conform-driver-output".into())
            .spawn(move || read_lines(stdout, &send))
            .map_err(DriverError::Io)?;
        let (requests, to_write) = mpsc::channel();
        let (report, written) = mpsc::channel();
        std::thread::Builder::new()
            .name("conform-driver-input".into())
            .spawn(move || write_requests(stdin, &to_write, &report))
            .map_err(DriverError::Io)?;
        Ok(ExternalDriver {
            command: command_line,
            child,
            requests: Some(requests),
            written,
            stderr_shown,
            lines,
            next_id: 1,
            timeout: DEFAULT_TIMEOUT,
            gone: None,
        })
    }

    /// Sets how long to wait for the answer to each request (default [`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How the driver ended, if it has: its exit status, for a report.
    fn exit_status(&mut self) -> String {
        match self.child.try_wait() {
            Ok(Some(status)) => format!(" ({status})"),
            _ => String::new(),
        }
    }

    /// Marks the driver as gone for every later request, and says why; stops every process
    /// of its group that is still running.
    fn gone(&mut self, why: String) -> DriverError {
        self.stop();
        self.gone = Some(why.clone());
        DriverError::Protocol(why)
    }

    /// Whether the driver has exited (it is then reaped, and its status kept).
    fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Waits until `until` for the driver to exit; its status, if it did.
    fn wait_until(&mut self, until: Instant) -> Option<ExitStatus> {
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            std::thread::sleep(POLL.min(until - now));
        }
    }

    /// Kills the driver's process group, the driver and every process it started that stayed
    /// in its group, and reaps the driver (spec/conformance.md §2.1).
    ///
    /// The group is killed by the system's `kill` command (`kill -s KILL -- -{group}`): the
    /// crate forbids unsafe code, and std has no call to signal a group. The driver itself is
    /// then killed directly too, in case that command is missing.
    fn stop(&mut self) {
        #[cfg(unix)]
        {
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &group])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // Returns at once for a driver already reaped: its process id is never signalled
        // after it may have been reused.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The command line it was started with.
    #[must_use]
    pub fn command(&self) -> &str {
        &self.command
    }
}

impl Drop for ExternalDriver {
    /// Closes the driver's standard input, so that it can end on its own, waits a second for
    /// it to end, and then stops its process group: the driver if it has not ended, and every
    /// process it started that is still running; then waits up to a second more for the
    /// last of its standard error to be shown (spec/conformance.md §2.1).
    fn drop(&mut self) {
        drop(self.requests.take());
        self.wait_until(Instant::now() + Duration::from_secs(1));
        self.stop();
        let _ = self.stderr_shown.recv_timeout(Duration::from_secs(1));
    }
}

impl ExternalDriver {
    /// The driver's next line, or `End` as soon as the driver has exited (even while a process
    /// it started keeps its standard output open), or `Err` once the time limit has passed.
    fn answer(&mut self, deadline: Instant) -> Result<Line, ()> {
        loop {
            let step = POLL.min(deadline.saturating_duration_since(Instant::now()));
            match self.lines.recv_timeout(step) {
                Ok(line) => return Ok(line),
                Err(RecvTimeoutError::Disconnected) => return Ok(Line::End),
                Err(RecvTimeoutError::Timeout) => {}
            }
            if self.exited() {
                // An answer it wrote before exiting is still in the pipe, or on its way.
                return Ok(self.lines.recv_timeout(POLL).unwrap_or(Line::End));
            }
            if Instant::now() >= deadline {
                return Err(());
            }
        }
    }
}

/// How often the runner looks whether the driver has exited while it waits for an answer.
const POLL: Duration = Duration::from_millis(20);

/// The instant `wait` from now; for a wait beyond what the clock can count (`Duration::MAX`,
/// `--timeout 18446744073709551615`), a hundred years from now, which is as good as never.
fn deadline_after(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

/// How the writing of a request ended.
enum Written {
    /// The writer thread wrote it, or failed to.
    Done(std::io::Result<()>),
    /// The driver exited while the request was still being written.
    Exited,
    /// The time limit passed while the request was still being written.
    TimedOut,
}

/// Writes each request line to the driver's standard input, and says how it went, until the
/// runner closes the channel (the driver's standard input is then closed) or a write fails.
fn write_requests(
    mut stdin: ChildStdin,
    requests: &Receiver<Vec<u8>>,
    written: &mpsc::Sender<std::io::Result<()>>,
) {
    for line in requests {
        let result = stdin.write_all(&line).and_then(|()| stdin.flush());
        let failed = result.is_err();
        if written.send(result).is_err() || failed {
            return;
        }
    }
}

impl ExternalDriver {
    /// Waits for the writer thread to write the request, until `deadline`, looking every
    /// [`POLL`] whether the driver has exited.
    fn wait_written(&mut self, deadline: Instant) -> Written {
        loop {
            let step = POLL.min(deadline.saturating_duration_since(Instant::now()));
            match self.written.recv_timeout(step) {
                Ok(result) => return Written::Done(result),
                Err(RecvTimeoutError::Disconnected) => {
                    return Written::Done(Err(std::io::ErrorKind::BrokenPipe.into()))
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if self.exited() {
                return Written::Exited;
            }
            if Instant::now() >= deadline {
                return Written::TimedOut;
            }
        }
    }

    /// Stops the driver, which has not answered `op` within the time limit, for good.
    fn timed_out(&mut self, op: &str) -> DriverError {
        self.stop();
        let error = DriverError::Timeout {
            op: op.to_owned(),
            waited: self.timeout,
        };
        self.gone = Some(error.to_string());
        error
    }
}

impl Driver for ExternalDriver {
    fn time_limit(&self) -> Option<Duration> {
        Some(self.timeout)
    }

    fn call(&mut self, op: &str, args: &str) -> Result<Result<String, Failure>, DriverError> {
        let args: Value = serde_json::from_str(args)
            .map_err(|e| DriverError::Protocol(format!("arguments of {op} are not JSON: {e}")))?;
        self.call_value(op, args).map(|r| r.map(|v| v.to_string()))
    }
}

impl ExternalDriver {
    fn call_value(&mut self, op: &str, args: Value) -> Result<Result<Value, Failure>, DriverError> {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = match args {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(DriverError::Protocol(format!(
                    "arguments must be an object, not {other}"
                )))
            }
        };
        if let Some(why) = &self.gone {
            return Err(DriverError::Protocol(format!("{op} not sent: {why}")));
        }
        // A driver that exited after its last answer, while a process it started keeps its
        // standard input and output open: writing would not fail, and no end of file comes.
        if self.exited() {
            let status = self.exit_status();
            return Err(self.gone(format!("the driver has exited{status}, before {op}")));
        }
        request.insert("id".into(), json!(id));
        request.insert("op".into(), json!(op));
        let Some(requests) = self.requests.as_ref() else {
            return Err(DriverError::Protocol(format!(
                "{op} not sent: stdin closed"
            )));
        };
        // One time limit for writing the request and reading its answer: a driver that does
        // not read its input can hold up the write as long as the answer (§2.1).
        let deadline = deadline_after(self.timeout);
        let mut line = Value::Object(request).to_string().into_bytes();
        line.push(b'\n');
        let written = if requests.send(line).is_ok() {
            self.wait_written(deadline)
        } else {
            // The writer thread ended at an earlier failure to write.
            Written::Done(Err(std::io::ErrorKind::BrokenPipe.into()))
        };
        match written {
            Written::Done(Ok(())) | Written::Exited => {}
            Written::Done(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                // Its input is closed: it has exited, or does within a second, or it closed
                // its input and runs on.
                if self
                    .wait_until(Instant::now() + Duration::from_secs(1))
                    .is_none()
                {
                    return Err(self.gone(format!(
                        "the driver closed its standard input before {op} and was stopped"
                    )));
                }
                let status = self.exit_status();
                return Err(self.gone(format!("the driver has exited{status}, before {op}")));
            }
            Written::Done(Err(e)) => return Err(DriverError::Io(e)),
            Written::TimedOut => return Err(self.timed_out(op)),
        }
        let line = match self.answer(deadline) {
            Ok(Line::Text(bytes)) => bytes,
            Ok(Line::TooLong) => {
                return Err(DriverError::Protocol(format!(
                    "the answer to {op} is longer than {MAX_LINE} bytes"
                )))
            }
            Ok(Line::End) => {
                // Its output closed, or it exited: it has exited, or does within a second.
                if self
                    .wait_until(Instant::now() + Duration::from_secs(1))
                    .is_none()
                {
                    return Err(self.gone(format!(
                        "the driver closed its standard output during {op} and was stopped"
                    )));
                }
                let status = self.exit_status();
                return Err(self.gone(format!("the driver exited during {op}{status}")));
            }
            Ok(Line::Failed(e)) => return Err(DriverError::Io(e)),
            Err(()) => return Err(self.timed_out(op)),
        };
        let line = String::from_utf8(line).map_err(|e| {
            DriverError::Protocol(format!(
                "the answer to {op} is not UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            ))
        })?;
        let response: Value = serde_json::from_str(&line).map_err(|e| {
            DriverError::Protocol(format!("not JSON ({e}): {}", shown(line.trim_end(), 200)))
        })?;
        if response["id"] != json!(id) {
            return Err(DriverError::Protocol(format!(
                "answer to {op} has id {}, expected {id}",
                quoted(&response["id"])
            )));
        }
        parse_response(op, &response)
    }
}

/// At most 200 characters of a JSON value from the driver, for a protocol error.
pub(crate) fn quoted(value: &Value) -> String {
    shown(&value.to_string(), 200)
}

/// The error kinds of the protocol (spec/conformance.md §3.3).
pub const KINDS: [&str; 8] = [
    "not_found",
    "expired",
    "invalid_peer",
    "missing_field",
    "invalid_string",
    "invalid_file",
    "unsupported",
    "other",
];

/// Reads `{"ok": value}` or `{"error": {"kind", "message"}}`: not both, and a message, if
/// given, a string (spec/conformance.md §3.1).
pub(crate) fn parse_response(
    op: &str,
    response: &Value,
) -> Result<Result<Value, Failure>, DriverError> {
    if let Some(ok) = response.get("ok") {
        if response.get("error").is_some() {
            return Err(DriverError::Protocol(format!(
                "answer to {op} has both ok and error: {}",
                quoted(response)
            )));
        }
        return Ok(Ok(ok.clone()));
    }
    let error = response.get("error").ok_or_else(|| {
        DriverError::Protocol(format!(
            "answer to {op} has neither ok nor error: {}",
            quoted(response)
        ))
    })?;
    let kind = error["kind"]
        .as_str()
        .ok_or_else(|| DriverError::Protocol(format!("error without a kind: {}", quoted(error))))?;
    if !KINDS.contains(&kind) {
        return Err(DriverError::Protocol(format!(
            "answer to {op} has the error kind \"{}\", which is none of {}",
            crate::escape::one_line(&shown(kind, 40)),
            KINDS.join(", ")
        )));
    }
    let message = match error.get("message") {
        None => "",
        Some(Value::String(message)) => message,
        Some(other) => {
            return Err(DriverError::Protocol(format!(
                "answer to {op} has an error message that is not a string: {}",
                quoted(other)
            )))
        }
    };
    Ok(Err(Failure {
        kind: kind.to_owned(),
        message: message.to_owned(),
    }))
}

/// The runner's side of [`Driver::call`]: arguments built as JSON values, the result read as
/// one. A result that is not JSON is the driver's protocol error.
pub(crate) trait CallJson {
    /// [`Driver::call`] with values.
    fn call_json(&mut self, op: &str, args: Value) -> Result<Result<Value, Failure>, DriverError>;
}

impl<D: Driver + ?Sized> CallJson for D {
    fn call_json(&mut self, op: &str, args: Value) -> Result<Result<Value, Failure>, DriverError> {
        match self.call(op, &args.to_string())? {
            Ok(text) => serde_json::from_str(&text)
                .map(Ok)
                .map_err(|e| DriverError::Protocol(format!("the result of {op} is not JSON: {e}"))),
            Err(f) => Ok(Err(f)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{read_lines, show_stderr, Line, MAX_LINE, MAX_STDERR_LINE};

    /// Each line of a driver's standard error is shown marked and escaped, a line break at its
    /// end or a carriage return before it aside, and a long one cut at `MAX_STDERR_LINE` bytes
    /// (spec/conformance.md §2.1).
    #[test]
    fn standard_error_is_shown_line_by_line_escaped() {
        let mut input = b"plain\r\n\x1b[2Jbad \xff\n".to_vec();
        input.extend(vec![b'y'; MAX_STDERR_LINE + 10]);
        input.extend(b"\nlast");
        let mut shown = Vec::new();
        show_stderr(std::io::Cursor::new(input), &mut shown);
        assert_eq!(
            String::from_utf8(shown).unwrap(),
            format!(
                "driver: plain\ndriver: \\u001b[2Jbad \u{fffd}\ndriver: {} …\ndriver: last\n",
                "y".repeat(MAX_STDERR_LINE)
            )
        );
    }

    fn lines(output: Vec<u8>) -> Vec<String> {
        let (send, receive) = std::sync::mpsc::sync_channel(16);
        read_lines(std::io::Cursor::new(output), &send);
        drop(send);
        receive
            .iter()
            .map(|l| match l {
                Line::Text(t) => format!("text {}", t.len()),
                Line::TooLong => "too long".to_owned(),
                Line::End => "end".to_owned(),
                Line::Failed(e) => format!("failed {e}"),
            })
            .collect()
    }

    /// A response with both `ok` and `error`, or whose error's message is not a string, is a
    /// protocol error; a message left out is read as empty (spec/conformance.md §3.1).
    #[test]
    fn a_response_is_ok_or_error_with_string_members() {
        use super::parse_response;
        use serde_json::json;
        let error = |response| parse_response("get", &response).unwrap_err().to_string();
        assert_eq!(
            error(json!({"id": 1, "ok": 2, "error": {"kind": "other", "message": "m"}})),
            "driver broke the protocol: answer to get has both ok and error: \
             {\"error\":{\"kind\":\"other\",\"message\":\"m\"},\"id\":1,\"ok\":2}"
        );
        assert_eq!(
            error(json!({"id": 1, "error": {"kind": "other", "message": 5}})),
            "driver broke the protocol: answer to get has an error message that is not a string: 5"
        );
        let failure = parse_response("get", &json!({"id": 1, "error": {"kind": "other"}}));
        assert_eq!(failure.unwrap().unwrap_err().message, "");
        assert_eq!(
            parse_response("get", &json!({"id": 1, "ok": 2}))
                .unwrap()
                .unwrap(),
            json!(2)
        );
    }

    /// A line of exactly `MAX_LINE` bytes is taken, its line break aside; one byte more is too
    /// long, and the line after it is read as usual (spec/conformance.md §3.1).
    #[test]
    fn lines_are_taken_up_to_max_line_bytes() {
        let mut output = vec![b'x'; MAX_LINE];
        output.push(b'\n');
        output.extend(vec![b'y'; MAX_LINE + 1]);
        output.extend(b"\n{}\nlast");
        assert_eq!(
            lines(output),
            [
                format!("text {MAX_LINE}"),
                "too long".to_owned(),
                "text 2".to_owned(),
                "text 4".to_owned(),
                "end".to_owned(),
            ]
        );
    }
}
