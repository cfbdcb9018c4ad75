//! Cached peers, the input peers built from them, and marked peer ids (spec/storage.md §6).

use std::fmt;
use std::str::FromStr;

/// The `type` a peer is cached with, stored as text in `peers.type` (spec/storage.md §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeerType {
    /// A user (`"user"`).
    User,
    /// A bot (`"bot"`).
    Bot,
    /// A basic group (`"group"`).
    Group,
    /// A broadcast channel (`"channel"`).
    Channel,
    /// A supergroup (`"supergroup"`).
    Supergroup,
    /// A forum supergroup (`"forum"`, kurigram only).
    Forum,
    /// A channel's direct-messages monoforum (`"direct"`, kurigram only).
    Direct,
    /// A community (`"community"`, kurigram only).
    Community,
}

impl PeerType {
    /// Every type, Pyrogram's five first.
    pub const ALL: [PeerType; 8] = [
        PeerType::User,
        PeerType::Bot,
        PeerType::Group,
        PeerType::Channel,
        PeerType::Supergroup,
        PeerType::Forum,
        PeerType::Direct,
        PeerType::Community,
    ];

    /// The text stored in `peers.type`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            PeerType::User => "user",
            PeerType::Bot => "bot",
            PeerType::Group => "group",
            PeerType::Channel => "channel",
            PeerType::Supergroup => "supergroup",
            PeerType::Forum => "forum",
            PeerType::Direct => "direct",
            PeerType::Community => "community",
        }
    }

    /// Whether Pyrogram 2.0.106 knows this type (kurigram's three extra types it does not).
    #[must_use]
    pub const fn is_pyrogram(self) -> bool {
        matches!(
            self,
            PeerType::User
                | PeerType::Bot
                | PeerType::Group
                | PeerType::Channel
                | PeerType::Supergroup
        )
    }
}

impl fmt::Display for PeerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `peers.type` text that names no known type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownPeerType(pub String);

impl fmt::Display for UnknownPeerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown peer type {:?}", self.0)
    }
}

impl std::error::Error for UnknownPeerType {}

impl FromStr for PeerType {
    type Err = UnknownPeerType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PeerType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownPeerType(s.to_owned()))
    }
}

/// A peer to cache: one row of `peers`, as Pyrogram's `update_peers` takes it
/// `(id, access_hash, type, username, phone_number)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Peer {
    /// The marked peer id (§6.3): users positive, basic groups `-id`, channels `-100…`.
    pub id: i64,
    /// The access hash; 0 for basic groups, absent only in files converted from JSON sessions.
    pub access_hash: Option<i64>,
    /// The peer's type.
    pub peer_type: PeerType,
    /// The username, lower-cased as Pyrogram stores it.
    pub username: Option<String>,
    /// The phone number, digits only, as Telegram sends it.
    pub phone_number: Option<String>,
}

/// The input peer Pyrogram's `get_input_peer` builds from a cached row (spec/storage.md §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputPeer {
    /// `InputPeerUser(user_id, access_hash)`, for users and bots.
    User {
        /// The user id.
        user_id: i64,
        /// The access hash.
        access_hash: i64,
    },
    /// `InputPeerChat(chat_id)`, for basic groups.
    Chat {
        /// The (unmarked, positive) chat id.
        chat_id: i64,
    },
    /// `InputPeerChannel(channel_id, access_hash)`, for channels and supergroups (and kurigram's
    /// forums, monoforums and communities).
    Channel {
        /// The (unmarked, positive) channel id.
        channel_id: i64,
        /// The access hash.
        access_hash: i64,
    },
}

impl InputPeer {
    /// The input peer as JSON: `kind` (`user`, `chat`, `channel`) and its fields, the shape of
    /// `resolve --json` (spec/json-output.md) and of the conformance drivers' answers
    /// (spec/conformance.md).
    pub(crate) fn to_json_value(self) -> serde_json::Value {
        use serde_json::json;
        match self {
            InputPeer::User {
                user_id,
                access_hash,
            } => json!({"kind": "user", "user_id": user_id, "access_hash": access_hash}),
            InputPeer::Chat { chat_id } => json!({"kind": "chat", "chat_id": chat_id}),
            InputPeer::Channel {
                channel_id,
                access_hash,
            } => json!({"kind": "channel", "channel_id": channel_id, "access_hash": access_hash}),
        }
    }
}

impl fmt::Display for InputPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputPeer::User {
                user_id,
                access_hash,
            } => {
                write!(
                    f,
                    "InputPeerUser(user_id={user_id}, access_hash={access_hash})"
                )
            }
            InputPeer::Chat { chat_id } => write!(f, "InputPeerChat(chat_id={chat_id})"),
            InputPeer::Channel {
                channel_id,
                access_hash,
            } => write!(
                f,
                "InputPeerChannel(channel_id={channel_id}, access_hash={access_hash})"
            ),
        }
    }
}

/// Marked peer ids (spec/storage.md §6.3).
pub mod id {
    /// `MAX_CHANNEL_ID` of Pyrogram: a channel's marked id is this minus its raw id.
    pub const CHANNEL_BASE: i64 = -1_000_000_000_000;

    /// What kind of peer a marked id names.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Kind {
        /// A user or bot.
        User,
        /// A basic group.
        Chat,
        /// A channel or supergroup.
        Channel,
    }

    /// The id ranges a library accepts in `get_peer_type`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Ranges {
        /// The largest user id.
        pub max_user_id: i64,
        /// The smallest marked basic-group id (negative).
        pub min_chat_id: i64,
        /// The smallest marked channel id.
        pub min_channel_id: i64,
    }

    /// Pyrogram 2.0.106's ranges: users up to 999999999999, groups down to -2147483647, channels
    /// with raw ids up to 2^31-1 (marked down to -1002147483647). Newer channels fall outside
    /// and Pyrogram raises `ValueError: Peer id invalid`.
    pub const PYROGRAM_2_0_106: Ranges = Ranges {
        max_user_id: 999_999_999_999,
        min_chat_id: -2_147_483_647,
        min_channel_id: -1_002_147_483_647,
    };

    /// The ranges current Telegram ids need (TDLib's): users up to 2^40-1, groups down to
    /// -999999999999, channels with raw ids below 10^12 - 2^31 (marked down to -1997852516352).
    pub const CURRENT: Ranges = Ranges {
        max_user_id: (1 << 40) - 1,
        min_chat_id: -999_999_999_999,
        min_channel_id: CHANNEL_BASE - (1_000_000_000_000 - (1 << 31)),
    };

    /// The marked id of a user: the id itself.
    #[must_use]
    pub const fn mark_user(user_id: i64) -> i64 {
        user_id
    }

    /// The marked id of a basic group: `-chat_id`. Also maps a marked id back to the raw one.
    /// `None` where the result does not fit in 64 bits (only for `i64::MIN`).
    #[must_use]
    pub const fn mark_chat(chat_id: i64) -> Option<i64> {
        chat_id.checked_neg()
    }

    /// The marked id of a channel: `-1000000000000 - channel_id` (printed `-100…`). Also maps a
    /// marked id back to the raw one (Pyrogram's `get_channel_id`), being its own inverse.
    /// `None` where the result does not fit in 64 bits (a `channel_id` above
    /// `2^63 - 10^12`).
    #[must_use]
    pub const fn mark_channel(channel_id: i64) -> Option<i64> {
        CHANNEL_BASE.checked_sub(channel_id)
    }

    /// The kind of a marked id within the given ranges (Pyrogram's `get_peer_type`), or `None`
    /// where that library raises `Peer id invalid`.
    #[must_use]
    pub fn kind(marked: i64, ranges: Ranges) -> Option<Kind> {
        if marked < 0 {
            if ranges.min_chat_id <= marked {
                return Some(Kind::Chat);
            }
            if ranges.min_channel_id <= marked && marked < CHANNEL_BASE {
                return Some(Kind::Channel);
            }
        } else if 0 < marked && marked <= ranges.max_user_id {
            return Some(Kind::User);
        }
        None
    }

    /// The kind and raw (positive) id of a marked id within the given ranges.
    #[must_use]
    pub fn unmark(marked: i64, ranges: Ranges) -> Option<(Kind, i64)> {
        Some(match kind(marked, ranges)? {
            Kind::User => (Kind::User, marked),
            Kind::Chat => (Kind::Chat, mark_chat(marked)?),
            Kind::Channel => (Kind::Channel, mark_channel(marked)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::id::*;
    use super::*;

    #[test]
    fn marking_round_trips() {
        assert_eq!(mark_channel(1_234_567_890), Some(-1_001_234_567_890));
        assert_eq!(mark_channel(-1_001_234_567_890), Some(1_234_567_890));
        assert_eq!(mark_chat(123), Some(-123));
        // Where the result does not fit, no result and no overflow.
        assert_eq!(mark_chat(i64::MIN), None);
        assert_eq!(mark_chat(i64::MAX), Some(-i64::MAX));
        assert_eq!(mark_channel(i64::MAX - 999_999_999_999), Some(i64::MIN));
        assert_eq!(mark_channel(i64::MAX - 999_999_999_998), None);
        assert_eq!(mark_channel(i64::MIN), Some(i64::MAX - 999_999_999_999));
        let everything = Ranges {
            max_user_id: i64::MAX,
            min_chat_id: i64::MIN,
            min_channel_id: i64::MIN,
        };
        assert_eq!(unmark(i64::MIN, everything), None);
        assert_eq!(
            unmark(-1_001_234_567_890, PYROGRAM_2_0_106),
            Some((Kind::Channel, 1_234_567_890))
        );
        assert_eq!(unmark(-123, PYROGRAM_2_0_106), Some((Kind::Chat, 123)));
        assert_eq!(unmark(777, PYROGRAM_2_0_106), Some((Kind::User, 777)));
    }

    #[test]
    fn ranges_of_pyrogram_and_of_current_ids() {
        // A channel with a raw id above 2^31: Pyrogram 2.0.106 rejects it, current ranges do not.
        let new_channel = mark_channel(2_164_990_312).unwrap();
        assert_eq!(kind(new_channel, PYROGRAM_2_0_106), None);
        assert_eq!(kind(new_channel, CURRENT), Some(Kind::Channel));
        assert_eq!(
            kind(-1_002_147_483_647, PYROGRAM_2_0_106),
            Some(Kind::Channel)
        );
        assert_eq!(kind(-2_147_483_648, PYROGRAM_2_0_106), None);
        assert_eq!(kind(-2_147_483_648, CURRENT), Some(Kind::Chat));
        assert_eq!(kind(1 << 40, CURRENT), None);
        assert_eq!(kind((1 << 40) - 1, CURRENT), Some(Kind::User));
        assert_eq!(kind(0, CURRENT), None);
        assert_eq!(CURRENT.min_channel_id, -1_997_852_516_352);
    }

    #[test]
    fn peer_types_parse_and_print() {
        for t in PeerType::ALL {
            assert_eq!(t.as_str().parse::<PeerType>().unwrap(), t);
        }
        assert_eq!(
            "User".parse::<PeerType>().unwrap_err().to_string(),
            "unknown peer type \"User\""
        );
    }
}
