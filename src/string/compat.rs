//! The Pyrogram-compatible decoder (spec/session-string.md §6).

use super::error::{BoolField, DecodeError, DecodeErrorKind};
use super::pybase64::{urlsafe_b64decode, Failure};
use super::{unpack, Decoded, Format, Warning};
use crate::Session;

/// Decodes a session string exactly as Pyrogram 2.0.106 does when it opens a memory storage from
/// it (`MemoryStorage(name, session_string).open()`), and reports every way the string departs
/// from canonical form (spec/session-string.md §6).
///
/// It accepts exactly the strings Pyrogram accepts and yields the same fields:
/// - the layout is chosen by the string's length in characters: 351 is `legacy32`, 356 is
///   `legacy64`, any other length is `v2` (§6.1);
/// - the string is padded with `=` to a multiple of four characters and decoded as Python's
///   `urlsafe_b64decode` does: both alphabets, characters outside them skipped, decoding stopped
///   by a padding sequence, trailing bits dropped (§6.2);
/// - the bytes must be exactly the layout's length; booleans are true when non-zero; the user id
///   must fit SQLite's signed 64-bit INTEGER (§6.3).
///
/// Legacy strings carry no `api_id`, so [`Session::api_id`] is `None` for them.
///
/// A rejection's [`DecodeError::pyrogram_error`] is the error Pyrogram raises for the same string;
/// the empty string, which Pyrogram takes as no session string at all, is rejected with no
/// Pyrogram error (§8).
pub fn decode_compat(input: &str) -> Result<Decoded, DecodeError> {
    decode_compat_undiagnosed(input).map_err(|kind| DecodeError::new(kind, input))
}

/// [`decode_compat`] without the diagnosis of rejected strings.
pub(crate) fn decode_compat_undiagnosed(input: &str) -> Result<Decoded, DecodeErrorKind> {
    if input.is_empty() {
        return Err(DecodeErrorKind::Empty);
    }
    if !input.is_ascii() {
        if let Some((offset, ch)) = input.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
            return Err(DecodeErrorKind::NonAscii { offset, ch });
        }
    }
    // The string is ASCII from here on, so characters and bytes coincide.
    let bytes = input.as_bytes();
    let format = match bytes.len() {
        351 => Format::Legacy32,
        356 => Format::Legacy64,
        _ => Format::V2,
    };
    let appended = (4 - bytes.len() % 4) % 4;
    let (data, trace) = urlsafe_b64decode(bytes, appended).map_err(|f| match f {
        Failure::IncorrectPadding => DecodeErrorKind::IncorrectPadding,
        Failure::LoneDataCharacter(data_chars) => DecodeErrorKind::LoneDataCharacter { data_chars },
    })?;
    if data.len() != format.byte_len() {
        return Err(DecodeErrorKind::WrongByteLength {
            format,
            found: data.len(),
        });
    }
    let fields = unpack(&data, format);
    if fields.user_id > Session::MAX_USER_ID {
        return Err(DecodeErrorKind::UserIdOutOfRange {
            user_id: fields.user_id,
        });
    }

    let mut warnings = Vec::new();
    if let Some((count, first_offset)) = trace.standard {
        warnings.push(Warning::StandardAlphabet {
            count,
            first_offset,
        });
    }
    if let Some((count, first_offset)) = trace.padding {
        warnings.push(Warning::Padding {
            count,
            first_offset,
        });
    }
    if let Some((count, first_offset, first)) = trace.ignored {
        warnings.push(Warning::IgnoredCharacters {
            count,
            first_offset,
            first: char::from(first),
        });
    }
    if let Some(stop) = trace.stopped_at {
        if stop + 1 < bytes.len() {
            warnings.push(Warning::IgnoredAfterPadding {
                offset: stop + 1,
                count: bytes.len() - stop - 1,
            });
        }
    }
    if let Some((offset, ch)) = trace.dirty_tail {
        warnings.push(Warning::NonZeroTrailingBits {
            offset,
            ch: char::from(ch),
        });
    }
    for (field, value) in [
        (BoolField::TestMode, fields.test_mode),
        (BoolField::IsBot, fields.is_bot),
    ] {
        if value > 1 {
            warnings.push(Warning::NonCanonicalBool { field, value });
        }
    }

    Ok(Decoded {
        format,
        session: Session {
            dc_id: fields.dc_id,
            api_id: fields.api_id,
            test_mode: fields.test_mode != 0,
            auth_key: fields.auth_key,
            user_id: fields.user_id,
            is_bot: fields.is_bot != 0,
        },
        warnings,
    })
}
