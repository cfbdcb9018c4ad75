//! Recognising what a rejected string is instead (spec/session-string.md §7.3).

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};
use zeroize::Zeroizing;

use super::compat::decode_compat_undiagnosed;
use super::pybase64::is_base64;
use super::strict::decode_strict_undiagnosed;
use super::Format;

/// What a rejected string recognisably is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Diagnosis {
    /// A Telethon `StringSession`: `1` and the URL-safe base64 of dc id, packed IP address, port
    /// and key.
    Telethon {
        /// Whether the address is IPv6.
        ipv6: bool,
        /// The data center in it.
        dc_id: u8,
    },
    /// A GramJS `StringSession`: `1` and the standard base64 of dc id, address as text, port and
    /// key.
    GramJs {
        /// The data center in it.
        dc_id: u8,
        /// The server address in it.
        server: String,
        /// The port in it.
        port: i16,
    },
    /// A Pyrogram session string with whitespace in it (a line break from copying, say);
    /// without the whitespace Pyrogram would accept it.
    Whitespace {
        /// How many whitespace characters.
        count: usize,
        /// The offset of the first.
        first_offset: usize,
    },
    /// A legacy string whose `=` padding was kept: its length no longer selects its layout.
    PaddedLegacy {
        /// The layout it has without the padding.
        format: Format,
    },
    /// A canonical string followed by more characters.
    TooLong {
        /// The layout of the canonical prefix.
        format: Format,
        /// The number of extra characters.
        extra: usize,
    },
    /// Characters of base64 (the URL-safe alphabet, or the standard one, which Pyrogram reads
    /// alike), fewer than a session string has.
    Truncated {
        /// The length found.
        found: usize,
    },
    /// The string wrapped in quotes (`"…"`, `'…'`, `` `…` ``, typographic `“…”` and `‘…’`, or
    /// Python's `b'…'` and `b"…"`), as copied from source code, a shell or a chat; the quotes
    /// are no part of it.
    Quoted {
        /// What the string inside the quotes is: `None` when it is a valid session string.
        inside: Option<Box<Diagnosis>>,
    },
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnosis::Telethon { ipv6, dc_id } => write!(
                f,
                "this is a Telethon string session (DC {dc_id}, {}), not a Pyrogram one",
                if *ipv6 { "IPv6" } else { "IPv4" }
            ),
            Diagnosis::GramJs { dc_id, server, port } => write!(
                f,
                "this is a GramJS string session (DC {dc_id}, {server}:{port}), not a Pyrogram one"
            ),
            Diagnosis::Whitespace { count, first_offset } => write!(
                f,
                "the string holds {count} whitespace character(s), the first at offset {first_offset}; without them it is a valid session string"
            ),
            Diagnosis::PaddedLegacy { format } => write!(
                f,
                "this is a {format} string with its '=' padding kept; without the padding it is valid"
            ),
            Diagnosis::TooLong { format, extra } => write!(
                f,
                "a valid {format} string followed by {extra} more character(s)"
            ),
            Diagnosis::Truncated { found } => write!(
                f,
                "the string looks truncated: {found} base64 characters, where a session string has 351, 356 or 362"
            ),
            Diagnosis::Quoted { inside: None } => f.write_str(
                "the string is wrapped in quotes, which are no part of it; without them it is a valid session string",
            ),
            Diagnosis::Quoted {
                inside: Some(inside),
            } => write!(
                f,
                "the string is wrapped in quotes, which are no part of it; without them: {inside}"
            ),
        }
    }
}

/// Says what a string that is not a session string recognisably is, if anything
/// (spec/session-string.md §7.3). Both decoders attach this to their errors.
#[must_use]
pub fn diagnose(input: &str) -> Option<Diagnosis> {
    quoted(input).or_else(|| unquoted(input))
}

/// What a string that is not wrapped in quotes is.
fn unquoted(input: &str) -> Option<Diagnosis> {
    whitespace(input)
        .or_else(|| gramjs(input))
        .or_else(|| telethon(input))
        .or_else(|| padded_legacy(input))
        .or_else(|| truncated(input))
        .or_else(|| too_long(input))
}

/// Whether base64 of `chars` characters can decode to `bytes` bytes or more: four characters
/// carry three bytes at most, whatever the decoder. The rules below first ask this of their
/// lengths, so that a string too short for what a rule looks for costs nothing to rule out.
fn may_hold(chars: usize, bytes: usize) -> bool {
    chars / 4 * 3 + (chars % 4).saturating_sub(1) >= bytes
}

/// The ASCII characters `char::is_whitespace` is true of: space, and tab to carriage return
/// (vertical tab included), as a table indexed by any byte, so that the test is one load rather
/// than comparisons (each a call of the fuzzer's comparison hooks, which were most of the time of
/// the `decode_string` target).
const ASCII_WHITESPACE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = b'\t';
    while b <= b'\r' {
        table[b as usize] = true;
        b += 1;
    }
    table[b' ' as usize] = true;
    table
};

/// Whether the byte `b` is ASCII whitespace.
fn ascii_whitespace(b: u8) -> bool {
    ASCII_WHITESPACE[usize::from(b)]
}

fn whitespace(input: &str) -> Option<Diagnosis> {
    // Without its whitespace (at least one character) the string must decode to the shortest
    // layout; its bytes are at least its characters.
    if !may_hold(input.len().saturating_sub(1), Format::Legacy32.byte_len()) {
        return None;
    }
    // In ASCII text the whitespace characters are these bytes, and bytes are characters: one
    // pass over the bytes finds them, strips them and counts them.
    if input.is_ascii() {
        let first_offset = input.bytes().position(ascii_whitespace)?;
        let stripped: Zeroizing<Vec<u8>> =
            Zeroizing::new(input.bytes().filter(|&b| !ascii_whitespace(b)).collect());
        // ASCII bytes are UTF-8.
        decode_compat_undiagnosed(std::str::from_utf8(&stripped).ok()?).ok()?;
        return Some(Diagnosis::Whitespace {
            count: input.len() - stripped.len(),
            first_offset,
        });
    }
    let first_offset = {
        // What is left without the whitespace must be ASCII to decode: a string with any other
        // character is ruled out at the first one, without reading the rest (most fuzz inputs
        // and most damaged strings are such).
        let mut first = None;
        for (i, c) in input.chars().enumerate() {
            if c.is_whitespace() {
                first = first.or(Some(i));
            } else if !c.is_ascii() {
                return None;
            }
        }
        first?
    };
    let stripped: Zeroizing<String> =
        Zeroizing::new(input.chars().filter(|c| !c.is_whitespace()).collect());
    decode_compat_undiagnosed(&stripped).ok()?;
    Some(Diagnosis::Whitespace {
        count: input.chars().filter(|c| c.is_whitespace()).count(),
        first_offset,
    })
}

/// The text inside one pair of quotes around the whole string, if it has them.
#[must_use]
pub(crate) fn inside_quotes(input: &str) -> Option<&str> {
    let body = input.strip_prefix('b').unwrap_or(input);
    // The first character names the one pair that can enclose the string.
    let open = body.chars().next()?;
    let close = match open {
        '"' | '\'' | '`' => open,
        '\u{201c}' => '\u{201d}',
        '\u{2018}' => '\u{2019}',
        _ => return None,
    };
    body[open.len_utf8()..]
        .strip_suffix(close)
        // One character at a time searched for (`memchr`), not a set of them (a loop of ours).
        .filter(|inner| !inner.is_empty() && !inner.contains(open) && !inner.contains(close))
}

fn quoted(input: &str) -> Option<Diagnosis> {
    let inner = inside_quotes(input.trim())?;
    if decode_compat_undiagnosed(inner).is_ok() {
        return Some(Diagnosis::Quoted { inside: None });
    }
    Some(Diagnosis::Quoted {
        inside: Some(Box::new(unquoted(inner)?)),
    })
}

const ANY_PADDING: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);

fn telethon(input: &str) -> Option<Diagnosis> {
    let body = input.strip_prefix('1')?;
    if !may_hold(body.len(), 263) {
        return None;
    }
    let bytes = Zeroizing::new(
        GeneralPurpose::new(&alphabet::URL_SAFE, ANY_PADDING)
            .decode(body)
            .ok()?,
    );
    let ipv6 = match bytes.len() {
        263 => false,
        275 => true,
        _ => return None,
    };
    Some(Diagnosis::Telethon {
        ipv6,
        dc_id: bytes[0],
    })
}

/// A GramJS string, where GramJS's own rule reads it as one ([`super::gramjs_layout`]).
fn gramjs(input: &str) -> Option<Diagnosis> {
    let body = input.strip_prefix('1')?;
    if super::telethon_by_length(body.len()) || !may_hold(body.len(), 1 + 2 + 2 + 256) {
        return None;
    }
    let bytes = Zeroizing::new(
        GeneralPurpose::new(&alphabet::STANDARD, ANY_PADDING)
            .decode(body)
            .ok()?,
    );
    let field = i16::from_be_bytes([*bytes.get(1)?, *bytes.get(2)?]);
    let len = usize::try_from(field).ok()?;
    if !super::gramjs_layout(body.len(), field) || bytes.len() != 1 + 2 + len + 2 + 256 {
        return None;
    }
    let address = &bytes[3..3 + len];
    if !address.iter().all(u8::is_ascii_graphic) {
        return None;
    }
    let server = String::from_utf8_lossy(address).into_owned();
    let port = i16::from_be_bytes([bytes[3 + len], bytes[4 + len]]);
    Some(Diagnosis::GramJs {
        dc_id: bytes[0],
        server,
        port,
    })
}

fn padded_legacy(input: &str) -> Option<Diagnosis> {
    let trimmed = input.trim_end_matches('=');
    // The strict decoder accepts only a legacy layout's length (in bytes, as it is ASCII).
    if trimmed.len() == input.len()
        || !matches!(
            Format::from_char_len(trimmed.len()),
            Some(Format::Legacy32 | Format::Legacy64)
        )
    {
        return None;
    }
    let decoded = decode_strict_undiagnosed(trimmed).ok()?;
    (decoded.format != Format::V2).then_some(Diagnosis::PaddedLegacy {
        format: decoded.format,
    })
}

/// Only past the longest layout: a shorter string's prefix may be a canonical legacy string by
/// chance (a quarter of truncated or damaged v2 strings have one).
fn too_long(input: &str) -> Option<Diagnosis> {
    // Its bytes first: a string has no more characters than bytes, and counting them reads it.
    if input.len() <= Format::V2.char_len() || input.chars().count() <= Format::V2.char_len() {
        return None;
    }
    Format::ALL.into_iter().find_map(|format| {
        // A prefix the strict decoder accepts is ASCII, so its characters are its bytes; where
        // the first bytes are not a whole prefix of characters, no prefix of them is accepted.
        let end = format.char_len();
        let prefix = input.get(..end)?;
        decode_strict_undiagnosed(prefix).ok()?;
        Some(Diagnosis::TooLong {
            format,
            extra: input[end..].chars().count(),
        })
    })
}

fn truncated(input: &str) -> Option<Diagnosis> {
    // Pyrogram reads `+` and `/` as `-` and `_`: a string in either alphabet is cut short alike.
    // The length first (in bytes, which are the characters where the alphabet test passes):
    // it rules most strings out without reading them.
    let found = input.len();
    (found > 0
        && found < Format::V2.char_len()
        && Format::from_char_len(found).is_none()
        && input.bytes().all(is_base64))
    .then_some(Diagnosis::Truncated { found })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};

    #[test]
    fn the_whitespace_table_is_char_is_whitespace_on_ascii() {
        for b in 0..=u8::MAX {
            assert_eq!(
                ascii_whitespace(b),
                b.is_ascii() && char::from(b).is_whitespace(),
                "byte {b:#04x}"
            );
        }
    }

    #[test]
    fn whitespace_is_counted_and_found_alike_in_ascii_and_other_text() {
        let session = crate::session::Session {
            dc_id: 2,
            api_id: Some(12345),
            test_mode: false,
            auth_key: crate::AuthKey::from_slice(&[7; 256]).expect("a key"),
            user_id: 42,
            is_bot: false,
        };
        let valid = crate::string::encode(&session, Format::V2).expect("encode");
        let ascii = format!(
            "{}\n {}\x0b{}",
            &valid[..10],
            &valid[10..200],
            &valid[200..]
        );
        assert_eq!(
            diagnose(&ascii),
            Some(Diagnosis::Whitespace {
                count: 3,
                first_offset: 10
            })
        );
        // The same with a non-ASCII whitespace character (a no-break space) in it: the other path.
        let other = format!(
            "{}\n {}\u{a0}{}",
            &valid[..10],
            &valid[10..200],
            &valid[200..]
        );
        assert_eq!(
            diagnose(&other),
            Some(Diagnosis::Whitespace {
                count: 3,
                first_offset: 10
            })
        );
    }

    #[test]
    fn telethon_and_gramjs_shapes() {
        let mut t = vec![2u8, 149, 154, 167, 51, 1, 187];
        t.extend_from_slice(&[9; 256]);
        let s = format!("1{}", URL_SAFE.encode(&t));
        assert_eq!(s.len(), 353);
        assert_eq!(
            diagnose(&s),
            Some(Diagnosis::Telethon {
                ipv6: false,
                dc_id: 2
            })
        );

        let addr = b"149.154.167.51";
        let mut g = vec![4u8, 0, addr.len() as u8];
        g.extend_from_slice(addr);
        g.extend_from_slice(&443i16.to_be_bytes());
        g.extend_from_slice(&[9; 256]);
        let s = format!("1{}", STANDARD.encode(&g));
        assert_eq!(
            diagnose(&s),
            Some(Diagnosis::GramJs {
                dc_id: 4,
                server: "149.154.167.51".into(),
                port: 443
            })
        );
    }

    #[test]
    fn nothing_to_say_about_noise() {
        assert_eq!(diagnose("hello world!"), None);
        assert_eq!(diagnose(""), None);
    }
}
