//! The `pyrosession` command: a thin layer over the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pyrosession::inspect::{self, Source};

#[derive(Parser)]
#[command(
    name = "pyrosession",
    version,
    about = "Inspect and check Pyrogram session strings"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode a session string and show its fields (never the auth key unless asked).
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
        /// A session string, the path of a text file holding one, or - for standard input.
        /// A string that begins with '-' goes after '--'.
        session: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect {
            json,
            strict,
            reveal_key,
            session,
        } => inspect_cmd(&session, json, strict, reveal_key),
    }
}

fn inspect_cmd(arg: &str, json: bool, strict: bool, reveal_key: bool) -> ExitCode {
    let source = Source::from_arg(arg);
    let text = match source.read() {
        Ok(t) => t,
        Err(e) => {
            let msg = match &source {
                Source::File(p) => format!("cannot read {}: {e}", p.display()),
                _ => format!("cannot read standard input: {e}"),
            };
            eprintln!("pyrosession: {msg}");
            if json {
                println!("{}", serde_json::json!({ "error": msg }));
            }
            return ExitCode::FAILURE;
        }
    };
    match inspect::decode(&text, strict) {
        Ok(decoded) => {
            if json {
                println!("{}", inspect::to_json(&decoded, reveal_key));
            } else {
                print!("{}", inspect::to_text(&decoded, reveal_key));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pyrosession: {e}");
            if json {
                println!("{}", inspect::error_json(&e));
            }
            ExitCode::FAILURE
        }
    }
}
