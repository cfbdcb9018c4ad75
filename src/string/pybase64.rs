//! Python's `base64.urlsafe_b64decode` without `validate`, as Pyrogram 2.0.106 calls it on
//! CPython 3.11 (spec/session-string.md §6.2).
//!
//! The input has been checked to be ASCII. `-` and `_` are read as `+` and `/` (Python
//! translates them first), so both alphabets decode alike. Every step keeps the facts the
//! compatible decoder reports as warnings.

use zeroize::Zeroizing;

/// The value of a base64 character in either alphabet, or `None`.
fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

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

fn note(slot: &mut Option<(usize, usize)>, offset: usize) {
    match slot {
        Some((count, _)) => *count += 1,
        None => *slot = Some((1, offset)),
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

    let chars = input
        .iter()
        .copied()
        .chain(std::iter::repeat_n(b'=', appended));
    for (i, c) in chars.enumerate() {
        let in_input = i < input.len();
        if c == b'=' {
            if in_input {
                note(&mut trace.padding, i);
            }
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    if in_input {
                        trace.stopped_at = Some(i);
                    }
                    stopped = true;
                    break;
                }
            }
            continue;
        }
        let Some(v) = value(c) else {
            match &mut trace.ignored {
                Some((count, _, _)) => *count += 1,
                None => trace.ignored = Some((1, i, c)),
            }
            continue;
        };
        if c == b'+' || c == b'/' {
            note(&mut trace.standard, i);
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
