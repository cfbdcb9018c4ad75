//! What Python does that the crate emulates where Pyrogram's behaviour depends on it: Python's
//! `\s` and the texts `int()` takes (spec/storage.md §6.5). A leaf over the generated
//! [`crate::python_digits`].

/// Python's `\s` in a `str` pattern: Unicode whitespace, and the separators U+001C to U+001F.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's limit on the digits `int()` converts from a text (`sys.int_info`'s
/// `default_max_str_digits`, Python 3.11, and 3.10.7 on): a longer number is a `ValueError`.
const INT_MAX_STR_DIGITS: usize = 4300;

/// Whether Python's `int()` takes the text (signs and whitespace are already gone but `-`):
/// decimal digits of any script (Unicode's Nd, `crate::python_digits`), with single
/// underscores between them, at most 4300 of them.
pub(crate) fn int_accepts(t: &str) -> bool {
    let digits = t.strip_prefix('-').unwrap_or(t);
    let mut count = 0;
    let mut after_digit = false;
    for c in digits.chars() {
        if crate::python_digits::is_decimal(c) {
            count += 1;
            after_digit = true;
        } else if c == '_' && after_digit {
            after_digit = false;
        } else {
            return false;
        }
    }
    after_digit && count <= INT_MAX_STR_DIGITS
}

#[cfg(test)]
mod tests {
    use super::{int_accepts, is_space};

    #[test]
    fn int_takes_digits_of_any_script_with_single_underscores() {
        assert!(int_accepts("12_345"));
        assert!(int_accepts("-١٢٣"));
        assert!(!int_accepts("1__2"));
        assert!(!int_accepts("_1"));
        assert!(!int_accepts("1_"));
        assert!(!int_accepts(""));
        assert!(!int_accepts("-"));
        assert!(int_accepts(&"9".repeat(4300)));
        assert!(!int_accepts(&"9".repeat(4301)));
    }

    #[test]
    fn space_is_pythons() {
        assert!(is_space('\u{1c}'));
        assert!(is_space('\u{a0}'));
        assert!(!is_space('x'));
    }
}
