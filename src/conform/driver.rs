//! Drivers: how the conformance suite talks to an implementation (spec/conformance.md §2).

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

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
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriverError::Spawn { command, source } => {
                write!(
                    f,
                    "cannot start driver \"{}\": {source}",
                    crate::inspect::one_line(command)
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
                    crate::inspect::one_line(c)
                )
            }
            DriverError::Timeout { op, waited } => write!(
                f,
                "the driver did not answer {op} within {} s and was stopped",
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
/// implementation's failure out.
pub trait Driver {
    /// Performs one operation (spec/conformance.md §3).
    fn call(&mut self, op: &str, args: Value) -> Result<Result<Value, Failure>, DriverError>;
}

/// How long the runner waits for the answer to one request, unless told otherwise
/// (spec/conformance.md §2.1).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest answer line the runner reads (spec/conformance.md §3.1).
pub const MAX_LINE: usize = 1 << 20;

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

/// Reads lines of at most [`MAX_LINE`] bytes (without the line break) from the driver until
/// its output ends. A longer line is said at once, not at its end, which may never come; the
/// rest of it is then read and dropped.
fn read_lines(stdout: impl Read, lines: &mpsc::Sender<Line>) {
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
fn shown(text: &str, n: usize) -> String {
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
    stdin: Option<ChildStdin>,
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
        let mut child = Command::new(program.as_ref())
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| DriverError::Spawn {
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
        let (send, lines) = mpsc::channel();
        std::thread::Builder::new()
            .name("conform-driver-output".into())
            .spawn(move || read_lines(stdout, &send))
            .map_err(DriverError::Io)?;
        Ok(ExternalDriver {
            command: command_line,
            child,
            stdin: Some(stdin),
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

    /// Marks the driver as gone for every later request, and says why.
    fn gone(&mut self, why: String) -> DriverError {
        self.gone = Some(why.clone());
        DriverError::Protocol(why)
    }

    /// The command line it was started with.
    #[must_use]
    pub fn command(&self) -> &str {
        &self.command
    }
}

impl Drop for ExternalDriver {
    /// Closes the driver's standard input, so that it can end on its own, and stops it if it
    /// has not ended a second later (spec/conformance.md §2.1).
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        while std::time::Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver for ExternalDriver {
    fn call(&mut self, op: &str, args: Value) -> Result<Result<Value, Failure>, DriverError> {
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
        request.insert("id".into(), json!(id));
        request.insert("op".into(), json!(op));
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(DriverError::Protocol(format!(
                "{op} not sent: stdin closed"
            )));
        };
        let written = writeln!(stdin, "{}", Value::Object(request)).and_then(|()| stdin.flush());
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                let status = self.exit_status();
                return Err(self.gone(format!("the driver has exited{status}, before {op}")));
            }
            return Err(DriverError::Io(e));
        }
        let line = match self.lines.recv_timeout(self.timeout) {
            Ok(Line::Text(bytes)) => bytes,
            Ok(Line::TooLong) => {
                return Err(DriverError::Protocol(format!(
                    "the answer to {op} is longer than {MAX_LINE} bytes"
                )))
            }
            Ok(Line::End) | Err(RecvTimeoutError::Disconnected) => {
                // Its output closed: it has exited, or soon will.
                let _ = self.child.wait();
                let status = self.exit_status();
                return Err(self.gone(format!("the driver exited during {op}{status}")));
            }
            Ok(Line::Failed(e)) => return Err(DriverError::Io(e)),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let error = DriverError::Timeout {
                    op: op.to_owned(),
                    waited: self.timeout,
                };
                self.gone = Some(error.to_string());
                return Err(error);
            }
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
                response["id"]
            )));
        }
        parse_response(op, &response)
    }
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

/// Reads `{"ok": value}` or `{"error": {"kind", "message"}}`.
pub(crate) fn parse_response(
    op: &str,
    response: &Value,
) -> Result<Result<Value, Failure>, DriverError> {
    if let Some(ok) = response.get("ok") {
        return Ok(Ok(ok.clone()));
    }
    let error = response.get("error").ok_or_else(|| {
        DriverError::Protocol(format!(
            "answer to {op} has neither ok nor error: {response}"
        ))
    })?;
    let kind = error["kind"]
        .as_str()
        .ok_or_else(|| DriverError::Protocol(format!("error without a kind: {error}")))?;
    if !KINDS.contains(&kind) {
        return Err(DriverError::Protocol(format!(
            "answer to {op} has the error kind \"{}\", which is none of {}",
            crate::inspect::one_line(&shown(kind, 40)),
            KINDS.join(", ")
        )));
    }
    Ok(Err(Failure {
        kind: kind.to_owned(),
        message: error["message"].as_str().unwrap_or("").to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::{read_lines, Line, MAX_LINE};

    fn lines(output: Vec<u8>) -> Vec<String> {
        let (send, receive) = std::sync::mpsc::channel();
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
