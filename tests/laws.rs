//! The codec's laws as properties (spec/session-string.md §9.3).

mod util;

use proptest::prelude::*;
use pyrosession::string::{decode_compat, decode_strict, encode, Format};
use pyrosession::{AuthKey, Session};
use util::mutate::{generate, Rng, KINDS};

fn format() -> impl Strategy<Value = Format> {
    prop_oneof![
        Just(Format::V2),
        Just(Format::Legacy64),
        Just(Format::Legacy32)
    ]
}

/// A session valid for the given layout: legacy layouts carry no `api_id`, and the user id fits.
fn session_for(format: Format) -> impl Strategy<Value = Session> {
    (
        any::<u8>(),
        any::<u32>(),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 256),
        prop_oneof![
            0..=format.max_user_id(),
            Just(format.max_user_id()),
            Just(0)
        ],
        any::<bool>(),
    )
        .prop_map(
            move |(dc_id, api_id, test_mode, key, user_id, is_bot)| Session {
                dc_id,
                api_id: format.has_api_id().then_some(api_id),
                test_mode,
                auth_key: AuthKey::from_slice(&key).expect("256 bytes"),
                user_id,
                is_bot,
            },
        )
}

fn format_and_session() -> impl Strategy<Value = (Format, Session)> {
    format().prop_flat_map(|f| (Just(f), session_for(f)))
}

/// A near-valid string: a canonical one of any layout, mutated as real strings go wrong.
fn near_valid() -> impl Strategy<Value = String> {
    (0..KINDS.len(), any::<u64>()).prop_map(|(kind, seed)| generate(&mut Rng::new(seed), kind))
}

/// Any string at all: arbitrary Unicode, any length, and lengths around the layouts'.
fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_=+/ -]{340,370}",
        "\\PC{0,400}",
        proptest::collection::vec(any::<char>(), 345..370).prop_map(|v| v.into_iter().collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// decode(encode(x)) == x for every valid session and layout, with both decoders, and the
    /// compatible decoder reports no warnings.
    #[test]
    fn prop_roundtrip((format, session) in format_and_session()) {
        let s = encode(&session, format).unwrap();
        prop_assert_eq!(s.len(), format.char_len());
        let strict = decode_strict(&s).unwrap();
        prop_assert_eq!(strict.format, format);
        prop_assert_eq!(&strict.session, &session);
        let compat = decode_compat(&s).unwrap();
        prop_assert_eq!(compat, strict);
    }

    /// encode(decode(s)) == s for every canonical string s, made here from raw bytes without the
    /// crate's encoder.
    #[test]
    fn prop_canonical_reencodes(seed in any::<u64>(), format in format()) {
        let raw = util::mutate::Raw::random(&mut Rng::new(seed), format);
        let s = raw.encode();
        let d = decode_strict(&s).unwrap();
        prop_assert_eq!(encode(&d.session, d.format).unwrap(), s);
    }

    /// Whatever the strict decoder accepts, the compatible decoder accepts with the same layout
    /// and fields and no warnings.
    #[test]
    fn prop_strict_implies_compat(s in near_valid()) {
        if let Ok(strict) = decode_strict(&s) {
            prop_assert_eq!(decode_compat(&s).unwrap(), strict);
        }
    }

    /// Re-encoding what the compatible decoder accepts gives a string the strict decoder accepts,
    /// with the same session.
    #[test]
    fn prop_compat_reencodes_strict(s in near_valid()) {
        if let Ok(d) = decode_compat(&s) {
            let again = encode(&d.session, d.format).unwrap();
            let strict = decode_strict(&again).unwrap();
            prop_assert_eq!(strict.format, d.format);
            prop_assert_eq!(strict.session, d.session);
        }
    }

    /// The compatible decoder's warnings are empty exactly when the string is canonical, that
    /// is, when the strict decoder accepts it.
    #[test]
    fn prop_warnings_iff_not_canonical(s in near_valid()) {
        if let Ok(d) = decode_compat(&s) {
            prop_assert_eq!(d.warnings.is_empty(), decode_strict(&s).is_ok(), "{:?}", d.warnings);
        }
    }

    /// Neither decoder panics on any string, and every rejection displays.
    #[test]
    fn prop_no_panic(s in any_string()) {
        for result in [decode_strict(&s), decode_compat(&s)] {
            if let Err(e) = result {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    /// Every rejection of a near-valid string names what is wrong; a compatible rejection of a
    /// non-empty string also names Pyrogram's error.
    #[test]
    fn prop_compat_rejections_name_pyrogram_error(s in near_valid()) {
        if let Err(e) = decode_compat(&s) {
            prop_assert!(e.pyrogram_error().is_some(), "{}", e);
        }
    }
}

/// The mutation generator reaches both verdicts for each kind that can, so the properties above
/// are exercised on accepted and rejected strings alike.
#[test]
fn near_valid_strings_reach_both_verdicts() {
    let (mut accepted, mut rejected) = (0, 0);
    for kind in 0..KINDS.len() {
        let mut rng = Rng::new(kind as u64);
        for _ in 0..200 {
            match decode_compat(&generate(&mut rng, kind)) {
                Ok(_) => accepted += 1,
                Err(_) => rejected += 1,
            }
        }
    }
    assert!(
        accepted > 500 && rejected > 500,
        "{accepted} accepted, {rejected} rejected"
    );
}
