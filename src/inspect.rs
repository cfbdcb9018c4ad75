//! What is left of the former `inspect` module once its reports moved to `report`, Pyrogram's
//! `resolve_peer` order to `storage`, the Python emulation to `python`, and the reading of
//! command-line arguments to `convert::Argument` (spec/conversions.md §11.1, issue 18).

use crate::string::{decode_compat, decode_strict, DecodeError, Decoded};

/// Decodes a session string with the strict decoder or, by default, Pyrogram 2.0.106's rules.
pub fn decode(input: &str, strict: bool) -> Result<Decoded, DecodeError> {
    if strict {
        decode_strict(input)
    } else {
        decode_compat(input)
    }
}
