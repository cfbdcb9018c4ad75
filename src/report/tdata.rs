//! The report on a Telegram Desktop `tdata` folder (spec/tdata.md, spec/json-output.md §3.1):
//! the report on another format's session for the account chosen, and what the folder holds
//! besides: its version, whether a passcode protects it, and every account's user id, main data
//! center and the data centers it has keys for (their ids only).

use std::fmt::Write as _;

use serde_json::json;

use super::foreign::{foreign_to_text, foreign_value};
use super::{object, one_line};
use crate::convert::tdata::{version_name, Layout, Tdata, TdataAccount};
use crate::convert::{Account, Detected, Kind};

/// What the folder holds that Telegram Desktop would read differently, and the accounts of its
/// list it could not read: each the text the command writes after `pyrosession: warning: `.
#[must_use]
pub fn tdata_warnings(tdata: &Tdata) -> Vec<String> {
    tdata
        .warnings
        .iter()
        .map(ToString::to_string)
        .chain(
            tdata
                .skipped
                .iter()
                .map(|(index, e)| format!("account {index} of the list is not read: {e}")),
        )
        .collect()
}

fn detected(tdata: &Tdata) -> Detected {
    Detected {
        kind: Kind::TdataFolder,
        detail: tdata.detail(),
    }
}

/// One account, for people: `user 111111111, dc 1, keys for dc 1 (id …), dc 2 (id …)`.
fn account_line(a: &TdataAccount) -> String {
    let auth = &a.authorization;
    let keys: Vec<String> = auth
        .keys
        .iter()
        .map(|k| format!("dc {} (id {})", k.dc_id, k.key.id()))
        .collect();
    let mut line = format!(
        "user {}, dc {}, keys for {}",
        auth.user_id,
        auth.main_dc,
        keys.join(", ")
    );
    if a.test_mode {
        line.push_str(", test servers");
    }
    if !auth.keys_to_destroy.is_empty() {
        let _ = write!(line, ", {} to destroy", auth.keys_to_destroy.len());
    }
    line
}

/// The plain-text report: [`foreign_to_text`] of the chosen account, then the account chosen
/// and one line per account of the folder. The auth key is shown only with `reveal_key`.
#[must_use]
pub fn tdata_to_text(tdata: &Tdata, chosen: u32, account: &Account, reveal_key: bool) -> String {
    let mut out = foreign_to_text(&detected(tdata), account, reveal_key);
    let _ = writeln!(out, "account      {chosen}");
    for a in &tdata.accounts {
        let _ = writeln!(out, "account {:<4} {}", a.index, one_line(&account_line(a)));
    }
    out
}

/// The JSON report (spec/json-output.md §3.1): [`super::foreign_to_json`]'s keys for the chosen
/// account, and `account` (its index), `accounts` (each with `index`, `user_id`, `dc_id`,
/// `test_mode`, `keys`: objects with `dc_id` and `auth_key_id`, and `keys_to_destroy`, a count),
/// `version` (Telegram Desktop's, as it shows it), `layout` (`accounts` or `legacy`) and
/// `passcode` (whether a local passcode protects the folder); `warnings` adds
/// [`tdata_warnings`].
#[must_use]
pub fn tdata_to_json(tdata: &Tdata, chosen: u32, account: &Account, reveal_key: bool) -> String {
    let mut v = foreign_value(&detected(tdata), account, reveal_key);
    let accounts: Vec<serde_json::Value> = tdata
        .accounts
        .iter()
        .map(|a| {
            let auth = &a.authorization;
            json!({
                "index": a.index,
                "user_id": auth.user_id,
                "dc_id": auth.main_dc,
                "test_mode": a.test_mode,
                "keys": auth.keys.iter().map(|k| json!({
                    "dc_id": k.dc_id,
                    "auth_key_id": k.key.id().to_string(),
                })).collect::<Vec<_>>(),
                "keys_to_destroy": auth.keys_to_destroy.len(),
            })
        })
        .collect();
    v["account"] = json!(chosen);
    v["accounts"] = json!(accounts);
    v["version"] = json!(version_name(tdata.version));
    v["layout"] = json!(match tdata.layout {
        Layout::Legacy => "legacy",
        Layout::Accounts => "accounts",
    });
    v["passcode"] = json!(tdata.passcode);
    let mut warnings: Vec<String> = account.warnings.iter().map(ToString::to_string).collect();
    warnings.extend(tdata_warnings(tdata));
    v["warnings"] = json!(warnings);
    object(v)
}
