//! Python's `base64.urlsafe_b64decode` without `validate`, as Pyrogram 2.0.106 calls it on
//! CPython 3.11 (spec/session-string.md §6.2).
//!
//! The input has been checked to be ASCII. `-` and `_` are read as `+` and `/` (Python
//! translates them first), so both alphabets decode alike. Every step keeps the facts the
//! compatible decoder reports as warnings.

use zeroize::Zeroizing;

/// Set in a [`CLASS`] for `+` and `/`, the standard alphabet's characters, beside their value.
const STANDARD: u8 = 0x40;
/// The [`CLASS`] of `=`.
const PAD: u8 = 0x80;
/// The [`CLASS`] of a character outside both alphabets.
const OTHER: u8 = 0xff;

/// Each byte's class: its value (0 to 63) for a character of the URL-safe alphabet, its value
/// with [`STANDARD`] set for `+` and `/`, [`PAD`] for `=` and [`OTHER`] for the rest. One look-up
/// per character, where a chain of comparisons cost the fuzz target most of its time.
const CLASS: [u8; 256] = {
    let mut class = [OTHER; 256];
    let mut i = 0;
    while i < 26 {
        class[b'A' as usize + i] = i as u8;
        class[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 10 {
        class[b'0' as usize + i] = 52 + i as u8;
        i += 1;
    }
    class[b'-' as usize] = 62;
    class[b'_' as usize] = 63;
    class[b'+' as usize] = STANDARD | class[b'-' as usize];
    class[b'/' as usize] = STANDARD | class[b'_' as usize];
    class[b'=' as usize] = PAD;
    class
};

/// What decoding read, besides the bytes.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// Count and first offset of `+` and `/`.
    pub standard: Option<(usize, usize)>,
    /// Count and first offset of `=` in the input (not the appended padding) up to the stop.
    pub padding: Option<(usize, usize)>,
    /// Count, first offset and first character of characters outside the alphabets.
    pub ignored: Option<(usize, usize, u8)>,
    /// The offset of the input character at which a padding sequence ended decoding, if that
    /// happened inside the input (not in the appended padding).
    pub stopped_at: Option<usize>,
    /// The offset and character of the last data character, when its trailing bits were dropped
    /// and not all zero.
    pub dirty_tail: Option<(usize, u8)>,
}

/// Why Python's decoder failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `binascii.Error: Incorrect padding`.
    IncorrectPadding,
    /// `binascii.Error: Invalid base64-encoded string: number of data characters (N) ...`.
    LoneDataCharacter(usize),
}

/// Whether a byte is a character of the URL-safe base64 alphabet.
pub(crate) fn is_url_safe(b: u8) -> bool {
    CLASS[usize::from(b)] < STANDARD
}

/// Whether a byte is a character of the URL-safe or the standard base64 alphabet (not `=`).
pub(crate) fn is_base64(b: u8) -> bool {
    CLASS[usize::from(b)] < PAD
}

fn note(slot: &mut Option<(usize, usize)>, offset: usize) {
    match slot {
        Some((count, _)) => *count += 1,
        None => *slot = Some((1, offset)),
    }
}

/// One `=`: counted as padding from the third character of a group of four on, and whether it
/// completes the group, which ends decoding.
fn pad_ends(quad_pos: u8, pads: &mut u8) -> bool {
    if quad_pos >= 2 {
        *pads += 1;
        quad_pos + *pads >= 4
    } else {
        false
    }
}

/// Decodes `input` followed by `appended` `=` characters, as
/// `urlsafe_b64decode(input + "=" * appended)` does.
pub(crate) fn urlsafe_b64decode(
    input: &[u8],
    appended: usize,
) -> Result<(Zeroizing<Vec<u8>>, Trace), Failure> {
    let mut out = Zeroizing::new(Vec::with_capacity(input.len() / 4 * 3 + 3));
    let mut trace = Trace::default();
    let mut quad_pos = 0u8;
    let mut leftchar = 0u8;
    let mut pads = 0u8;
    let mut last_data = 0usize;
    let mut stopped = false;

    for (i, &c) in input.iter().enumerate() {
        let mut v = CLASS[usize::from(c)];
        if v >= STANDARD {
            if v == PAD {
                note(&mut trace.padding, i);
                if pad_ends(quad_pos, &mut pads) {
                    trace.stopped_at = Some(i);
                    stopped = true;
                    break;
                }
                continue;
            }
            if v == OTHER {
                match &mut trace.ignored {
                    Some((count, _, _)) => *count += 1,
                    None => trace.ignored = Some((1, i, c)),
                }
                continue;
            }
            note(&mut trace.standard, i);
            v &= !STANDARD;
        }
        pads = 0;
        last_data = i;
        match quad_pos {
            0 => {
                leftchar = v;
                quad_pos = 1;
            }
            1 => {
                out.push((leftchar << 2) | (v >> 4));
                leftchar = v & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push((leftchar << 4) | (v >> 2));
                leftchar = v & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push((leftchar << 6) | v);
                leftchar = 0;
                quad_pos = 0;
            }
        }
    }

    // The `=` appended to the input: they end decoding as the input's own would, unrecorded.
    if !stopped {
        stopped = (0..appended).any(|_| pad_ends(quad_pos, &mut pads));
    }

    if !stopped && quad_pos != 0 {
        return Err(if quad_pos == 1 {
            Failure::LoneDataCharacter(out.len() / 3 * 4 + 1)
        } else {
            Failure::IncorrectPadding
        });
    }
    if leftchar != 0 {
        trace.dirty_tail = Some((last_data, input[last_data]));
    }
    Ok((out, trace))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases checked against CPython 3.11's `binascii.a2b_base64` (spec/session-string.md §6.2).
    #[test]
    fn matches_cpython_on_hand_picked_cases() {
        let ok: &[(&str, &[u8])] = &[
            ("AB=CD", b"\x00\x10\x83"),
            ("ABC=D", b"\x00\x10"),
            ("ABC=DEFG", b"\x00\x10"),
            ("AB==CDEF", b"\x00"),
            ("AB= =CD", b"\x00"),
            ("A=BCD", b"\x00\x10\x83"),
            ("AB=A=", b"\x00\x10"),
            ("=ABCD", b"\x00\x10\x83"),
            ("AB=*=XYZW", b"\x00"),
        ];
        for (input, bytes) in ok {
            let (got, _) = urlsafe_b64decode(input.as_bytes(), 0).unwrap();
            assert_eq!(got.as_slice(), *bytes, "{input}");
        }
        let bad: &[(&str, Failure)] = &[
            ("AB=C", Failure::IncorrectPadding),
            ("AB=", Failure::IncorrectPadding),
            ("ABCDEF", Failure::IncorrectPadding),
            ("AB*=", Failure::IncorrectPadding),
            ("ABCDE", Failure::LoneDataCharacter(5)),
            ("ABCDE===", Failure::LoneDataCharacter(5)),
            ("A", Failure::LoneDataCharacter(1)),
        ];
        for (input, failure) in bad {
            assert_eq!(
                urlsafe_b64decode(input.as_bytes(), 0).unwrap_err(),
                *failure,
                "{input}"
            );
        }
    }

    #[test]
    fn trace_records_departures() {
        let (_, t) = urlsafe_b64decode(b" A+BC/D==xy", 0).unwrap();
        assert_eq!(t.ignored, Some((1, 0, b' ')));
        assert_eq!(t.standard, Some((2, 2)));
        assert_eq!(t.padding, Some((2, 7)));
        assert_eq!(t.stopped_at, Some(8));
        let (_, t) = urlsafe_b64decode(b"AQ", 2).unwrap();
        assert_eq!((t.padding, t.stopped_at, t.dirty_tail), (None, None, None));
        let (_, t) = urlsafe_b64decode(b"AP", 2).unwrap();
        assert_eq!(t.dirty_tail, Some((1, b'P')));
    }
}
