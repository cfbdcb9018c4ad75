//! The hub to and from Pyrogram's own formats, the strings and files of the earlier issues
//! (spec/conversions.md §5.1, §5.2).

use crate::storage::range;
use std::path::Path;

use super::{
    dc, Account, CachedPeer, ConvertError, ConvertErrorKind, Field, Kind, Loss, Options, Server,
    Target,
};
use crate::peer::{Peer, PeerType};
use crate::storage::Storage;
use crate::Session;

/// The hub of a Pyrogram session string decoded by Pyrogram 2.0.106's rules, with the
/// departures from canonical form its decoder found (spec/session-string.md §6.4).
pub(super) fn from_decoded(decoded: crate::string::Decoded) -> Account {
    let session = decoded.session;
    Account {
        kind: Kind::PyrogramString,
        dc_id: session.dc_id,
        api_id: session.api_id,
        test_mode: Some(session.test_mode),
        user_id: Some(session.user_id),
        is_bot: Some(session.is_bot),
        auth_key: session.auth_key,
        server: None,
        peers: Vec::new(),
        losses: Vec::new(),
        warnings: decoded.warnings,
    }
}

fn invalid(field: &'static str, detail: String) -> ConvertError {
    ConvertErrorKind::Invalid {
        kind: Kind::PyrogramFile,
        field,
        detail,
    }
    .into()
}

/// Reads a Pyrogram (or fork's) session file, as opened (read-only) by detection.
pub(super) fn read_storage(storage: &Storage) -> Result<Account, ConvertError> {
    let f = storage.session()?;
    let (stored, unreadable) = storage.readable_peers()?;
    let update_state = storage.update_state_rows()?;
    let dc_id = range::dc_id(f.dc_id)
        .map_err(|v| invalid("dc_id", format!("is {v}, expected 0 to 255")))?;
    let api_id = f
        .api_id
        .map(|a| {
            range::api_id(a).map_err(|v| invalid("api_id", format!("is {v}, expected 0 to 2^32-1")))
        })
        .transpose()?;
    let user_id = f
        .user_id
        .map(|u| {
            range::user_id(u)
                .map_err(|v| invalid("user_id", format!("is {v}, expected a positive id")))
        })
        .transpose()?;
    let auth_key = f.auth_key.ok_or(ConvertErrorKind::NoAuthKey {
        kind: Kind::PyrogramFile,
    })?;
    let server = match (f.server_address, f.port) {
        (Some(address), Some(port)) => Some(Server {
            address,
            port: u16::try_from(port)
                .map_err(|_| invalid("port", format!("is {port}, expected 0 to 65535")))?,
        }),
        _ => None,
    };
    let mut extra = 0;
    let peers = stored
        .into_iter()
        .map(|p| {
            extra += p.usernames.len().saturating_sub(1);
            let username = p.peer.username.or_else(|| p.usernames.first().cloned());
            CachedPeer {
                id: p.peer.id,
                access_hash: p.peer.access_hash,
                peer_type: Some(p.peer.peer_type),
                username,
                phone_number: p.peer.phone_number,
                date: Some(p.last_update_on),
            }
        })
        .collect();
    let mut losses = Vec::new();
    if extra > 0 {
        losses.push(Loss::ExtraUsernames { count: extra });
    }
    if !unreadable.is_empty() {
        losses.push(Loss::UnreadablePeers { rows: unreadable });
    }
    if update_state > 0 {
        losses.push(Loss::UpdateState {
            count: update_state,
        });
    }
    Ok(Account {
        kind: Kind::PyrogramFile,
        dc_id,
        auth_key,
        api_id,
        test_mode: f.test_mode,
        user_id,
        is_bot: f.is_bot,
        server,
        peers,
        losses,
        warnings: Vec::new(),
    })
}

/// The Pyrogram session a hub makes (spec/conversions.md §5.1): `api_id`, `user_id` and
/// `is_bot` from the source or the options, test mode from the source, the options or the
/// data-center table.
pub(super) fn session(
    account: &Account,
    target: Target,
    options: &Options,
    losses: &mut Vec<Loss>,
) -> Result<Session, ConvertError> {
    let api_id = super::pick(
        Field::ApiId,
        account.api_id.as_ref(),
        options.api_id.as_ref(),
    )?;
    let user_id = super::pick(
        Field::UserId,
        account.user_id.as_ref(),
        options.user_id.as_ref(),
    )?;
    let is_bot = super::pick(
        Field::IsBot,
        account.is_bot.as_ref(),
        options.is_bot.as_ref(),
    )?;
    // Pyrogram stores no server, but an option that contradicts the source is still an error.
    let server = account.server.as_ref();
    super::pick_address(server.map(|s| &s.address), options.server.as_ref())?;
    super::pick(Field::Port, server.map(|s| &s.port), options.port.as_ref())?;
    // An unknown server leaves test mode to be given, like a missing one: said alone when it
    // is all that is missing, otherwise among the rest, so that one error names them all.
    let mut unknown_server = None;
    let test_mode = match account.test_mode(options, target) {
        Ok(t) => Some(t),
        Err(e) if matches!(e.kind(), ConvertErrorKind::Missing { .. }) => None,
        Err(e) if matches!(e.kind(), ConvertErrorKind::UnknownServer { .. }) => {
            unknown_server = Some(e);
            None
        }
        Err(e) => return Err(e),
    };
    let mut missing = Vec::new();
    if api_id.is_none() {
        missing.push(Field::ApiId);
    }
    if user_id.is_none() {
        missing.push(Field::UserId);
    }
    if is_bot.is_none() {
        missing.push(Field::IsBot);
    }
    if test_mode.is_none() {
        missing.push(Field::TestMode);
    }
    if let (Some(e), [Field::TestMode]) = (unknown_server, missing.as_slice()) {
        return Err(e);
    }
    let (Some(api_id), Some(user_id), Some(is_bot), Some(test_mode)) =
        (api_id, user_id, is_bot, test_mode)
    else {
        return Err(ConvertErrorKind::Missing {
            target,
            fields: missing,
            source: account.kind,
        }
        .into());
    };
    if user_id == 0 || user_id > Session::MAX_USER_ID {
        return Err(ConvertErrorKind::Invalid {
            kind: Kind::PyrogramString,
            field: "user_id",
            detail: format!(
                "is {user_id}, and Pyrogram takes 1 to {} (0 means signed out)",
                Session::MAX_USER_ID
            ),
        }
        .into());
    }
    if let Some(server) = &account.server {
        let table = dc::lookup(account.dc_id, test_mode);
        // The table's server is its address (either spelling) and its port: another port is
        // a server Pyrogram will not use either.
        let same = server.port == dc::PORT
            && table.is_some_and(|d| {
                [d.ipv4, d.ipv6].iter().any(|a| {
                    dc::by_address(a) == dc::by_address(&server.address)
                        && dc::by_address(a).is_some()
                })
            });
        if !same {
            losses.push(Loss::ServerNotHeld {
                server: server.clone(),
            });
        }
    }
    Ok(Session {
        dc_id: account.dc_id,
        api_id: Some(api_id),
        test_mode,
        auth_key: account.auth_key.clone(),
        user_id,
        is_bot,
    })
}

/// Pyrogram peers from the hub's, with their dates (0 where the source has none), and the
/// loss of inferring types from ids where the source records none (spec/conversions.md §7.2).
pub(super) fn peers(account: &Account, losses: &mut Vec<Loss>) -> Vec<(Peer, i64)> {
    let (mut inferred, mut kurigram) = (0, 0);
    let out = account
        .peers
        .iter()
        .map(|p| {
            let peer_type = match p.peer_type {
                Some(t) if t.is_pyrogram() => t,
                Some(_) => {
                    kurigram += 1;
                    PeerType::Supergroup
                }
                None => {
                    inferred += 1;
                    CachedPeer::type_from_id(p.id)
                }
            };
            (
                Peer {
                    id: p.id,
                    access_hash: p.access_hash,
                    peer_type,
                    username: p.username.clone(),
                    phone_number: p.phone_number.clone(),
                },
                p.date.unwrap_or(0),
            )
        })
        .collect();
    if inferred > 0 {
        losses.push(Loss::PeerTypesInferred { count: inferred });
    }
    if kurigram > 0 {
        losses.push(Loss::KurigramTypes { count: kurigram });
    }
    out
}

/// Creates a Pyrogram 2.0.106 file at `path` (which must not exist, mode 0600) holding the
/// session and the peers, each dated as given.
pub(super) fn create(
    path: &Path,
    session: &Session,
    peers: &[(Peer, i64)],
) -> Result<(), ConvertError> {
    // `path` is an empty file the caller made: the schema, the session and the peers are
    // written in it through one connection.
    crate::storage::build_new_file(path, path, Some(session), |storage| {
        // Oldest first, so that of two rows for one id the newer is kept; one transaction, each
        // peer with its own date.
        let mut sorted: Vec<&(Peer, i64)> = peers.iter().collect();
        sorted.sort_by_key(|(_, date)| *date);
        let batch: Vec<Peer> = sorted.iter().map(|(p, _)| p.clone()).collect();
        storage.cache_peers(&batch, |i| sorted[i].1)
    })?;
    Ok(())
}
