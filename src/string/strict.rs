//! The strict decoder (spec/session-string.md §5).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::error::{BoolField, DecodeError, DecodeErrorKind};
use super::pybase64::is_url_safe;
use super::{unpack, Decoded, Format};
use crate::Session;

/// Decodes a canonical session string and nothing else (spec/session-string.md §5).
///
/// A string is canonical when it is exactly what [`encode`](super::encode) writes: the URL-safe
/// alphabet only, no padding, 351, 356 or 362 characters, zero trailing bits, booleans 0 or 1,
/// and a user id that fits a signed 64-bit integer. Checks run in that order and the first
/// failure is reported with its offset and character, or the length found.
///
/// Whatever this accepts, [`decode_compat`](super::decode_compat) accepts with the same fields
/// and no warnings.
pub fn decode_strict(input: &str) -> Result<Decoded, DecodeError> {
    decode_strict_undiagnosed(input).map_err(|kind| DecodeError::new(kind, input))
}

/// [`decode_strict`] without the diagnosis of rejected strings.
pub(crate) fn decode_strict_undiagnosed(input: &str) -> Result<Decoded, DecodeErrorKind> {
    // Bytes, not characters: every byte before the first one outside the alphabet is ASCII, so
    // its byte offset is its character offset, and it starts a character (a non-ASCII
    // character's first byte is outside the alphabet).
    if let Some(offset) = input.bytes().position(|b| !is_url_safe(b)) {
        let ch = input[offset..].chars().next().unwrap_or_default();
        return Err(DecodeErrorKind::InvalidCharacter { offset, ch });
    }
    // Only ASCII from here on.
    let Some(format) = Format::from_char_len(input.len()) else {
        return Err(if input.is_empty() {
            DecodeErrorKind::Empty
        } else {
            DecodeErrorKind::InvalidLength { found: input.len() }
        });
    };
    let data = URL_SAFE_NO_PAD
        .decode(input)
        .map(Zeroizing::new)
        .map_err(|_| {
            // The alphabet and the length are right, so only the last symbol can be wrong.
            let offset = input.len() - 1;
            DecodeErrorKind::NonZeroTrailingBits {
                offset,
                ch: char::from(input.as_bytes()[offset]),
            }
        })?;
    debug_assert_eq!(data.len(), format.byte_len());
    let fields = unpack(&data, format);
    let (t, _, _, b) = format.offsets();
    for (field, byte_offset, value) in [
        (BoolField::TestMode, t, fields.test_mode),
        (BoolField::IsBot, b, fields.is_bot),
    ] {
        if value > 1 {
            return Err(DecodeErrorKind::InvalidBool {
                field,
                byte_offset,
                value,
            });
        }
    }
    if fields.user_id > Session::MAX_USER_ID {
        return Err(DecodeErrorKind::UserIdOutOfRange {
            user_id: fields.user_id,
        });
    }
    Ok(Decoded {
        format,
        session: Session {
            dc_id: fields.dc_id,
            api_id: fields.api_id,
            test_mode: fields.test_mode == 1,
            auth_key: fields.auth_key,
            user_id: fields.user_id,
            is_bot: fields.is_bot == 1,
        },
        warnings: Vec::new(),
    })
}
