//! GramJS's string sessions, as GramJS 2.26 writes them (spec/conversions.md §2.3).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use zeroize::Zeroizing;

use super::telethon::{base64_error, body, unheld};
use super::{Account, ConvertError, ConvertErrorKind, Kind, Loss, Options, Server, Target};
use crate::AuthKey;

/// The shortest address this crate writes: GramJS reads a string whose base64 text is 352
/// characters long as a Telethon IPv4 string, which a 1- to 3-byte address would give.
pub const MIN_ADDRESS_LEN: usize = 4;
/// The longest address GramJS reads as one (a longer length is taken for a Telethon IPv6 string).
pub const MAX_ADDRESS_LEN: usize = crate::string::GRAMJS_MAX_ADDRESS_LEN;
/// The largest port: GramJS writes it as a signed 16-bit integer.
pub const MAX_PORT: u16 = 32767;

/// A GramJS string session (spec/conversions.md §2.3).
///
/// # Layout
///
/// The character `1`, then standard base64 with padding of (big-endian):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 1 | `dc_id` |
/// | 1 | 2 | `n`, the address's length in bytes (signed) |
/// | 3 | n | the server's address as text (an IP address or a host name) |
/// | 3 + n | 2 | `port` (signed) |
/// | 5 + n | 256 | `auth_key` |
///
/// `Debug` shows the auth key only as its `auth_key_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GramjsString {
    /// The data center.
    pub dc_id: u8,
    /// The server's address: 4 to 100 printable ASCII characters.
    pub address: String,
    /// The server's port, 1 to 32767.
    pub port: u16,
    /// The authorization key.
    pub auth_key: AuthKey,
}

fn invalid(field: &'static str, detail: String) -> ConvertError {
    ConvertErrorKind::Invalid {
        kind: Kind::GramjsString,
        field,
        detail,
    }
    .into()
}

fn check_address(address: &str) -> Result<(), ConvertError> {
    if !(MIN_ADDRESS_LEN..=MAX_ADDRESS_LEN).contains(&address.len()) {
        return Err(invalid(
            "the server address",
            format!(
                "has {} bytes, and GramJS reads only 4 to 100 as an address",
                address.len()
            ),
        ));
    }
    if let Some(c) = address.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(invalid(
            "the server address",
            format!("holds {c:?}, which is not printable ASCII"),
        ));
    }
    Ok(())
}

fn check_port(port: i64) -> Result<u16, ConvertError> {
    u16::try_from(port)
        .ok()
        .filter(|p| (1..=MAX_PORT).contains(p))
        .ok_or_else(|| {
            invalid(
                "the port",
                format!("is {port}, and GramJS takes 1 to 32767"),
            )
        })
}

/// Decodes a GramJS string session in GramJS's own layout (spec/conversions.md §2.3). A
/// Telethon string, which GramJS also reads, is [`super::telethon::decode`]'s. Only canonical
/// standard base64 is taken; an all-zero key is an error.
pub fn decode(s: &str) -> Result<GramjsString, ConvertError> {
    let kind = Kind::GramjsString;
    let text = body(kind, s)?;
    let bytes = Zeroizing::new(
        STANDARD
            .decode(text)
            .map_err(|e| base64_error(kind, &e, text, 1))?,
    );
    if bytes.len() < 3 {
        return Err(ConvertErrorKind::Length {
            kind,
            unit: "bytes",
            expected: "5 + address + 256",
            found: bytes.len(),
        }
        .into());
    }
    let len = i16::from_be_bytes([bytes[1], bytes[2]]);
    let len = usize::try_from(len)
        .ok()
        .filter(|l| (1..=MAX_ADDRESS_LEN).contains(l))
        .ok_or_else(|| {
            invalid(
                "the address length",
                format!("is {len}, and GramJS reads only 1 to 100 as an address"),
            )
        })?;
    if bytes.len() != 5 + len + AuthKey::LEN {
        return Err(ConvertErrorKind::Length {
            kind,
            unit: "bytes",
            expected: "5 + address + 256",
            found: bytes.len(),
        }
        .into());
    }
    let address = std::str::from_utf8(&bytes[3..3 + len])
        .map_err(|_| invalid("the server address", "is not UTF-8".to_owned()))?
        .to_owned();
    check_address(&address)?;
    let port = check_port(i64::from(i16::from_be_bytes([
        bytes[3 + len],
        bytes[4 + len],
    ])))?;
    let key = &bytes[5 + len..];
    if key.iter().all(|&b| b == 0) {
        return Err(ConvertErrorKind::NoAuthKey { kind }.into());
    }
    Ok(GramjsString {
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

/// Encodes a GramJS string session as GramJS 2.26's `StringSession.save()` does
/// (spec/conversions.md §2.3). Refuses an address or port GramJS would misread.
pub fn encode(g: &GramjsString) -> Result<String, ConvertError> {
    check_address(&g.address)?;
    let port = check_port(i64::from(g.port))?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(5 + g.address.len() + AuthKey::LEN));
    bytes.push(g.dc_id);
    bytes.extend_from_slice(&(g.address.len() as u16).to_be_bytes());
    bytes.extend_from_slice(g.address.as_bytes());
    bytes.extend_from_slice(&port.to_be_bytes());
    bytes.extend_from_slice(g.auth_key.as_bytes());
    let mut out = String::from("1");
    STANDARD.encode_string(bytes.as_slice(), &mut out);
    Ok(out)
}

impl GramjsString {
    /// The hub's view: dc, key and server; nothing else.
    #[must_use]
    pub fn into_account(self) -> Account {
        Account {
            server: Some(Server {
                address: self.address,
                port: self.port,
            }),
            ..Account::keyed(Kind::GramjsString, self.dc_id, self.auth_key)
        }
    }

    /// What a GramJS string takes from the hub (spec/conversions.md §5.4).
    pub fn from_account(
        account: &Account,
        options: &Options,
        losses: &mut Vec<Loss>,
    ) -> Result<GramjsString, ConvertError> {
        // The source holds no key (spec/conversions.md §9 names the source).
        if account.auth_key.as_bytes().iter().all(|&b| b == 0) {
            return Err(ConvertErrorKind::NoAuthKey { kind: account.kind }.into());
        }
        let server = account.server(options, Target::Gramjs)?;
        check_address(&server.address)?;
        check_port(i64::from(server.port))?;
        losses.extend(unheld(account, Target::Gramjs));
        Ok(GramjsString {
            dc_id: account.dc_id,
            address: server.address,
            port: server.port,
            auth_key: account.auth_key.clone(),
        })
    }
}
