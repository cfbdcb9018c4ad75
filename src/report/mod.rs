//! What the `pyrosession` command reports, for people and as JSON: session strings, session
//! files of Pyrogram and its forks, other libraries' sessions, peers and resolved queries. The
//! renderings of every input kind live here; the command only parses arguments, calls the
//! library and prints what these return. Nothing below this layer uses it.

mod file;
mod foreign;
mod peers;
mod string;

pub use crate::escape::{one_line, shown_path, terminal_safe};
pub use file::{file_report, file_to_json, file_to_text, FileReport};
pub use foreign::{foreign_to_json, foreign_to_text, format_name, needs};
pub use peers::{input_peer_to_json, peers_to_json, peers_to_text, unreadable_to_json};
pub use string::{error_json, to_json, to_text};

/// A value, or `none` where it is unset, escaped on one line.
fn or_none<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(
        || "none".to_owned(),
        |v| one_line(&v.to_string()).into_owned(),
    )
}
