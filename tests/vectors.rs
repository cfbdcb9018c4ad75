//! One named test per vector of `spec/vectors/session_string.json`, the strings real Pyrogram
//! 2.0.106 accepted or rejected (spec/session-string.md §9.1).

mod util;

use libtest_mimic::{Arguments, Failed, Trial};
use pyrosession::string::{
    decode_compat, decode_strict, encode, DecodeErrorKind, Diagnosis, Format,
};
use serde_json::Value;

/// What the crate itself adds about some rejected vectors: the diagnosis it must give.
fn expected_diagnosis(name: &str) -> Option<fn(&Diagnosis) -> bool> {
    Some(match name {
        "telethon_ipv4" => |d| {
            matches!(
                d,
                Diagnosis::Telethon {
                    ipv6: false,
                    dc_id: 2
                }
            )
        },
        "telethon_ipv6" => |d| {
            matches!(
                d,
                Diagnosis::Telethon {
                    ipv6: true,
                    dc_id: 2
                }
            )
        },
        "gramjs" => |d| {
            matches!(
                d,
                Diagnosis::GramJs {
                    dc_id: 4,
                    port: 443,
                    ..
                }
            )
        },
        "v2_leading_space" | "v2_trailing_newline" => {
            |d| matches!(d, Diagnosis::Whitespace { count: 1, .. })
        }
        "legacy32_padded" => |d| {
            matches!(
                d,
                Diagnosis::PaddedLegacy {
                    format: Format::Legacy32
                }
            )
        },
        "v2_extended" => |d| {
            matches!(
                d,
                Diagnosis::TooLong {
                    format: Format::V2,
                    extra: 1
                }
            )
        },
        "v2_truncated_361" | "v2_truncated_360" | "v2_truncated_300" => {
            |d| matches!(d, Diagnosis::Truncated { .. })
        }
        _ => return None,
    })
}

fn check(vector: &Value, divergences: &[Value]) -> Result<(), Failed> {
    let name = vector["name"].as_str().ok_or("vector without a name")?;
    let input = vector["input"].as_str().ok_or("vector without an input")?;
    let pyrogram = &vector["pyrogram"];
    let canonical = vector["canonical"]
        .as_bool()
        .ok_or("vector without 'canonical'")?;

    // The compatible decoder agrees with Pyrogram, or the divergence is listed (both ways).
    util::check_against_divergences(
        divergences,
        input,
        util::compare_with_pyrogram(input, pyrogram),
    )?;

    let compat = decode_compat(input);
    let strict = decode_strict(input);
    if let Ok(d) = &compat {
        // Warnings are exactly the departures from canonical form.
        if d.warnings.is_empty() != canonical {
            return Err(format!("canonical is {canonical}, warnings are {:?}", d.warnings).into());
        }
    }
    match (&strict, canonical) {
        (Ok(s), true) => {
            let c = compat
                .as_ref()
                .map_err(|e| format!("compat rejects a canonical string: {e}"))?;
            if s != c {
                return Err(format!("strict read {s:?}, compat {c:?}").into());
            }
            let again = encode(&s.session, s.format).map_err(|e| e.to_string())?;
            if again != input {
                return Err("encode(decode_strict(s)) != s".into());
            }
        }
        (Err(e), true) => return Err(format!("strict rejects a canonical string: {e}").into()),
        (Ok(_), false) => return Err("strict accepts a non-canonical string".into()),
        (Err(_), false) => {}
    }
    if let Some(expected) = expected_diagnosis(name) {
        let e = compat.as_ref().err().ok_or("expected a rejection")?;
        match e.diagnosis() {
            Some(d) if expected(d) => {}
            other => return Err(format!("unexpected diagnosis {other:?}").into()),
        }
    }
    if name == "empty" {
        let e = compat
            .as_ref()
            .err()
            .ok_or("the empty string must be rejected")?;
        if e.kind() != &DecodeErrorKind::Empty {
            return Err(format!("unexpected error {e}").into());
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let vectors = util::vectors("session_string");
    let divergences = util::divergences();
    let trials = vectors[1..]
        .iter()
        .map(|v| {
            let name = format!(
                "session_string::{}",
                v["name"].as_str().unwrap_or("unnamed")
            );
            let v = v.clone();
            let d = divergences.clone();
            Trial::test(name, move || check(&v, &d))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
