//! GramJS's rule for telling its string sessions from Telethon's, which begin alike (`1`, then
//! base64): spec/conversions.md §3.1 rule 3, spec/session-string.md §7.3. The one place it is
//! written: detection (`convert/input.rs`), GramJS's decoder (`convert/gramjs.rs`) and the
//! diagnosis of a rejected Pyrogram string ([`super::diagnose`]) use it.
//!
//! GramJS's `StringSession.load` reads a body (the text after `1`) of 352 characters as
//! Telethon's IPv4 layout, whatever it holds; any other body by the signed 16-bit number after
//! the dc id: an address length of at most 100 is its own layout, a larger number is the
//! start of Telethon's 16-byte IPv6 address.

/// The length of the base64 body of a Telethon IPv4 string session (263 bytes: dc id, 4-byte
/// address, port, key), which GramJS reads as Telethon's layout whatever it holds.
pub(crate) const TELETHON_IPV4_BODY: usize = 352;

/// The longest address GramJS reads as an address length; a larger number after the dc id is
/// the start of Telethon's IPv6 address.
pub(crate) const GRAMJS_MAX_ADDRESS_LEN: usize = 100;

/// Whether GramJS reads a body of `body_chars` characters as Telethon's layout by its length
/// alone.
pub(crate) const fn telethon_by_length(body_chars: usize) -> bool {
    body_chars == TELETHON_IPV4_BODY
}

/// Whether GramJS reads a body of `body_chars` characters whose number after the dc id is
/// `address_len` as its own layout (rather than Telethon's).
pub(crate) fn gramjs_layout(body_chars: usize, address_len: i16) -> bool {
    !telethon_by_length(body_chars)
        && usize::try_from(address_len).map_or(true, |l| l <= GRAMJS_MAX_ADDRESS_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gramjs_rule() {
        assert!(telethon_by_length(352));
        assert!(!gramjs_layout(352, 15));
        assert!(gramjs_layout(368, 15));
        assert!(gramjs_layout(368, 100));
        assert!(!gramjs_layout(368, 101));
        // GramJS compares the signed number: a negative one is not over 100.
        assert!(gramjs_layout(368, -1));
    }
}
