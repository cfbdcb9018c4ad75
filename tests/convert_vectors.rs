//! One named test per vector of `spec/vectors/telethon_strings.json` and
//! `spec/vectors/gramjs_strings.json`, the strings real Telethon 1.45.0 and GramJS 2.26.22 made
//! and read (spec/conversions.md §10.1).

mod util;

use std::net::IpAddr;

use libtest_mimic::{Arguments, Failed, Trial};
use pyrosession::convert::{gramjs, read_text, telethon, ConvertErrorKind, Input, Kind};
use serde_json::Value;

/// Telethon strings GramJS reads differently from Telethon (spec/conversions.md §2.3): a port
/// above 32767 comes out negative, and an IPv6 address whose first two bytes are at most 100
/// is taken for a GramJS address length. Checked both ways: a listed vector that GramJS starts
/// reading like Telethon fails, and so does an unlisted one it misreads.
const GRAMJS_MISREADS: [&str; 2] = [
    "telethon_unknown_ipv4_high_port",
    "telethon_loopback_ipv6_port_0",
];

fn s(v: &Value, k: &str) -> Result<String, Failed> {
    v[k].as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no {k}").into())
}

fn fields(v: &Value) -> Result<(u8, String, u16, String), Failed> {
    Ok((
        v["dc_id"]
            .as_u64()
            .and_then(|d| u8::try_from(d).ok())
            .ok_or("dc_id")?,
        s(v, "server_address")?,
        v["port"]
            .as_u64()
            .and_then(|d| u16::try_from(d).ok())
            .ok_or("port")?,
        s(v, "auth_key")?,
    ))
}

fn check_telethon(v: &Value) -> Result<(), Failed> {
    let name = s(v, "name")?;
    let string = s(v, "string")?;
    let decoded = telethon::decode(&string);
    if v["valid"] == Value::Bool(true) {
        let (dc_id, address, port, key) = fields(v)?;
        let t = decoded.map_err(|e| format!("rejected: {e}"))?;
        let want: IpAddr = address.parse().map_err(|_| "bad address in vector")?;
        if (t.dc_id, t.address, t.port, t.auth_key.to_hex()) != (dc_id, want, port, key) {
            return Err(format!("decoded {t:?}").into());
        }
        if telethon::encode(&t) != string {
            return Err("encode(decode(s)) != s".into());
        }
        // Telethon prints addresses compressed, as the crate does.
        if t.address.to_string() != address {
            return Err(format!("address printed as {}", t.address).into());
        }
        let d = Input::from_text(&string).map(|i| i.detected())?;
        if d.kind != Kind::TelethonString {
            return Err(format!("detected as {d}").into());
        }
        let account = read_text(&string)?;
        if account
            .server
            .as_ref()
            .map(|s| (s.address.as_str(), s.port))
            != Some((&address, port))
        {
            return Err("the hub lost the server".into());
        }
        return Ok(());
    }
    let Err(e) = decoded else {
        return Err("accepted a string the crate must reject".into());
    };
    let ok = match name.as_str() {
        "empty" => matches!(e.kind(), ConvertErrorKind::Version { found: None, .. }),
        // Strings of a length Telethon never writes (353 for IPv4, 369 for IPv6).
        "padding_stripped" | "one_char_short" => matches!(
            e.kind(),
            ConvertErrorKind::Length {
                unit: "characters",
                found: 352,
                ..
            }
        ),
        "ipv6_truncated" => matches!(
            e.kind(),
            ConvertErrorKind::Length {
                unit: "characters",
                found: 365,
                ..
            }
        ),
        "trailing_garbage" => matches!(
            e.kind(),
            ConvertErrorKind::Length {
                unit: "characters",
                found: 357,
                ..
            }
        ),
        "version_2" => matches!(
            e.kind(),
            ConvertErrorKind::Version {
                found: Some('2'),
                ..
            }
        ),
        "all_zero_key" => matches!(e.kind(), ConvertErrorKind::NoAuthKey { .. }),
        "standard_alphabet" => matches!(
            e.kind(),
            ConvertErrorKind::Base64 {
                offset: Some(100),
                found: Some('+'),
                ..
            }
        ),
        "stray_character" => matches!(
            e.kind(),
            ConvertErrorKind::Base64 {
                offset: Some(100),
                found: Some('!'),
                ..
            }
        ),
        _ => return Err(format!("no expected error for {name}").into()),
    };
    if !ok {
        return Err(format!("unexpected error: {e}").into());
    }
    Ok(())
}

fn check_gramjs(v: &Value) -> Result<(), Failed> {
    let name = s(v, "name")?;
    let string = s(v, "string")?;
    if v["telethon"] == Value::Bool(true) {
        // A Telethon string as GramJS reads it: the crate calls it Telethon, and GramJS agrees
        // with Telethon's reading except for the listed misreadings.
        let d = Input::from_text(&string).map(|i| i.detected())?;
        if d.kind != Kind::TelethonString {
            return Err(format!("detected as {d}").into());
        }
        let t = telethon::decode(&string)?;
        let g = &v["gramjs"];
        let same = g["dc_id"].as_u64() == Some(u64::from(t.dc_id))
            && g["server_address"].as_str() == Some(t.address.to_string().as_str())
            && g["port"].as_i64() == Some(i64::from(t.port))
            && g["auth_key"].as_str() == Some(t.auth_key.to_hex().as_str());
        let listed = GRAMJS_MISREADS.contains(&name.as_str());
        return match (same, listed) {
            (true, false) | (false, true) => Ok(()),
            (true, true) => Err("GramJS now reads this like Telethon: unlist it".into()),
            (false, false) => Err(format!("GramJS reads {g} differently").into()),
        };
    }
    let decoded = gramjs::decode(&string);
    if v["valid"] == Value::Bool(true) {
        let (dc_id, address, port, key) = fields(v)?;
        let g = decoded.map_err(|e| format!("rejected: {e}"))?;
        if (g.dc_id, g.address.as_str(), g.port, g.auth_key.to_hex())
            != (dc_id, address.as_str(), port, key)
        {
            return Err(format!("decoded {g:?}").into());
        }
        if gramjs::encode(&g)? != string {
            return Err("encode(decode(s)) != s".into());
        }
        let d = Input::from_text(&string).map(|i| i.detected())?;
        if d.kind != Kind::GramjsString {
            return Err(format!("detected as {d}").into());
        }
        return Ok(());
    }
    match decoded {
        Ok(_) => Err("accepted a string the crate must reject".into()),
        Err(e) => {
            let ok = match name.as_str() {
                "version_2" => matches!(
                    e.kind(),
                    ConvertErrorKind::Version {
                        found: Some('2'),
                        ..
                    }
                ),
                "all_zero_key" => matches!(e.kind(), ConvertErrorKind::NoAuthKey { .. }),
                "url_safe_alphabet" | "padding_stripped" => {
                    matches!(e.kind(), ConvertErrorKind::Base64 { .. })
                }
                "truncated_key" => matches!(
                    e.kind(),
                    ConvertErrorKind::Length {
                        unit: "bytes",
                        found: 270,
                        ..
                    }
                ),
                "address_length_negative" => matches!(
                    e.kind(),
                    ConvertErrorKind::Invalid {
                        field: "the address length",
                        ..
                    }
                ),
                _ => return Err(format!("no expected error for {name}").into()),
            };
            if ok {
                Ok(())
            } else {
                Err(format!("unexpected error: {e}").into())
            }
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for (file, check) in [
        (
            "telethon_strings",
            check_telethon as fn(&Value) -> Result<(), Failed>,
        ),
        ("gramjs_strings", check_gramjs),
    ] {
        for v in &util::vectors(file)[1..] {
            let name = format!("{file}::{}", v["name"].as_str().unwrap_or("unnamed"));
            let v = v.clone();
            trials.push(Trial::test(name, move || check(&v)));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
