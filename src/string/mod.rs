//! Session strings: Pyrogram's session packed into URL-safe base64 (spec/session-string.md).
//!
//! Three layouts exist ([`Format`]); Pyrogram 2.x writes [`Format::V2`] and reads all three.
//! This module has one encoder and two decoders:
//!
//! - [`encode`] writes the canonical string of a session in any layout (§4).
//! - [`decode_strict`] accepts only canonical strings and names the first departure (§5).
//! - [`decode_compat`] accepts exactly what Pyrogram 2.0.106 accepts, yields the same fields, and
//!   lists every departure from canonical form as a [`Warning`] (§6).

mod compat;
mod diagnose;
mod error;
mod gramjs_rule;
mod pybase64;
mod strict;

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::Session;

pub use compat::decode_compat;
pub(crate) use diagnose::inside_quotes;
pub use diagnose::{diagnose, Diagnosis};
pub use error::{BoolField, DecodeError, DecodeErrorKind, EncodeError};
pub(crate) use gramjs_rule::{
    gramjs_layout, telethon_by_length, GRAMJS_MAX_ADDRESS_LEN, TELETHON_IPV4_BODY,
};
pub use strict::decode_strict;

/// The three layouts of a session string (spec/session-string.md §3).
///
/// # Layout
/// All big-endian, booleans one byte:
///
/// | format | bytes | characters | fields (byte offsets) |
/// |---|---|---|---|
/// | `v2` | 271 | 362 | dc_id `0`, api_id u32 `1..5`, test_mode `5`, auth_key `6..262`, user_id u64 `262..270`, is_bot `270` |
/// | `legacy64` | 267 | 356 | dc_id `0`, test_mode `1`, auth_key `2..258`, user_id u64 `258..266`, is_bot `266` |
/// | `legacy32` | 263 | 351 | dc_id `0`, test_mode `1`, auth_key `2..258`, user_id u32 `258..262`, is_bot `262` |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `>BI?256sQ?`: written by Pyrogram 2.x and every fork.
    V2,
    /// `>B?256sQ?`: written by Pyrogram 1.3–1.4 for user ids of 2147483647 and above.
    Legacy64,
    /// `>B?256sI?`: written by Pyrogram 0.15–1.4.
    Legacy32,
}

impl Format {
    /// Every format, newest first.
    pub const ALL: [Format; 3] = [Format::V2, Format::Legacy64, Format::Legacy32];

    /// The length of the packed session, in bytes.
    #[must_use]
    pub const fn byte_len(self) -> usize {
        match self {
            Format::V2 => 271,
            Format::Legacy64 => 267,
            Format::Legacy32 => 263,
        }
    }

    /// The length of the canonical string, in characters.
    #[must_use]
    pub const fn char_len(self) -> usize {
        match self {
            Format::V2 => 362,
            Format::Legacy64 => 356,
            Format::Legacy32 => 351,
        }
    }

    /// The format whose canonical string has this many characters.
    #[must_use]
    pub fn from_char_len(len: usize) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.char_len() == len)
    }

    /// The format's name as used in the specification and in JSON: `v2`, `legacy64`, `legacy32`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Format::V2 => "v2",
            Format::Legacy64 => "legacy64",
            Format::Legacy32 => "legacy32",
        }
    }

    /// The format with that name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The largest user id the layout can carry (and a session can hold).
    #[must_use]
    pub const fn max_user_id(self) -> u64 {
        match self {
            Format::V2 | Format::Legacy64 => Session::MAX_USER_ID,
            Format::Legacy32 => u32::MAX as u64,
        }
    }

    /// Whether the layout has an `api_id` field.
    #[must_use]
    pub const fn has_api_id(self) -> bool {
        matches!(self, Format::V2)
    }

    /// Byte offsets of the fields after `dc_id`: (`test_mode`, `auth_key`, `user_id`, `is_bot`).
    const fn offsets(self) -> (usize, usize, usize, usize) {
        match self {
            Format::V2 => (5, 6, 262, 270),
            Format::Legacy64 => (1, 2, 258, 266),
            Format::Legacy32 => (1, 2, 258, 262),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A decoded session string: its layout, its session and, from [`decode_compat`], every way the
/// string departed from canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The layout the string was read as.
    pub format: Format,
    /// The session it holds.
    pub session: Session,
    /// Departures from canonical form, at most one of each kind, in the order of [`Warning`]'s
    /// variants (spec/session-string.md §6.4). Always empty from
    /// [`decode_strict`]; empty from [`decode_compat`] exactly when the string is canonical.
    pub warnings: Vec<Warning>,
}

/// A way in which a string Pyrogram accepts departs from canonical form (spec/session-string.md §6.4).
///
/// Offsets count characters (Unicode scalar values) from 0.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// `+` or `/` from the standard base64 alphabet where the URL-safe one has `-` and `_`.
    StandardAlphabet {
        /// How many such characters.
        count: usize,
        /// The offset of the first.
        first_offset: usize,
    },
    /// `=` characters; canonical strings carry no padding.
    Padding {
        /// How many `=` the string holds (before decoding stopped).
        count: usize,
        /// The offset of the first.
        first_offset: usize,
    },
    /// Characters outside both base64 alphabets, which Pyrogram skips.
    IgnoredCharacters {
        /// How many.
        count: usize,
        /// The offset of the first.
        first_offset: usize,
        /// The first one.
        first: char,
    },
    /// Characters after the padding that ended decoding, which Pyrogram never reads.
    IgnoredAfterPadding {
        /// The offset of the first character not read.
        offset: usize,
        /// How many characters were not read.
        count: usize,
    },
    /// The last data character carries bits beyond the data, which Pyrogram drops.
    NonZeroTrailingBits {
        /// The offset of that character.
        offset: usize,
        /// The character.
        ch: char,
    },
    /// A boolean byte other than 0 or 1, which Pyrogram reads as true.
    NonCanonicalBool {
        /// Which field.
        field: BoolField,
        /// The byte found.
        value: u8,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::StandardAlphabet { count, first_offset } => write!(
                f,
                "{count} character(s) of the standard base64 alphabet ('+' or '/'), the first at offset {first_offset}; canonical strings use '-' and '_'"
            ),
            Warning::Padding { count, first_offset } => write!(
                f,
                "{count} padding character(s) '=', the first at offset {first_offset}; canonical strings have no padding"
            ),
            Warning::IgnoredCharacters { count, first_offset, first } => write!(
                f,
                "{count} character(s) outside the base64 alphabet ignored, the first {first:?} at offset {first_offset}"
            ),
            Warning::IgnoredAfterPadding { offset, count } => write!(
                f,
                "{count} character(s) after the padding ignored, from offset {offset}"
            ),
            Warning::NonZeroTrailingBits { offset, ch } => write!(
                f,
                "the last data character {ch:?} at offset {offset} has non-zero trailing bits, which are dropped"
            ),
            Warning::NonCanonicalBool { field, value } => write!(
                f,
                "{field} is byte {value}, read as true; canonical booleans are 0 or 1"
            ),
        }
    }
}

/// Packs a session in the given layout (spec/session-string.md §4.1).
///
/// The legacy layouts have no `api_id`: a session's `api_id` is not written to them.
fn pack(session: &Session, format: Format) -> Result<Zeroizing<Vec<u8>>, EncodeError> {
    if session.user_id > format.max_user_id() {
        return Err(EncodeError::UserIdOutOfRange {
            user_id: session.user_id,
            format,
        });
    }
    let mut out = Zeroizing::new(Vec::with_capacity(format.byte_len()));
    out.push(session.dc_id);
    if format.has_api_id() {
        let api_id = session.api_id.ok_or(EncodeError::MissingApiId)?;
        out.extend_from_slice(&api_id.to_be_bytes());
    }
    out.push(u8::from(session.test_mode));
    out.extend_from_slice(session.auth_key.as_bytes());
    match format {
        Format::Legacy32 => out.extend_from_slice(&(session.user_id as u32).to_be_bytes()),
        Format::V2 | Format::Legacy64 => out.extend_from_slice(&session.user_id.to_be_bytes()),
    }
    out.push(u8::from(session.is_bot));
    debug_assert_eq!(out.len(), format.byte_len());
    Ok(out)
}

/// The fields of a packed session, booleans still as bytes.
struct Unpacked {
    dc_id: u8,
    api_id: Option<u32>,
    test_mode: u8,
    auth_key: crate::AuthKey,
    user_id: u64,
    is_bot: u8,
}

/// Reads the fields of a packed session of exactly `format.byte_len()` bytes
/// (spec/session-string.md §3).
fn unpack(bytes: &[u8], format: Format) -> Unpacked {
    debug_assert_eq!(bytes.len(), format.byte_len());
    let (t, k, u, b) = format.offsets();
    let api_id = format
        .has_api_id()
        .then(|| u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]));
    let user_id = match format {
        Format::Legacy32 => u64::from(u32::from_be_bytes([
            bytes[u],
            bytes[u + 1],
            bytes[u + 2],
            bytes[u + 3],
        ])),
        Format::V2 | Format::Legacy64 => {
            let mut be = [0u8; 8];
            be.copy_from_slice(&bytes[u..u + 8]);
            u64::from_be_bytes(be)
        }
    };
    // Straight into the key's own heap buffer: no copy on the stack to wipe.
    let auth_key = crate::AuthKey::from_slice(&bytes[k..k + crate::AuthKey::LEN])
        .expect("a slice of the key's length");
    Unpacked {
        dc_id: bytes[0],
        api_id,
        test_mode: bytes[t],
        auth_key,
        user_id,
        is_bot: bytes[b],
    }
}

/// Encodes a session as the canonical string of the given layout: the packed bytes in URL-safe
/// base64 without padding (spec/session-string.md §4).
///
/// [`Format::V2`] needs an `api_id`; the legacy layouts have none and leave it out.
/// [`Format::Legacy32`] holds user ids up to `u32::MAX`, the others up to `i64::MAX`.
pub fn encode(session: &Session, format: Format) -> Result<String, EncodeError> {
    let packed = pack(session, format)?;
    Ok(URL_SAFE_NO_PAD.encode(packed.as_slice()))
}
