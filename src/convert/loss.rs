//! What a conversion cannot carry over, reported rather than hidden (spec/conversions.md §8).

use std::fmt;

use super::{Server, Target};
use crate::storage::UnreadablePeer;

/// Something the source holds that the target (or the hub) cannot hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Loss {
    /// Session fields the target has no place for.
    FieldsNotHeld {
        /// The target.
        target: Target,
        /// The fields' names.
        fields: Vec<&'static str>,
    },
    /// A string target holds no peers.
    PeersNotHeld {
        /// The target.
        target: Target,
        /// How many peers were dropped.
        count: usize,
    },
    /// Peer types were inferred from the ids, since the source records none: bots are stored as
    /// users and supergroups as channels.
    PeerTypesInferred {
        /// How many peers.
        count: usize,
    },
    /// Peer types Telethon does not record: bots become plain users and supergroups, forums,
    /// monoforums and communities plain channels when read back.
    PeerTypesNotHeld {
        /// Bots.
        bots: usize,
        /// Supergroups and kurigram's forums, monoforums and communities.
        supergroups: usize,
    },
    /// kurigram's `forum`, `direct` and `community` types, which Pyrogram 2.0.106 does not
    /// know (its `get_input_peer` raises on them): written as `supergroup`, which gives the
    /// same `InputPeerChannel`.
    KurigramTypes {
        /// How many peers.
        count: usize,
    },
    /// Telethon's display names, which the hub does not carry (Pyrogram stores none).
    NamesNotHeld {
        /// How many peers had one.
        count: usize,
    },
    /// Phone numbers Telethon's integer column cannot hold (not all digits, a leading zero, or
    /// too long).
    PhonesNotHeld {
        /// How many.
        count: usize,
    },
    /// Peers without an access hash, which Telethon's `entities.hash` (NOT NULL) cannot hold.
    PeersWithoutAccessHash {
        /// How many peers were dropped.
        count: usize,
    },
    /// Usernames beyond each peer's first (forks' `usernames` tables); only the first carries.
    ExtraUsernames {
        /// How many.
        count: usize,
    },
    /// Phone numbers beyond a peer's first (a JSON session's `peers_by_phone` can name one
    /// peer several times; every target holds one).
    ExtraPhones {
        /// How many.
        count: usize,
    },
    /// The source's server is not the table's address for its data center; Pyrogram does not
    /// store a server and will connect to the table's address.
    ServerNotHeld {
        /// The source's server.
        server: Server,
    },
    /// Telethon's takeout session id.
    TakeoutId,
    /// Telethon's temporary auth key.
    TmpAuthKey,
    /// Rows of Telethon's `update_state` and `sent_files` tables.
    TelethonTables {
        /// `update_state` rows.
        update_state: usize,
        /// `sent_files` rows.
        sent_files: usize,
    },
    /// Entities of a Telethon file older than version 6, which Telethon itself deletes when it
    /// opens the file (its 5→6 migration: their access hashes may be wrong).
    StaleEntities {
        /// The file's version.
        version: i64,
        /// How many entities.
        count: usize,
    },
    /// Rows of a Pyrogram file's `peers`, a Telethon file's `entities` or entries of a JSON
    /// session's `peers_by_*` that cannot be read as peers (a wrong type of value, an unknown
    /// peer type, an id that is no user, chat or channel id): a file target does not get them
    /// (spec/conversions.md §8).
    UnreadablePeers {
        /// The rows, with why each cannot be read.
        rows: Vec<UnreadablePeer>,
    },
    /// Rows of a fork's `update_state` table.
    UpdateState {
        /// How many rows.
        count: usize,
    },
    /// A Telegram Desktop account's keys for data centers other than its main one: every other
    /// format holds one key (spec/tdata.md §10).
    OtherDataCenterKeys {
        /// The data centers, as the folder stores them.
        dcs: Vec<i32>,
    },
    /// A Telegram Desktop account's keys to destroy (keys it logged out of and has yet to
    /// destroy on the server).
    KeysToDestroy {
        /// How many.
        count: usize,
    },
}

/// "1 peer", "2 peers".
fn some(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn are(n: usize) -> &'static str {
    if n == 1 {
        "is"
    } else {
        "are"
    }
}

fn they_are(n: usize) -> &'static str {
    if n == 1 {
        "it is"
    } else {
        "they are"
    }
}

/// "3 peer rows cannot be read and are left behind: ...", naming the first three.
fn unreadable(f: &mut fmt::Formatter<'_>, rows: &[UnreadablePeer]) -> fmt::Result {
    write!(
        f,
        "{} cannot be read and {} left behind: ",
        some(rows.len(), "peer row", "peer rows"),
        are(rows.len())
    )?;
    for (i, row) in rows.iter().take(3).enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        write!(f, "{row}")?;
    }
    if rows.len() > 3 {
        write!(f, "; and {} more", rows.len() - 3)?;
    }
    Ok(())
}

impl fmt::Display for Loss {
    #[allow(clippy::too_many_lines)] // one arm per loss
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loss::FieldsNotHeld { target, fields } => write!(
                f,
                "{} does not hold {}; they are left behind",
                target.library(),
                fields.join(", ")
            ),
            Loss::PeersNotHeld {
                target: Target::Tdata,
                count,
            } => write!(
                f,
                "a new Telegram Desktop folder holds no peers: {} {} left behind",
                some(*count, "cached peer", "cached peers"),
                are(*count)
            ),
            Loss::PeersNotHeld { target, count } => write!(
                f,
                "a {} string holds no peers: {} {} left behind",
                target.library(),
                some(*count, "cached peer", "cached peers"),
                are(*count)
            ),
            Loss::PeerTypesInferred { count } => write!(
                f,
                "the source records no peer types: {} {} typed by id, so bots are stored as users and supergroups as channels",
                some(*count, "peer", "peers"),
                are(*count)
            ),
            Loss::PeerTypesNotHeld { bots, supergroups } => write!(
                f,
                "Telethon records no peer types: bots will read back as users ({bots}) and supergroups as channels ({supergroups})"
            ),
            Loss::KurigramTypes { count } => write!(
                f,
                "Pyrogram 2.0.106 knows no forum, direct or community peers: {}",
                some(*count, "is stored as a supergroup", "are stored as supergroups")
            ),
            Loss::NamesNotHeld { count } => write!(
                f,
                "display names are not carried: {} {} left behind",
                some(*count, "name", "names"),
                are(*count)
            ),
            Loss::PhonesNotHeld { count } => write!(
                f,
                "{} not plain digits and {} not fit Telethon's integer column; {} left behind",
                some(*count, "phone number is", "phone numbers are"),
                if *count == 1 { "does" } else { "do" },
                they_are(*count)
            ),
            Loss::PeersWithoutAccessHash { count } => write!(
                f,
                "{}, which Telethon requires; {} left behind",
                some(*count, "peer has no access hash", "peers have no access hash"),
                they_are(*count)
            ),
            Loss::ExtraUsernames { count } => write!(
                f,
                "{} beyond each peer's first {} left behind",
                some(*count, "username", "usernames"),
                are(*count)
            ),
            Loss::ExtraPhones { count } => write!(
                f,
                "{} beyond each peer's first {} left behind",
                some(*count, "phone number", "phone numbers"),
                are(*count)
            ),
            Loss::ServerNotHeld { server } => write!(
                f,
                "Pyrogram stores no server address: it will connect to the data-center table's address instead of {server}"
            ),
            Loss::TakeoutId => f.write_str("the Telethon takeout id is left behind"),
            Loss::TmpAuthKey => f.write_str("the Telethon temporary auth key is left behind"),
            Loss::TelethonTables {
                update_state,
                sent_files,
            } => write!(
                f,
                "Telethon's update state ({}) and sent-file cache ({}) are left behind",
                some(*update_state, "row", "rows"),
                some(*sent_files, "row", "rows")
            ),
            Loss::StaleEntities { version, count } => write!(
                f,
                "{} of this version {version} file {} left behind: Telethon deletes them when it upgrades a file to version 6, as their access hashes may be wrong",
                some(*count, "entity", "entities"),
                are(*count)
            ),
            Loss::UnreadablePeers { rows } => unreadable(f, rows),
            Loss::UpdateState { count } => write!(
                f,
                "the update state ({}) is left behind",
                some(*count, "row", "rows")
            ),
            Loss::OtherDataCenterKeys { dcs } => {
                let dcs: Vec<String> = dcs.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "the keys for data centers other than the main one ({}) are left behind: the client makes new ones when it needs them",
                    dcs.join(", ")
                )
            }
            Loss::KeysToDestroy { count } => write!(
                f,
                "{} Telegram Desktop had yet to destroy {} left behind",
                some(*count, "logged-out key", "logged-out keys"),
                are(*count)
            ),
        }
    }
}
