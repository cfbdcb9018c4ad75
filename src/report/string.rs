//! The report on a Pyrogram session string (spec/session-string.md).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{error_object, object, one_line};
use crate::string::{DecodeError, Decoded};

/// A plain-text report for people. The auth key is shown only with `reveal_key`.
#[must_use]
pub fn to_text(decoded: &Decoded, reveal_key: bool) -> String {
    let s = &decoded.session;
    let mut out = String::new();
    let format = match decoded.format {
        crate::string::Format::V2 => "v2 (Pyrogram 2.x)",
        crate::string::Format::Legacy64 => "legacy64 (Pyrogram 1.3-1.4, 64-bit user id)",
        crate::string::Format::Legacy32 => "legacy32 (Pyrogram 0.15-1.4, 32-bit user id)",
    };
    let api_id = s
        .api_id
        .map_or_else(|| "none (legacy format)".to_owned(), |a| a.to_string());
    let _ = writeln!(out, "format       {format}");
    let _ = writeln!(out, "dc_id        {}", s.dc_id);
    let _ = writeln!(out, "api_id       {api_id}");
    let _ = writeln!(out, "test_mode    {}", s.test_mode);
    let _ = writeln!(out, "user_id      {}", s.user_id);
    let _ = writeln!(out, "is_bot       {}", s.is_bot);
    let _ = writeln!(out, "auth_key_id  {}", s.auth_key.id());
    if reveal_key {
        let _ = writeln!(out, "auth_key     {}", s.auth_key.to_hex());
    }
    if decoded.warnings.is_empty() {
        let _ = writeln!(out, "warnings     none");
    } else {
        for w in &decoded.warnings {
            let _ = writeln!(out, "warning      {}", one_line(&w.to_string()));
        }
    }
    out
}

/// The JSON report (spec/json-output.md §3.1): `input` (`pyrogram-string`), `format` (the
/// layout: `v2`, `legacy64`, `legacy32`), `dc_id`, `api_id` (null for legacy formats),
/// `test_mode`, `user_id`, `is_bot`, `auth_key_id` (16 hex digits), `peers` (null: a string
/// holds none), `warnings` (strings) and, only with `reveal_key`, `auth_key` in lowercase hex.
#[must_use]
pub fn to_json(decoded: &Decoded, reveal_key: bool) -> String {
    let s = &decoded.session;
    let mut v = json!({
        "input": "pyrogram-string",
        "format": decoded.format.name(),
        "peers": null,
        "dc_id": s.dc_id,
        "api_id": s.api_id,
        "test_mode": s.test_mode,
        "user_id": s.user_id,
        "is_bot": s.is_bot,
        "auth_key_id": s.auth_key.id().to_string(),
        "warnings": decoded.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    if reveal_key {
        v["auth_key"] = Value::String(s.auth_key.to_hex());
    }
    object(v)
}

/// The JSON error object of a rejected string (spec/json-output.md §4): `code`
/// (`invalid_string`), `kind` (the [`DecodeErrorKind`](crate::string::DecodeErrorKind)'s
/// code), `message` (the whole message the command prints, which may say more than the error's
/// own), `pyrogram_error` (what Pyrogram 2.0.106 raises, or null) and `diagnosis`
/// (what the string looks like, or null).
#[must_use]
pub fn decode_error_to_json(error: &DecodeError, message: &str) -> String {
    error_object(
        error.into(),
        message,
        json!({
            "pyrogram_error": error.pyrogram_error(),
            "diagnosis": error.diagnosis().map(ToString::to_string),
        }),
    )
}
