//! Fuzzes both session-string decoders and asserts the codec's laws on what they accept
//! (spec/session-string.md §9.4): not only that nothing panics.
#![no_main]

use std::fmt::{self, Display, Write};

use libfuzzer_sys::fuzz_target;
use pyrosession::string::{decode_compat, decode_strict, encode};

/// Whether `value` displays as a non-empty text: the whole `Display` runs, into no allocation.
fn says_something(value: &impl Display) -> bool {
    struct Length(usize);
    impl Write for Length {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut length = Length(0);
    write!(length, "{value}").expect("Display succeeds");
    length.0 > 0
}

fuzz_target!(|data: &[u8]| {
    // Any bytes become a string: invalid UTF-8 turns into U+FFFD, which is non-ASCII input.
    let s = String::from_utf8_lossy(data);
    let strict = decode_strict(&s);
    let compat = decode_compat(&s);

    if let Ok(st) = &strict {
        // Whatever strict accepts, compat accepts with the same fields and no warnings.
        assert_eq!(
            compat.as_ref().ok(),
            Some(st),
            "strict accepted, compat differs"
        );
        // encode(decode(s)) == s for canonical strings.
        assert_eq!(encode(&st.session, st.format).unwrap(), s);
    }
    match &compat {
        Ok(d) => {
            // Warnings are empty exactly when the string is canonical.
            assert_eq!(d.warnings.is_empty(), strict.is_ok(), "{:?}", d.warnings);
            // Re-encoding what compat accepts gives a string strict accepts, same session. When
            // strict accepted `s`, this is already shown: `d` is strict's result and encodes to
            // `s` (both asserted above), and strict's result for `s` is `strict`.
            if strict.is_err() {
                let again = encode(&d.session, d.format).unwrap();
                let st = decode_strict(&again).unwrap();
                assert_eq!((st.format, &st.session), (d.format, &d.session));
            }
            for w in &d.warnings {
                assert!(says_something(w));
            }
        }
        Err(e) => {
            // Every rejection of a non-empty string names Pyrogram's own error.
            assert!(says_something(e));
            assert_eq!(e.pyrogram_error().is_none(), s.is_empty(), "{e}");
        }
    }
    if let Err(e) = &strict {
        assert!(says_something(e));
    }
});
