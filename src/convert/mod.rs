//! Conversions between Pyrogram's session formats and those of Telethon and GramJS
//! (spec/conversions.md).
//!
//! Every source is read into one hub, an [`Account`]: the fields any of the formats holds, each
//! `None` where the source does not hold it, and the cached peers. A target then takes what it
//! needs from the hub, from an explicit [`Options`] value, or from Telegram's data-center
//! table ([`dc`]); anything else stops the conversion with a [`ConvertError`] naming the value
//! to give. Nothing is guessed. What the target cannot hold is reported as [`Loss`]es.
//!
//! ```
//! use pyrosession::convert::{read_text, render, Options, Target};
//!
//! # let s = std::fs::read_to_string("spec/examples/v2.txt").unwrap();
//! # let s = s.trim_end();
//! // `s` is a Pyrogram session string.
//! let account = read_text(s)?;
//! let telethon = render(&account, Target::Telethon, &Options::default())?;
//! assert!(telethon.text.starts_with('1'));
//!
//! // Back to Pyrogram: Telethon strings hold no api_id, user id or bot flag, so they are given.
//! let back = read_text(&telethon.text)?;
//! let options = Options { api_id: Some(12345), user_id: Some(123456789), is_bot: Some(false), ..Options::default() };
//! let pyrogram = render(&back, Target::Pyrogram, &options);
//! assert!(pyrogram.is_ok());
//! # Ok::<(), pyrosession::convert::ConvertError>(())
//! ```

mod argument;
pub mod dc;
mod error;
pub mod gramjs;
mod import;
mod input;
pub mod legacy_json;
mod loss;
mod pyrogram;
mod source;
pub mod tdata;
pub mod telethon;
pub mod telethon_file;
mod write;

use std::fmt;

pub use argument::{
    check_session_file, check_target, could_be_session_string, is_tdata_folder, Argument,
    FileArgument, Refusal,
};
pub use error::{ConvertError, ConvertErrorKind};
pub use import::{import, import_string, ClientName, Imported, NotPyrogram};
pub use input::{read_path, read_text, Detected, Input};
pub use loss::Loss;
pub use source::{read_source, read_tdata, FolderChoice, FolderRead, Read, Source};
pub use write::{not_the_source, produce, write_file, write_string_file, write_tdata, Produced};

use crate::peer::PeerType;
use crate::AuthKey;

/// A session format, as a source (spec/conversions.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A Pyrogram session string (any of its three layouts).
    PyrogramString,
    /// A Pyrogram SQLite session file (Pyrogram or a fork).
    PyrogramFile,
    /// A Telethon string session (IPv4 or IPv6).
    TelethonString,
    /// A Telethon SQLite session file (versions 1 to 8).
    TelethonFile,
    /// A GramJS string session.
    GramjsString,
    /// A Pyrogram JSON session file (Pyrogram ≤ 0.14).
    PyrogramJson,
    /// A Telegram Desktop `tdata` folder (spec/tdata.md).
    TdataFolder,
}

impl Kind {
    /// The format named in messages ("a Telethon string session").
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Kind::PyrogramString => "a Pyrogram session string",
            Kind::PyrogramFile => "a Pyrogram session file",
            Kind::TelethonString => "a Telethon string session",
            Kind::TelethonFile => "a Telethon session file",
            Kind::GramjsString => "a GramJS string session",
            Kind::PyrogramJson => "a Pyrogram JSON session",
            Kind::TdataFolder => "a Telegram Desktop tdata folder",
        }
    }

    const fn base64(self) -> &'static str {
        match self {
            Kind::TelethonString => "URL-safe base64 with padding",
            Kind::GramjsString => "standard base64 with padding",
            _ => "base64",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a conversion produces (spec/conversions.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A Pyrogram session string (the v2 layout).
    Pyrogram,
    /// A Pyrogram 2.0.106 session file (schema version 3).
    PyrogramFile,
    /// A Telethon string session.
    Telethon,
    /// A Telethon session file.
    TelethonFile,
    /// A GramJS string session.
    Gramjs,
    /// A new Telegram Desktop `tdata` folder of one account (spec/tdata.md §8.3, §10): written
    /// only where nothing is, never over anything.
    Tdata,
}

impl Target {
    /// The library whose format it is.
    #[must_use]
    pub const fn library(self) -> &'static str {
        match self {
            Target::Pyrogram | Target::PyrogramFile => "Pyrogram",
            Target::Telethon | Target::TelethonFile => "Telethon",
            Target::Gramjs => "GramJS",
            Target::Tdata => "Telegram Desktop",
        }
    }

    /// Whether the target is written to a path, a file or a folder (otherwise a string).
    #[must_use]
    pub const fn is_file(self) -> bool {
        matches!(
            self,
            Target::PyrogramFile | Target::TelethonFile | Target::Tdata
        )
    }

    /// The name `convert --to` takes.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Target::Pyrogram => "pyrogram",
            Target::PyrogramFile => "pyrogram-file",
            Target::Telethon => "telethon",
            Target::TelethonFile => "telethon-file",
            Target::Gramjs => "gramjs",
            Target::Tdata => "tdata",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value a target may need and a source may lack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// The application's API id.
    ApiId,
    /// The account's user id.
    UserId,
    /// Whether the account is a bot.
    IsBot,
    /// Whether the session is for Telegram's test servers.
    TestMode,
    /// The server's address.
    Server,
    /// The server's port.
    Port,
}

impl Field {
    /// The field's name, as the hub and Pyrogram call it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Field::ApiId => "api_id",
            Field::UserId => "user_id",
            Field::IsBot => "is_bot",
            Field::TestMode => "test_mode",
            Field::Server => "server",
            Field::Port => "port",
        }
    }

    /// What the value is, in words.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Field::ApiId => "the application's api_id",
            Field::UserId => "the account's user id",
            Field::IsBot => "to know whether the account is a bot",
            Field::TestMode => "to know whether the session is for the test servers",
            Field::Server => "the server's address",
            Field::Port => "the server's port",
        }
    }
}

/// A server to connect to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Server {
    /// An IPv4 or IPv6 address, or (GramJS only) a host name.
    pub address: String,
    /// The TCP port.
    pub port: u16,
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.address.contains(':') {
            write!(f, "[{}]:{}", self.address, self.port)
        } else {
            write!(f, "{}:{}", self.address, self.port)
        }
    }
}

/// One cached peer in the hub: a Pyrogram `peers` row or a Telethon `entities` row
/// (spec/conversions.md §7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CachedPeer {
    /// The marked (Bot API style) id, which both libraries use.
    pub id: i64,
    /// The access hash (0 for basic groups); `None` where the source left it NULL.
    pub access_hash: Option<i64>,
    /// The type as the source recorded it; `None` where it records none (Telethon, JSON).
    pub peer_type: Option<PeerType>,
    /// The username.
    pub username: Option<String>,
    /// The phone number, as digits.
    pub phone_number: Option<String>,
    /// When the row was last written, in Unix seconds; `None` where the source has no date.
    pub date: Option<i64>,
}

impl CachedPeer {
    /// The coarse type a marked id implies, by Telethon's `resolve_id` rule: a non-negative id
    /// is a user, an id below -10^12 a channel, any other negative id a basic group. Bots and
    /// supergroups cannot be told from their ids (spec/conversions.md §7.2).
    #[must_use]
    pub const fn type_from_id(id: i64) -> PeerType {
        if id >= 0 {
            PeerType::User
        } else if id < crate::peer::id::CHANNEL_BASE {
            PeerType::Channel
        } else {
            PeerType::Group
        }
    }
}

/// The hub: what any of the formats holds about one login (spec/conversions.md §4).
///
/// `Debug` shows the auth key only as its `auth_key_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The format it was read from.
    pub kind: Kind,
    /// The data center the key belongs to.
    pub dc_id: u8,
    /// The authorization key.
    pub auth_key: AuthKey,
    /// The API id (Pyrogram only).
    pub api_id: Option<u32>,
    /// Test servers or production (Pyrogram only).
    pub test_mode: Option<bool>,
    /// The account's user id (Pyrogram only).
    pub user_id: Option<u64>,
    /// Whether the account is a bot (Pyrogram only).
    pub is_bot: Option<bool>,
    /// The server (Telethon, GramJS, kurigram v7 files).
    pub server: Option<Server>,
    /// The cached peers (files only), by id.
    pub peers: Vec<CachedPeer>,
    /// What the source holds that the hub does not carry.
    pub losses: Vec<Loss>,
    /// A Pyrogram string's departures from canonical form, as its decoder found them
    /// (spec/session-string.md §6.4); empty for every other source.
    pub warnings: Vec<crate::string::Warning>,
}

/// The values a conversion may need that a source may lack (spec/conversions.md §5). They
/// fill gaps only: a value the source holds and an option contradicts is an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `--api-id`.
    pub api_id: Option<u32>,
    /// `--user-id`.
    pub user_id: Option<u64>,
    /// `--is-bot`.
    pub is_bot: Option<bool>,
    /// `--test-mode`.
    pub test_mode: Option<bool>,
    /// `--server`.
    pub server: Option<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--ipv6`: take the data-center table's IPv6 address instead of the IPv4 one.
    pub ipv6: bool,
    /// `--telethon-version`: the schema version of a Telethon file to write, 7 or 8.
    pub telethon_version: u8,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            api_id: None,
            user_id: None,
            is_bot: None,
            test_mode: None,
            server: None,
            port: None,
            ipv6: false,
            telethon_version: telethon_file::VERSION,
        }
    }
}

/// A converted string and what did not carry over.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The session string (it holds the auth key, and is wiped from memory when dropped).
    pub text: zeroize::Zeroizing<String>,
    /// What the target cannot hold.
    pub losses: Vec<Loss>,
}

impl fmt::Debug for Rendered {
    /// Never prints the string, which holds the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered")
            .field("text", &format_args!("{} characters", self.text.len()))
            .field("losses", &self.losses)
            .finish()
    }
}

/// Converts to a string target (spec/conversions.md §5).
pub fn render(
    account: &Account,
    target: Target,
    options: &Options,
) -> Result<Rendered, ConvertError> {
    let mut losses = account.losses.clone();
    let text = match target {
        Target::Pyrogram | Target::PyrogramFile => {
            let session = pyrogram::session(account, target, options, &mut losses)?;
            crate::string::encode(&session, crate::string::Format::V2).map_err(|e| {
                ConvertErrorKind::Invalid {
                    kind: Kind::PyrogramString,
                    field: "session",
                    detail: e.to_string(),
                }
            })?
        }
        Target::Telethon | Target::TelethonFile => telethon::encode(
            &telethon::TelethonString::from_account(account, options, &mut losses)?,
        ),
        Target::Gramjs => gramjs::encode(&gramjs::GramjsString::from_account(
            account,
            options,
            &mut losses,
        )?)?,
        Target::Tdata => {
            return Err(ConvertErrorKind::Invalid {
                kind: account.kind,
                field: "the target",
                detail: "tdata is a folder, not a string: write it with write_file".to_owned(),
            }
            .into())
        }
    };
    peers_not_held(account, target, &mut losses);
    Ok(Rendered {
        text: zeroize::Zeroizing::new(text),
        losses,
    })
}

/// For a target that holds no peers (a string, a Telegram Desktop folder): the rows that could
/// not be read are left behind with the others, so their [`Loss::UnreadablePeers`] become part
/// of one [`Loss::PeersNotHeld`], added last.
fn peers_not_held(account: &Account, target: Target, losses: &mut Vec<Loss>) {
    let mut unreadable = 0;
    losses.retain(|l| match l {
        Loss::UnreadablePeers { rows } => {
            unreadable += rows.len();
            false
        }
        _ => true,
    });
    if !account.peers.is_empty() || unreadable > 0 {
        losses.push(Loss::PeersNotHeld {
            target,
            count: account.peers.len() + unreadable,
        });
    }
}

/// Resolves one value: the source's, else the option's; both and different is an error.
fn pick<T: PartialEq + fmt::Display + Clone>(
    field: Field,
    source: Option<&T>,
    option: Option<&T>,
) -> Result<Option<T>, ConvertError> {
    match (source, option) {
        (Some(s), Some(o)) if s != o => Err(ConvertErrorKind::Conflict {
            field,
            source: s.to_string(),
            option: o.to_string(),
        }
        .into()),
        (Some(v), _) | (None, Some(v)) => Ok(Some(v.clone())),
        (None, None) => Ok(None),
    }
}

/// [`pick`] for a server address: an IP address is the same in any spelling
/// (`2001:67c:4e8:f002::a` is `2001:067c:04e8:f002:0:0:0:a`), as spec/conversions.md §6.2 compares
/// addresses; a host name is compared as written. The source's spelling is kept.
pub(crate) fn pick_address(
    source: Option<&String>,
    option: Option<&String>,
) -> Result<Option<String>, ConvertError> {
    let ip = |a: &String| a.parse::<std::net::IpAddr>().ok();
    match (source, option) {
        (Some(s), Some(o)) if ip(s).is_some() && ip(s) == ip(o) => Ok(Some(s.clone())),
        _ => pick(Field::Server, source, option),
    }
}

impl Account {
    /// An account holding only a data center and a key, to be filled in by the reader of a
    /// format that holds more.
    #[must_use]
    pub(crate) fn keyed(kind: Kind, dc_id: u8, auth_key: AuthKey) -> Account {
        Account {
            kind,
            dc_id,
            auth_key,
            api_id: None,
            test_mode: None,
            user_id: None,
            is_bot: None,
            server: None,
            peers: Vec::new(),
            losses: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The test-mode flag: the source's, else `--test-mode`, else what the data-center table
    /// says of the source's server (spec/conversions.md §6.2).
    pub fn test_mode(&self, options: &Options, target: Target) -> Result<bool, ConvertError> {
        if let Some(t) = pick(
            Field::TestMode,
            self.test_mode.as_ref(),
            options.test_mode.as_ref(),
        )? {
            return Ok(t);
        }
        match &self.server {
            Some(server) => dc::by_address(&server.address)
                .map(|d| d.test_mode)
                .ok_or_else(|| {
                    ConvertErrorKind::UnknownServer {
                        address: server.address.clone(),
                    }
                    .into()
                }),
            None => Err(ConvertErrorKind::Missing {
                target,
                fields: vec![Field::TestMode],
                source: self.kind,
            }
            .into()),
        }
    }

    /// The server a Telethon or GramJS target connects to: the source's, else `--server` and
    /// `--port`, else the data-center table's entry for the data center (spec/conversions.md
    /// §6.3).
    pub fn server(&self, options: &Options, target: Target) -> Result<Server, ConvertError> {
        let mut address = pick_address(
            self.server.as_ref().map(|s| &s.address),
            options.server.as_ref(),
        )?;
        // `--ipv6` with an IPv4 server from the source: the same data center's IPv6 address
        // where the table knows the server, else an error (it was ignored without a word).
        if let Some(a) = address
            .as_mut()
            .filter(|a| options.ipv6 && a.parse::<std::net::Ipv4Addr>().is_ok())
        {
            match dc::by_address(a) {
                Some(entry) => *a = entry.ipv6.to_owned(),
                None => {
                    return Err(ConvertErrorKind::NoIpv6Address {
                        kind: self.kind,
                        address: a.clone(),
                    }
                    .into())
                }
            }
        }
        // What is wrong with the address is said before what is missing beside it.
        if let Some(address) = address.as_ref().filter(|_| target == Target::Telethon) {
            if address.parse::<std::net::IpAddr>().is_err() {
                return Err(ConvertErrorKind::NotAnIpAddress {
                    address: address.clone(),
                }
                .into());
            }
        }
        let port = pick(
            Field::Port,
            self.server.as_ref().map(|s| &s.port),
            options.port.as_ref(),
        )?;
        match (address, port) {
            (Some(address), Some(port)) => Ok(Server { address, port }),
            (Some(address), None) => {
                if dc::by_address(&address).is_some() {
                    Ok(Server {
                        address,
                        port: dc::PORT,
                    })
                } else {
                    Err(ConvertErrorKind::Missing {
                        target,
                        fields: vec![Field::Port],
                        source: self.kind,
                    }
                    .into())
                }
            }
            (None, port) => {
                let test_mode = self.test_mode(options, target)?;
                let entry = dc::lookup(self.dc_id, test_mode).ok_or(
                    ConvertErrorKind::UnknownDataCenter {
                        dc_id: self.dc_id,
                        test_mode,
                    },
                )?;
                Ok(Server {
                    address: (if options.ipv6 { entry.ipv6 } else { entry.ipv4 }).to_owned(),
                    port: port.unwrap_or(dc::PORT),
                })
            }
        }
    }
}
