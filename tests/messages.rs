//! Error and warning texts are API: each is asserted verbatim (spec/session-string.md §7).

mod util;

use pyrosession::string::{
    decode_compat, decode_strict, encode, DecodeError, Decoded, EncodeError, Format, Warning,
};
use pyrosession::{AuthKey, Session};
use util::assert_message;

fn v2() -> String {
    std::fs::read_to_string(util::root().join("spec/examples/v2.txt"))
        .unwrap()
        .trim_end()
        .to_owned()
}

fn session(user_id: u64, api_id: Option<u32>) -> Session {
    Session {
        dc_id: 2,
        api_id,
        test_mode: false,
        auth_key: AuthKey::new([1; 256]),
        user_id,
        is_bot: false,
    }
}

#[test]
fn strict_errors_name_what_and_where() {
    let s = v2();
    assert_message(&decode_strict("").unwrap_err(), "the string is empty");
    assert_message(
        &decode_strict(&format!("{}+{}", &s[..5], &s[6..])).unwrap_err(),
        "invalid character '+' at offset 5 (standard base64 alphabet; canonical strings use '-' and '_')",
    );
    assert_message(
        &decode_strict(&format!("{}\u{e9}{}", &s[..10], &s[11..])).unwrap_err(),
        "invalid character '\u{e9}' at offset 10 (not ASCII)",
    );
    assert_message(
        &decode_strict(&format!("{}.{}", &s[..10], &s[11..])).unwrap_err(),
        "invalid character '.' at offset 10 (not in the URL-safe base64 alphabet)",
    );
    assert_message(
        &decode_strict(&s[..300]).unwrap_err(),
        "invalid length 300: a session string has 362 (v2), 356 (legacy64) or 351 (legacy32) characters; the string looks truncated: 300 base64 characters, where a session string has 351, 356 or 362",
    );
    assert_message(
        &decode_strict(&format!("{}B", &s[..361])).unwrap_err(),
        "the last character 'B' at offset 361 has non-zero trailing bits",
    );
    let vectors = util::vectors("session_string");
    let input = |name: &str| {
        vectors[1..].iter().find(|v| v["name"] == name).unwrap()["input"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_message(
        &decode_strict(&input("v2_test_mode_byte_2")).unwrap_err(),
        "test_mode at byte 5 is 2, not 0 or 1",
    );
    assert_message(
        &decode_strict(&input("v2_is_bot_byte_255")).unwrap_err(),
        "is_bot at byte 270 is 255, not 0 or 1",
    );
    assert_message(
        &decode_strict(&input("v2_user_id_2_63")).unwrap_err(),
        "user id 9223372036854775808 does not fit a signed 64-bit integer (at most 9223372036854775807) (Pyrogram 2.0.106: OverflowError: Python int too large to convert to SQLite INTEGER)",
    );
}

#[test]
fn compatible_errors_name_pyrogram_error_and_diagnosis() {
    let s = v2();
    assert_message(&decode_compat("").unwrap_err(), "the string is empty");
    assert_message(
        &decode_compat(&format!(" {s}")).unwrap_err(),
        "incorrect padding: the base64 data ends two or three characters into a group of four (Pyrogram 2.0.106: binascii.Error: Incorrect padding); the string holds 1 whitespace character(s), the first at offset 0; without them it is a valid session string",
    );
    assert_message(
        &decode_compat(&s[..361]).unwrap_err(),
        "the base64 data ends one character into a group of four (361 data characters) (Pyrogram 2.0.106: binascii.Error: Invalid base64-encoded string: number of data characters (361) cannot be 1 more than a multiple of 4); the string looks truncated: 361 base64 characters, where a session string has 351, 356 or 362",
    );
    assert_message(
        &decode_compat(&format!("{s}\u{1f511}")).unwrap_err(),
        "non-ASCII character '\u{1f511}' at offset 362 (Pyrogram 2.0.106: ValueError: string argument should contain only ASCII characters); a valid v2 string followed by 1 more character(s)",
    );
    let legacy = std::fs::read_to_string(util::root().join("spec/examples/legacy32.txt")).unwrap();
    assert_message(
        &decode_compat(&format!("{}=", legacy.trim_end())).unwrap_err(),
        "decoded 263 bytes where the v2 layout (chosen by the string's length) needs 271 (Pyrogram 2.0.106: struct.error: unpack requires a buffer of 271 bytes); this is a legacy32 string with its '=' padding kept; without the padding it is valid",
    );
}

#[test]
fn warnings_read_as_sentences() {
    let s = v2();
    let dashes = s.matches('-').count();
    let first = s.find('-').unwrap();
    let d = decode_compat(&format!("  {}\n", s.replace('-', "+"))).unwrap();
    let texts: Vec<String> = d.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            format!("{dashes} character(s) of the standard base64 alphabet ('+' or '/'), the first at offset {}; canonical strings use '-' and '_'", first + 2),
            "3 character(s) outside the base64 alphabet ignored, the first ' ' at offset 0".to_owned(),
        ]
    );
    let d = decode_compat(&format!("{s}==xyz")).unwrap();
    assert_eq!(
        d.warnings,
        [
            Warning::Padding {
                count: 2,
                first_offset: 362
            },
            Warning::IgnoredAfterPadding {
                offset: 364,
                count: 3
            }
        ]
    );
    assert_message(
        &d.warnings[1],
        "3 character(s) after the padding ignored, from offset 364",
    );
    let d = decode_compat(&format!("{}B", &s[..361])).unwrap();
    assert_message(
        &d.warnings[0],
        "the last data character 'B' at offset 361 has non-zero trailing bits, which are dropped",
    );
}

#[test]
fn encode_errors_say_which_field() {
    assert_message(
        &encode(&session(1, None), Format::V2).unwrap_err(),
        "the session has no api_id, which the v2 format requires",
    );
    assert_eq!(
        encode(&session(1, None), Format::V2).unwrap_err(),
        EncodeError::MissingApiId
    );
    assert_message(
        &encode(&session(1 << 32, Some(1)), Format::Legacy32).unwrap_err(),
        "user id 4294967296 does not fit the legacy32 format (at most 4294967295)",
    );
    assert_message(
        &encode(&session(1 << 63, Some(1)), Format::V2).unwrap_err(),
        "user id 9223372036854775808 does not fit the v2 format (at most 9223372036854775807)",
    );
    // Legacy layouts have no api_id: it is left out, and reads back as absent.
    let s = encode(&session(5, Some(99)), Format::Legacy64).unwrap();
    assert_eq!(decode_strict(&s).unwrap().session.api_id, None);
}

#[test]
fn debug_output_never_holds_the_key() {
    let d = decode_compat(&v2()).unwrap();
    let debug = format!("{d:?}");
    assert!(debug.contains("AuthKey(id=c8df57a46e58d132)"), "{debug}");
    assert!(!debug.contains("0, 1, 2, 3, 4, 5"), "{debug}");
    // A session string named on the command line is redacted too.
    let source = format!("{:?}", pyrosession::convert::Argument::Literal(v2()));
    assert_eq!(source, "Literal(362 characters)");
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Session>();
    check::<AuthKey>();
    check::<Decoded>();
    check::<DecodeError>();
    check::<EncodeError>();
    check::<Warning>();
}
