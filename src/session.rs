//! The session: what a login leaves behind (spec/session-string.md §2).

use crate::auth_key::AuthKey;

/// The session fields Pyrogram stores for one login, as carried by a session string.
///
/// `Debug` is safe to print: the auth key shows only its `auth_key_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The data center the key belongs to. Pyrogram stores any byte value.
    pub dc_id: u8,
    /// The application's API id. `None` for a session imported from a legacy string, which has
    /// no such field (Pyrogram leaves the column NULL and asks for it at the next start).
    pub api_id: Option<u32>,
    /// Whether the session is for Telegram's test servers.
    pub test_mode: bool,
    /// The 2048-bit authorization key.
    pub auth_key: AuthKey,
    /// The account's user id. At most [`Session::MAX_USER_ID`], the largest value SQLite's
    /// signed 64-bit INTEGER can hold.
    pub user_id: u64,
    /// Whether the account is a bot.
    pub is_bot: bool,
}

impl Session {
    /// The largest user id a session can hold: `i64::MAX`, since Pyrogram stores it in an SQLite
    /// INTEGER (spec/session-string.md §2.1).
    pub const MAX_USER_ID: u64 = i64::MAX as u64;
}
