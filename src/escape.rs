//! How a value from outside the program (a file, an argument, a driver's answer) is shown on a
//! terminal: escaped, so that it cannot move the cursor, add lines of its own or hide what
//! follows it (spec/conversions.md §11.2). A leaf: any layer may use it.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

/// A value from outside the program (a file, an argument, a driver's answer) as it may be
/// shown on a terminal, on one line: every character of general category Cc (controls, line
/// breaks and tabs included), Cf (format: bidi controls, zero-width characters, U+FEFF, tags),
/// Zl or Zp (U+2028, U+2029), and every default-ignorable one (variation selectors, fillers) is
/// written as `\u` and four hex digits (a character beyond U+FFFF as its UTF-16 surrogate pair,
/// as JSON writes it), so that no value can move the cursor, clear the screen, add lines of its
/// own to a report or hide or reorder what follows it (spec/conversions.md §11.2). The one
/// escaping rule of the command: [`terminal_safe`] is the same rule for whole reports, whose
/// line breaks are the report's own.
#[must_use]
pub fn one_line(value: &str) -> Cow<'_, str> {
    escape(value, false)
}

/// A whole report or message for the terminal: [`one_line`]'s escaping, except for the line
/// breaks and tabs that lay the report out (every value in it went through [`one_line`]). In
/// JSON, whose strings serde has escaped below U+0020, the escapes are valid JSON and read back
/// as the characters.
#[must_use]
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_layout: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| escaped(c) && !(keep_layout && matches!(c, '\n' | '\t'));
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            // Four digits a unit: beyond U+FFFF, the two units of UTF-16, as in JSON.
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether a character is escaped ([`crate::escaped_chars::escaped`]), answered without the
/// table's search for ASCII, where only the controls (U+0000 to U+001F, U+007F) are: most text
/// the command writes is ASCII, and a report of 200,000 peers asks for every character.
fn escaped(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_control()
    } else {
        crate::escaped_chars::escaped(c)
    }
}

/// A path as a message shows it: UTF-8 as it is, and each byte that is not UTF-8 as `\x` and
/// two lowercase hex digits (`bad\xff.session`), so that the operator can tell which file is
/// meant, where [`Path::display`] would show U+FFFD for any such byte. The result is then
/// escaped by [`one_line`] as any text from outside (spec/conversions.md §11.2).
#[must_use]
pub fn shown_path(path: &Path) -> String {
    let mut out = String::new();
    for chunk in path.as_os_str().as_encoded_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// The answer for ASCII is the table's.
    #[test]
    fn ascii_is_escaped_as_the_table_says() {
        for c in '\0'..='\x7f' {
            assert_eq!(super::escaped(c), crate::escaped_chars::escaped(c), "{c:?}");
        }
    }
}
