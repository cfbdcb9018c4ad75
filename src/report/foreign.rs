//! The report on a session of another format: what it is, what it holds, and what each
//! conversion would need (spec/conversions.md §11).

use std::fmt::Write as _;

use serde_json::json;

use super::{object, one_line};
use crate::convert::{
    render, Account, ConvertError, ConvertErrorKind, Detected, Field, Kind, Options, Target,
};

/// The targets `inspect` reports on: one per library (the file targets need what the strings
/// need).
const TARGETS: [Target; 3] = [Target::Pyrogram, Target::Telethon, Target::Gramjs];

/// What converting to one target would need with no options: `None` when nothing, otherwise
/// the message the conversion would stop with.
#[must_use]
pub fn needs(account: &Account, target: Target) -> Option<String> {
    render(account, target, &Options::default())
        .err()
        .map(|e| with_flags(&e))
}

/// A conversion's error as the command says it, in its reports and its messages: where the
/// error says which value is missing, conflicting or unknown, the command's option that gives
/// it; where the target exists, the option that replaces it (spec/conversions.md §9, §11).
/// The errors themselves name no option: this is the one place that maps them to flags.
#[must_use]
pub fn with_flags(e: &ConvertError) -> String {
    use ConvertErrorKind as E;
    let list = |items: Vec<&str>| match items.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    match (e.kind(), e.path()) {
        (E::Missing { fields, .. }, _) => format!(
            "{e}: pass {}",
            list(fields.iter().map(|f| flag_hint(*f)).collect())
        ),
        (
            E::Conflict {
                field,
                source,
                option,
            },
            _,
        ) => format!(
            "the source holds {} {source}, but {} says {option}: leave the option out or make them agree",
            field.name(),
            flag(*field)
        ),
        (E::UnknownServer { .. }, _) => {
            format!("{e}; pass {}", flag_hint(Field::TestMode))
        }
        (E::UnknownDataCenter { .. }, _) => {
            format!("{e}: pass {}", flag_hint(Field::Server))
        }
        (E::NotAnIpAddress { .. }, _) => format!("{e}: pass --server with the IP address"),
        (E::NoIpv6Address { kind, address }, _) => format!(
            "{}: --ipv6 takes the data-center table's IPv6 address, and the server {address} is not in the table: leave --ipv6 out, or pass --server with the IPv6 address",
            kind.name()
        ),
        (E::Tdata(crate::convert::tdata::TdataErrorKind::PasscodeNeeded), _) => format!(
            "{e}: pass --passcode-file FILE (- for standard input), or run the command on a terminal to be asked for it"
        ),
        (E::Tdata(crate::convert::tdata::TdataErrorKind::KeyFiles { .. }), _) => {
            format!("{e}: pass --key-name NAME (key_NAMEs is its key file)")
        }
        (E::Storage(crate::storage::StorageErrorKind::AlreadyExists), Some(p)) => {
            format!("{} exists; pass --force to replace it", p.display())
        }
        _ => e.to_string(),
    }
}

/// The option that gives a value a conversion needs.
fn flag(field: Field) -> &'static str {
    use Field as F;
    match field {
        F::ApiId => "--api-id",
        F::UserId => "--user-id",
        F::IsBot => "--is-bot",
        F::TestMode => "--test-mode",
        F::Server => "--server",
        F::Port => "--port",
    }
}

/// How to pass a value a conversion needs, for a message.
fn flag_hint(field: Field) -> &'static str {
    use Field as F;
    match field {
        F::IsBot => "--is-bot true or --is-bot false",
        F::TestMode => "--test-mode true or --test-mode false",
        F::Server => "--server and --port",
        other => flag(other),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "not held".to_owned(), |v| v.to_string())
}

/// The plain-text report. The auth key is shown only with `reveal_key`.
#[must_use]
pub fn foreign_to_text(detected: &Detected, account: &Account, reveal_key: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "format       {}", one_line(&detected.to_string()));
    let _ = writeln!(out, "dc_id        {}", account.dc_id);
    let _ = writeln!(out, "api_id       {}", opt(account.api_id));
    let _ = writeln!(out, "test_mode    {}", opt(account.test_mode));
    let _ = writeln!(out, "user_id      {}", opt(account.user_id));
    let _ = writeln!(out, "is_bot       {}", opt(account.is_bot));
    let server = opt(account.server.as_ref());
    let _ = writeln!(out, "server       {}", one_line(&server));
    let _ = writeln!(out, "auth_key_id  {}", account.auth_key.id());
    if reveal_key {
        let _ = writeln!(out, "auth_key     {}", account.auth_key.to_hex());
    }
    let _ = writeln!(out, "peers        {}", account.peers.len());
    for target in TARGETS {
        let need = needs(account, target).unwrap_or_else(|| "nothing to pass".to_owned());
        let _ = writeln!(out, "to {:<9} {}", target.library(), one_line(&need));
    }
    for loss in &account.losses {
        let _ = writeln!(out, "note         {}", one_line(&loss.to_string()));
    }
    out
}

/// The JSON report (spec/json-output.md §3.1): `input` and `format` (both the `--to`-style
/// name of the format), `detail`, the hub's fields
/// (null where the format does not hold them), `server` (`"address:port"` or null),
/// `auth_key_id`, `peers` (a count), `needs` (per library, null or the message a conversion
/// would stop with), `warnings` (a Pyrogram string's departures from canonical form) and
/// `notes` (what the hub does not carry); `auth_key` only with `reveal_key`.
#[must_use]
pub fn foreign_to_json(detected: &Detected, account: &Account, reveal_key: bool) -> String {
    object(foreign_value(detected, account, reveal_key))
}

/// The value [`foreign_to_json`] prints, for reports that add to it.
pub(super) fn foreign_value(
    detected: &Detected,
    account: &Account,
    reveal_key: bool,
) -> serde_json::Value {
    let mut v = json!({
        "input": format_name(detected.kind),
        "format": format_name(detected.kind),
        "warnings": account.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "detail": detected.detail,
        "dc_id": account.dc_id,
        "api_id": account.api_id,
        "test_mode": account.test_mode,
        "user_id": account.user_id,
        "is_bot": account.is_bot,
        "server": account.server.as_ref().map(ToString::to_string),
        "auth_key_id": account.auth_key.id().to_string(),
        "peers": account.peers.len(),
        "needs": TARGETS.iter().map(|t| (t.name().to_owned(), json!(needs(account, *t)))).collect::<serde_json::Map<_, _>>(),
        "notes": account.losses.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    if reveal_key {
        v["auth_key"] = json!(account.auth_key.to_hex());
    }
    v
}

/// A format's short name in reports.
#[must_use]
pub const fn format_name(kind: Kind) -> &'static str {
    match kind {
        Kind::PyrogramString => "pyrogram-string",
        Kind::PyrogramFile => "pyrogram-file",
        Kind::TelethonString => "telethon-string",
        Kind::TelethonFile => "telethon-file",
        Kind::GramjsString => "gramjs-string",
        Kind::PyrogramJson => "pyrogram-json",
        Kind::TdataFolder => "tdata",
    }
}
