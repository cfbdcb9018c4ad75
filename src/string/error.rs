//! Errors of the session-string codec (spec/session-string.md §7).

use std::fmt;

use super::{Diagnosis, Format};

/// Which boolean field of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoolField {
    /// `test_mode`.
    TestMode,
    /// `is_bot`.
    IsBot,
}

impl fmt::Display for BoolField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BoolField::TestMode => "test_mode",
            BoolField::IsBot => "is_bot",
        })
    }
}

/// A session that cannot be written in the layout asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The `v2` layout needs an `api_id` and the session has none (Pyrogram raises
    /// `struct.error: required argument is not an integer`).
    MissingApiId,
    /// The user id does not fit the layout.
    UserIdOutOfRange {
        /// The user id.
        user_id: u64,
        /// The layout asked for.
        format: Format,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::MissingApiId => {
                f.write_str("the session has no api_id, which the v2 format requires")
            }
            EncodeError::UserIdOutOfRange { user_id, format } => write!(
                f,
                "user id {user_id} does not fit the {format} format (at most {})",
                format.max_user_id()
            ),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Why a string was rejected: what is wrong and where (spec/session-string.md §7).
///
/// Offsets count characters (Unicode scalar values) from 0; byte offsets count bytes of the
/// decoded session.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The string is empty. Pyrogram treats an empty string as no session string at all.
    Empty,
    /// A character the decoder does not allow (strict: anything outside the URL-safe alphabet).
    InvalidCharacter {
        /// Its offset.
        offset: usize,
        /// The character.
        ch: char,
    },
    /// A character outside ASCII, which Python's base64 decoder refuses.
    NonAscii {
        /// Its offset.
        offset: usize,
        /// The character.
        ch: char,
    },
    /// The string's length is none of the canonical lengths.
    InvalidLength {
        /// The length found, in characters.
        found: usize,
    },
    /// The last character carries non-zero bits beyond the data.
    NonZeroTrailingBits {
        /// Its offset.
        offset: usize,
        /// The character.
        ch: char,
    },
    /// A boolean byte other than 0 or 1.
    InvalidBool {
        /// Which field.
        field: BoolField,
        /// The field's byte offset in the decoded session.
        byte_offset: usize,
        /// The byte found.
        value: u8,
    },
    /// The user id does not fit SQLite's signed 64-bit INTEGER, where Pyrogram stores it.
    UserIdOutOfRange {
        /// The user id.
        user_id: u64,
    },
    /// Python's decoder ended inside a quantum of two or three data characters without padding
    /// to close it (`binascii.Error: Incorrect padding`).
    IncorrectPadding,
    /// Python's decoder ended one data character past a whole quantum (`binascii.Error: Invalid
    /// base64-encoded string: number of data characters (N) cannot be 1 more than a multiple of 4`).
    LoneDataCharacter {
        /// Python's count `N` of data characters.
        data_chars: usize,
    },
    /// The decoded bytes do not fit the layout chosen by the string's length
    /// (`struct.error: unpack requires a buffer of N bytes`).
    WrongByteLength {
        /// The layout chosen.
        format: Format,
        /// The number of bytes decoded.
        found: usize,
    },
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::Empty => f.write_str("the string is empty"),
            DecodeErrorKind::InvalidCharacter { offset, ch } => {
                write!(f, "invalid character {ch:?} at offset {offset}")?;
                match ch {
                    '=' => f.write_str(" (canonical strings have no padding)"),
                    '+' | '/' => f.write_str(" (standard base64 alphabet; canonical strings use '-' and '_')"),
                    c if c.is_whitespace() => f.write_str(" (whitespace)"),
                    c if !c.is_ascii() => f.write_str(" (not ASCII)"),
                    _ => f.write_str(" (not in the URL-safe base64 alphabet)"),
                }
            }
            DecodeErrorKind::NonAscii { offset, ch } => {
                write!(f, "non-ASCII character {ch:?} at offset {offset}")
            }
            DecodeErrorKind::InvalidLength { found } => write!(
                f,
                "invalid length {found}: a session string has 362 (v2), 356 (legacy64) or 351 (legacy32) characters"
            ),
            DecodeErrorKind::NonZeroTrailingBits { offset, ch } => write!(
                f,
                "the last character {ch:?} at offset {offset} has non-zero trailing bits"
            ),
            DecodeErrorKind::InvalidBool { field, byte_offset, value } => write!(
                f,
                "{field} at byte {byte_offset} is {value}, not 0 or 1"
            ),
            DecodeErrorKind::UserIdOutOfRange { user_id } => write!(
                f,
                "user id {user_id} does not fit a signed 64-bit integer (at most {})",
                i64::MAX
            ),
            DecodeErrorKind::IncorrectPadding => f.write_str(
                "incorrect padding: the base64 data ends two or three characters into a group of four",
            ),
            DecodeErrorKind::LoneDataCharacter { data_chars } => write!(
                f,
                "the base64 data ends one character into a group of four ({data_chars} data characters)"
            ),
            DecodeErrorKind::WrongByteLength { format, found } => write!(
                f,
                "decoded {found} bytes where the {format} layout (chosen by the string's length) needs {}",
                format.byte_len()
            ),
        }
    }
}

impl DecodeErrorKind {
    /// A stable code for the kind, in snake case (`invalid_character`, `invalid_length`): one
    /// per kind, never renamed or given to another kind, for programs that act on errors;
    /// distinct from the storage's and the conversions' codes (spec/session-string.md §7).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            DecodeErrorKind::Empty => "empty_string",
            DecodeErrorKind::InvalidCharacter { .. } => "invalid_character",
            DecodeErrorKind::NonAscii { .. } => "non_ascii",
            DecodeErrorKind::InvalidLength { .. } => "invalid_length",
            DecodeErrorKind::NonZeroTrailingBits { .. } => "non_zero_trailing_bits",
            DecodeErrorKind::InvalidBool { .. } => "invalid_bool",
            DecodeErrorKind::UserIdOutOfRange { .. } => "string_user_id_out_of_range",
            DecodeErrorKind::IncorrectPadding => "incorrect_padding",
            DecodeErrorKind::LoneDataCharacter { .. } => "lone_data_character",
            DecodeErrorKind::WrongByteLength { .. } => "wrong_byte_length",
        }
    }

    /// The error Pyrogram 2.0.106 raises for the same string, as `Type: message`, or `None` where
    /// Pyrogram raises nothing (the strict decoder's extra checks; the empty string).
    #[must_use]
    pub fn pyrogram_error(&self) -> Option<String> {
        Some(match self {
            DecodeErrorKind::NonAscii { .. } => {
                "ValueError: string argument should contain only ASCII characters".to_owned()
            }
            DecodeErrorKind::UserIdOutOfRange { .. } => {
                "OverflowError: Python int too large to convert to SQLite INTEGER".to_owned()
            }
            DecodeErrorKind::IncorrectPadding => "binascii.Error: Incorrect padding".to_owned(),
            DecodeErrorKind::LoneDataCharacter { data_chars } => format!(
                "binascii.Error: Invalid base64-encoded string: number of data characters ({data_chars}) cannot be 1 more than a multiple of 4"
            ),
            DecodeErrorKind::WrongByteLength { format, .. } => format!(
                "struct.error: unpack requires a buffer of {} bytes",
                format.byte_len()
            ),
            DecodeErrorKind::Empty
            | DecodeErrorKind::InvalidCharacter { .. }
            | DecodeErrorKind::InvalidLength { .. }
            | DecodeErrorKind::NonZeroTrailingBits { .. }
            | DecodeErrorKind::InvalidBool { .. } => return None,
        })
    }
}

/// A rejected session string: what is wrong and where, and, when the string is recognisably
/// something else, what it looks like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    kind: DecodeErrorKind,
    diagnosis: Option<Diagnosis>,
}

impl DecodeError {
    pub(crate) fn new(kind: DecodeErrorKind, input: &str) -> Self {
        let diagnosis = super::diagnose(input);
        DecodeError { kind, diagnosis }
    }

    /// What is wrong.
    #[must_use]
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.kind
    }

    /// What the string looks like, when it is recognisably something else.
    #[must_use]
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        self.diagnosis.as_ref()
    }

    /// The error Pyrogram 2.0.106 raises for the same string (see
    /// [`DecodeErrorKind::pyrogram_error`]).
    #[must_use]
    pub fn pyrogram_error(&self) -> Option<String> {
        self.kind.pyrogram_error()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(p) = self.kind.pyrogram_error() {
            write!(f, " (Pyrogram 2.0.106: {p})")?;
        }
        if let Some(d) = &self.diagnosis {
            write!(f, "; {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}
