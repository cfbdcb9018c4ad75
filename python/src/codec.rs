//! The session-string codec from Python (spec/session-string.md).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use pyrosession::string::{
    decode_compat, decode_strict, encode as encode_session, Format, Warning,
};
use pyrosession::{AuthKey, Session};
use zeroize::Zeroizing;

use crate::errors;

/// A decoded string for the Python layer: `(format, dc_id, api_id, test_mode, auth_key, user_id,
/// is_bot, warnings)`, each warning `(kind, message)`.
type DecodedTuple = (
    &'static str,
    u8,
    Option<u32>,
    bool,
    Py<PyBytes>,
    u64,
    bool,
    Vec<(&'static str, String)>,
);

fn warning_kind(w: &Warning) -> &'static str {
    match w {
        Warning::StandardAlphabet { .. } => "standard_alphabet",
        Warning::Padding { .. } => "padding",
        Warning::IgnoredCharacters { .. } => "ignored_characters",
        Warning::IgnoredAfterPadding { .. } => "ignored_after_padding",
        Warning::NonZeroTrailingBits { .. } => "non_zero_trailing_bits",
        Warning::NonCanonicalBool { .. } => "non_canonical_bool",
        _ => "warning",
    }
}

/// Decodes a session string: canonical strings only with `strict` (spec/session-string.md §5),
/// else exactly what Pyrogram 2.0.106 accepts, with every departure from canonical form as a
/// warning (§6).
#[pyfunction]
pub(crate) fn decode(py: Python<'_>, session_string: &str, strict: bool) -> PyResult<DecodedTuple> {
    let decoded = py
        .detach(|| {
            if strict {
                decode_strict(session_string)
            } else {
                decode_compat(session_string)
            }
        })
        .map_err(|e| errors::decode(py, &e))?;
    let s = &decoded.session;
    let warnings = decoded
        .warnings
        .iter()
        .map(|w| (warning_kind(w), w.to_string()))
        .collect();
    Ok((
        decoded.format.name(),
        s.dc_id,
        s.api_id,
        s.test_mode,
        PyBytes::new(py, s.auth_key.as_bytes()).unbind(),
        s.user_id,
        s.is_bot,
        warnings,
    ))
}

/// The canonical string of a session in `format` (`v2`, `legacy64`, `legacy32`;
/// spec/session-string.md §4).
#[pyfunction]
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
pub(crate) fn encode(
    py: Python<'_>,
    dc_id: u8,
    api_id: Option<u32>,
    test_mode: bool,
    auth_key: &[u8],
    user_id: u64,
    is_bot: bool,
    format: &str,
) -> PyResult<Py<PyString>> {
    let format = Format::from_name(format).ok_or_else(|| {
        PyValueError::new_err(format!(
            "no session-string format {format:?}: v2, legacy64 or legacy32"
        ))
    })?;
    let auth_key = AuthKey::from_slice(auth_key)
        .map_err(|e| PyValueError::new_err(format!("auth_key: {e}")))?;
    let session = Session {
        dc_id,
        api_id,
        test_mode,
        auth_key,
        user_id,
        is_bot,
    };
    let string = encode_session(&session, format)
        .map(Zeroizing::new)
        .map_err(|e| errors::encode(py, &e))?;
    Ok(PyString::new(py, &string).unbind())
}

/// The MTProto `auth_key_id` of a key, as 16 hexadecimal digits: the key named without
/// revealing it.
#[pyfunction]
pub(crate) fn auth_key_id(auth_key: &[u8]) -> PyResult<String> {
    AuthKey::from_slice(auth_key)
        .map(|k| k.id().to_string())
        .map_err(|e| PyValueError::new_err(format!("auth_key: {e}")))
}
