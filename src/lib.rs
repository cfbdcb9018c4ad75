//! Pyrogram's session storage, specified, implemented and checked.
//!
//! Pyrogram, the Python Telegram MTProto client, keeps each login's session (data-center id,
//! API id, test-mode flag, 2048-bit auth key, user id, bot flag) in a storage engine, and can
//! pack it into a *session string*. This crate reads and writes those strings byte for byte as
//! Pyrogram 2.0.106 does, and tells you exactly where a string departs from the canonical form.
//!
//! ```
//! use pyrosession::string::{decode_compat, decode_strict, encode, Format};
//!
//! # let s = std::fs::read_to_string("spec/examples/v2.txt").unwrap();
//! # let s = s.trim_end();
//! // `s` is a session string exported by Pyrogram 2.x.
//! let decoded = decode_strict(s)?;
//! assert_eq!(decoded.format, Format::V2);
//! assert_eq!(decoded.session.dc_id, 2);
//! println!("{:?}", decoded.session); // the auth key shows only as its auth_key_id
//!
//! // Pyrogram itself is more lenient: it takes padding, the standard alphabet, stray
//! // characters. `decode_compat` accepts exactly what Pyrogram accepts and lists the departures.
//! let lenient = decode_compat(&format!("{s}=="))?;
//! assert_eq!(lenient.session, decoded.session);
//! assert_eq!(lenient.warnings.len(), 1);
//!
//! // Encoding gives the canonical string back.
//! assert_eq!(encode(&lenient.session, Format::V2)?, s);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Scope of this crate
//!
//! - Session strings in all three layouts Pyrogram has written (`v2`, `legacy64`, `legacy32`):
//!   [`string`], specified in `spec/session-string.md`.
//! - The session and the auth key as types that cannot leak: [`Session`], [`AuthKey`].
//! - Storage: the file and memory engines, byte-compatible with Pyrogram 2.0.106 and its forks,
//!   their operations as one interface ([`storage::SessionStore`]), salvage of damaged files:
//!   [`storage`], specified in `spec/storage.md` and `spec/dialects.md`.
//! - Peers and the input peers built from them: [`peer`].
//! - Conversions to and from Telethon's strings and files, GramJS's strings, Pyrogram's pre-0.15
//!   JSON sessions and Telegram Desktop folders, guessing nothing; one detection that hands
//!   over what it parsed ([`convert::Input`]): [`convert`], specified in `spec/conversions.md`
//!   and `spec/tdata.md`.
//! - The conformance suite that judges any implementation through a driver: [`conform`],
//!   specified in `spec/conformance.md`.
//! - The reports the command prints, as text and as versioned JSON: [`report`], specified in
//!   `spec/json-output.md`.
//! - The `pyrosession` command (the default `cli` feature), a thin layer over this library.
//!
//! The specification in `spec/` is normative; each public function names the section it
//! implements.

mod auth_key;
pub mod conform;
pub mod convert;
mod escape;
mod escaped_chars;
pub mod fleet;
mod fs;
pub mod peer;
mod python;
mod python_digits;
pub mod report;
mod session;
pub mod storage;
pub mod string;

pub use auth_key::{AuthKey, AuthKeyId, AuthKeyLengthError};
pub use session::Session;

/// For a program stopped by a signal (SIGINT, SIGTERM, SIGHUP), just before it exits: removes
/// every temporary file this process's calls made and have not yet removed or put in place (a
/// session file being built beside its target, with SQLite's `-journal`, `-wal` and `-shm`
/// beside it; salvage's private folder and copy), and makes any thread that would make another
/// wait until the process ends. Errors are ignored: the process is
/// ending. The library installs no signal handler; the `pyrosession` command calls this from
/// its own (spec/storage.md §2.7, rule 7). Nothing can be done for SIGKILL.
pub fn remove_temporary_files() {
    fs::remove_all_and_hold();
}

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
