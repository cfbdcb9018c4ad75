//! Telethon's string sessions, byte for byte as Telethon 1.45 writes them
//! (spec/conversions.md §2.2).

use std::net::IpAddr;

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::{Account, ConvertError, ConvertErrorKind, Kind, Loss, Options, Server, Target};
use crate::AuthKey;

/// The length of a string holding an IPv4 address: `1` and 352 base64 characters.
pub const IPV4_LEN: usize = 1 + crate::string::TELETHON_IPV4_BODY;
/// The length of a string holding an IPv6 address: `1` and 368 base64 characters.
pub const IPV6_LEN: usize = 369;

/// A Telethon string session (spec/conversions.md §2.2).
///
/// # Layout
///
/// The character `1`, then URL-safe base64 with padding of (big-endian):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 1 | `dc_id` |
/// | 1 | 4 or 16 | the server's IPv4 or IPv6 address, packed |
/// | 5 or 17 | 2 | `port` |
/// | 7 or 19 | 256 | `auth_key` |
///
/// `Debug` shows the auth key only as its `auth_key_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelethonString {
    /// The data center.
    pub dc_id: u8,
    /// The server's address.
    pub address: IpAddr,
    /// The server's port.
    pub port: u16,
    /// The authorization key.
    pub auth_key: AuthKey,
}

/// Maps a base64 decoding error to the offset and character in the whole string, which has
/// `prefix` characters before the base64 text.
///
/// The decoder counts bytes of `text`, which follows `prefix` characters of the string; the
/// error names the character holding that byte, at its offset in characters (a non-ASCII
/// character is one character, not the byte of it the decoder stopped at).
pub(crate) fn base64_error(
    kind: Kind,
    error: &base64::DecodeError,
    text: &str,
    prefix: usize,
) -> ConvertError {
    let (offset, found) = match *error {
        base64::DecodeError::InvalidByte(byte_at, byte)
        | base64::DecodeError::InvalidLastSymbol(byte_at, byte) => {
            let holding = text
                .char_indices()
                .enumerate()
                .find(|(_, (start, ch))| *start <= byte_at && byte_at < start + ch.len_utf8());
            match holding {
                Some((chars_before, (_, ch))) => (Some(chars_before + prefix), Some(ch)),
                None => (Some(byte_at + prefix), Some(char::from(byte))),
            }
        }
        _ => (None, None),
    };
    ConvertErrorKind::Base64 {
        kind,
        offset,
        found,
    }
    .into()
}

/// Checks the version character and returns the base64 text after it.
pub(crate) fn body(kind: Kind, s: &str) -> Result<&str, ConvertError> {
    match s.chars().next() {
        Some('1') => Ok(&s[1..]),
        found => Err(ConvertErrorKind::Version { kind, found }.into()),
    }
}

/// Decodes a Telethon string session (spec/conversions.md §2.2). Stricter than Telethon,
/// whose Python decoder drops characters outside the alphabet: only the canonical string is
/// taken. An all-zero key, which Telethon takes for "no key", is an error.
pub fn decode(s: &str) -> Result<TelethonString, ConvertError> {
    let kind = Kind::TelethonString;
    let text = body(kind, s)?;
    // Counted in characters, as the error reports it: a character outside the alphabet is then
    // the base64 decoder's to name.
    let ip_len = match s.chars().count() {
        IPV4_LEN => 4,
        IPV6_LEN => 16,
        _ => {
            return Err(ConvertErrorKind::Length {
                kind,
                unit: "characters",
                expected: "353 (IPv4) or 369 (IPv6)",
                found: s.chars().count(),
            }
            .into())
        }
    };
    let bytes = Zeroizing::new(
        URL_SAFE
            .decode(text)
            .map_err(|e| base64_error(kind, &e, text, 1))?,
    );
    let expected = 1 + ip_len + 2 + AuthKey::LEN;
    if bytes.len() != expected {
        return Err(ConvertErrorKind::Length {
            kind,
            unit: "bytes",
            expected: if ip_len == 4 { "263" } else { "275" },
            found: bytes.len(),
        }
        .into());
    }
    let address = if ip_len == 4 {
        IpAddr::from(<[u8; 4]>::try_from(&bytes[1..5]).unwrap_or_default())
    } else {
        IpAddr::from(<[u8; 16]>::try_from(&bytes[1..17]).unwrap_or_default())
    };
    let port = u16::from_be_bytes([bytes[1 + ip_len], bytes[2 + ip_len]]);
    let key = &bytes[3 + ip_len..];
    if key.iter().all(|&b| b == 0) {
        return Err(ConvertErrorKind::NoAuthKey { kind }.into());
    }
    Ok(TelethonString {
        dc_id: bytes[0],
        address,
        port,
        auth_key: AuthKey::from_slice(key).map_err(|e| ConvertErrorKind::Length {
            kind,
            unit: "key bytes",
            expected: "256",
            found: e.found,
        })?,
    })
}

/// Encodes a Telethon string session as Telethon 1.45's `StringSession.save()` does
/// (spec/conversions.md §2.2).
#[must_use]
pub fn encode(t: &TelethonString) -> String {
    let mut bytes = Zeroizing::new(Vec::with_capacity(1 + 16 + 2 + AuthKey::LEN));
    bytes.push(t.dc_id);
    match t.address {
        IpAddr::V4(a) => bytes.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => bytes.extend_from_slice(&a.octets()),
    }
    bytes.extend_from_slice(&t.port.to_be_bytes());
    bytes.extend_from_slice(t.auth_key.as_bytes());
    let mut out = String::with_capacity(IPV6_LEN);
    out.push('1');
    URL_SAFE.encode_string(bytes.as_slice(), &mut out);
    out
}

/// The hub's fields a Telethon or GramJS session has no place for, as a loss.
pub(crate) fn unheld(account: &Account, target: Target) -> Option<Loss> {
    let mut fields = Vec::new();
    if account.api_id.is_some() {
        fields.push("api_id");
    }
    if account.user_id.is_some() {
        fields.push("user_id");
    }
    if account.is_bot.is_some() {
        fields.push("is_bot");
    }
    if account.test_mode.is_some() {
        fields.push("test_mode");
    }
    (!fields.is_empty()).then_some(Loss::FieldsNotHeld { target, fields })
}

impl TelethonString {
    /// The hub's view: dc, key and server; nothing else.
    #[must_use]
    pub fn into_account(self) -> Account {
        Account {
            server: Some(Server {
                address: self.address.to_string(),
                port: self.port,
            }),
            ..Account::keyed(Kind::TelethonString, self.dc_id, self.auth_key)
        }
    }

    /// What a Telethon string takes from the hub (spec/conversions.md §5.3): the server from the
    /// source, the options or the data-center table, which must be an IP address.
    pub fn from_account(
        account: &Account,
        options: &Options,
        losses: &mut Vec<Loss>,
    ) -> Result<TelethonString, ConvertError> {
        // The source holds no key (spec/conversions.md §9 names the source).
        if account.auth_key.as_bytes().iter().all(|&b| b == 0) {
            return Err(ConvertErrorKind::NoAuthKey { kind: account.kind }.into());
        }
        let server = account.server(options, Target::Telethon)?;
        let address = server
            .address
            .parse()
            .map_err(|_| ConvertErrorKind::NotAnIpAddress {
                address: server.address.clone(),
            })?;
        losses.extend(unheld(account, Target::Telethon));
        Ok(TelethonString {
            dc_id: account.dc_id,
            address,
            port: server.port,
            auth_key: account.auth_key.clone(),
        })
    }
}
