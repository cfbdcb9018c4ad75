//! Drivers: how the conformance suite talks to an implementation (spec/conformance.md §2).

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

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
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriverError::Spawn { command, source } => {
                write!(f, "cannot start driver {command:?}: {source}")
            }
            DriverError::Io(e) => write!(f, "driver i/o failed: {e}"),
            DriverError::Protocol(m) => write!(f, "driver broke the protocol: {m}"),
            DriverError::BadCommandLine(c) if c.trim().is_empty() => {
                f.write_str("the driver command line is empty: name a program to run")
            }
            DriverError::BadCommandLine(c) => {
                write!(f, "cannot split the driver command line {c:?}")
            }
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

/// A driver that is a separate program speaking the protocol on its standard input and output.
#[derive(Debug)]
pub struct ExternalDriver {
    command: String,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl ExternalDriver {
    /// Starts the program named by a command line, split as a shell would split it.
    pub fn spawn(command_line: &str) -> Result<ExternalDriver, DriverError> {
        let words = shlex::split(command_line)
            .ok_or_else(|| DriverError::BadCommandLine(command_line.to_owned()))?;
        let (program, args) = words
            .split_first()
            .ok_or_else(|| DriverError::BadCommandLine(command_line.to_owned()))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| DriverError::Spawn {
                command: command_line.to_owned(),
                source,
            })?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| DriverError::Protocol("no stdin".into()))?;
        let stdout = BufReader::new(
            child
                .stdout
                .take()
                .ok_or_else(|| DriverError::Protocol("no stdout".into()))?,
        );
        Ok(ExternalDriver {
            command: command_line.to_owned(),
            child,
            stdin,
            stdout,
            next_id: 1,
        })
    }

    /// The command line it was started with.
    #[must_use]
    pub fn command(&self) -> &str {
        &self.command
    }
}

impl Drop for ExternalDriver {
    fn drop(&mut self) {
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
        request.insert("id".into(), json!(id));
        request.insert("op".into(), json!(op));
        writeln!(self.stdin, "{}", Value::Object(request)).map_err(DriverError::Io)?;
        self.stdin.flush().map_err(DriverError::Io)?;
        let mut line = String::new();
        if self.stdout.read_line(&mut line).map_err(DriverError::Io)? == 0 {
            return Err(DriverError::Protocol(format!(
                "the driver exited during {op}"
            )));
        }
        let response: Value = serde_json::from_str(&line)
            .map_err(|e| DriverError::Protocol(format!("not JSON ({e}): {}", line.trim_end())))?;
        if response["id"] != json!(id) {
            return Err(DriverError::Protocol(format!(
                "answer to {op} has id {}, expected {id}",
                response["id"]
            )));
        }
        parse_response(op, &response)
    }
}

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
    Ok(Err(Failure {
        kind: kind.to_owned(),
        message: error["message"].as_str().unwrap_or("").to_owned(),
    }))
}
