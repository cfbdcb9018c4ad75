//! Writing session files: built under a temporary name, then published (spec/conversions.md
//! §5.5).

use crate::storage::{Named as _, StorageErrorKind};
use std::path::{Path, PathBuf};

use super::{
    pyrogram, telethon, telethon_file, Account, ConvertError, ConvertErrorKind, Loss, Options,
    Target,
};
/// The file a write to `path` replaces, or why nothing can be written there
/// (spec/conversions.md §5.5). Asked first, so that `--force` is not asked for in vain.
///
/// `path` itself where nothing is there or a regular file is; where `path` is a symbolic link
/// to a regular file, that file (by canonical path: the link stays, and the file it points to
/// is replaced, as [`crate::Storage::open_file`] follows the link to it). Refused, with or
/// without `force`: a directory; anything else that is not a regular file (a FIFO, a socket,
/// a device), itself or where a link points (`NotARegularFile`); a link that points to nothing
/// (`DanglingSymlink`); a directory that does not exist (`NoSuchDirectory`).
fn check_target(path: &Path) -> Result<PathBuf, ConvertError> {
    if path.is_dir() {
        return Err(ConvertError::io(
            path,
            "writing the file",
            std::io::Error::other("is a directory"),
        ));
    }
    let io = |doing: &'static str| move |source| ConvertError::io(path, doing, source);
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("reading the file's metadata")(e)),
        Ok(meta) if meta.file_type().is_symlink() => {
            let link_to = std::fs::read_link(path).unwrap_or_default();
            let target = match std::fs::metadata(path) {
                Ok(target) => target,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(crate::storage::StorageError::new(
                        path.to_path_buf(),
                        StorageErrorKind::DanglingSymlink { target: link_to },
                    )
                    .into())
                }
                Err(e) => return Err(io("following the symbolic link")(e)),
            };
            if let Some(kind) = crate::fs::not_regular(&target) {
                return Err(ConvertError::new(
                    path.to_path_buf(),
                    ConvertErrorKind::NotARegularFile {
                        link_to: Some(link_to),
                        kind,
                    },
                ));
            }
            return std::fs::canonicalize(path).map_err(io("following the symbolic link"));
        }
        Ok(meta) => {
            if let Some(kind) = crate::fs::not_regular(&meta) {
                return Err(ConvertError::new(
                    path.to_path_buf(),
                    ConvertErrorKind::NotARegularFile {
                        link_to: None,
                        kind,
                    },
                ));
            }
            return Ok(path.to_path_buf());
        }
    }
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && std::fs::metadata(dir).is_err() => Err(
            crate::storage::StorageError::new(dir.to_path_buf(), StorageErrorKind::NoSuchDirectory)
                .into(),
        ),
        _ => Ok(path.to_path_buf()),
    }
}

/// Refuses a target `path` that is the file `source` a session was read from, by any name
/// (`SameFile`): a conversion never changes its source (spec/conversions.md §5.5).
pub fn not_the_source(source: Option<&Path>, path: &Path) -> Result<(), ConvertError> {
    if source.is_some_and(|s| crate::fs::same_file(s, path)) {
        return Err(ConvertError::new(
            path.to_path_buf(),
            ConvertErrorKind::SameFile,
        ));
    }
    Ok(())
}

/// Converts to a file target and writes it at `path` (spec/conversions.md §5.5).
///
/// The file is built under a temporary name in the same directory, with mode 0600, then linked
/// into place, which fails if `path` exists; with `force` it is renamed over `path` instead,
/// atomically. A crash leaves no half-written file at `path`. `source`, the file the account
/// was read from if any, is never the target.
///
/// [`Target::Tdata`] is a new folder, written as [`super::tdata::write_folder`] writes one:
/// never over anything, whatever `force` says; the account needs a user id (the source's, or
/// `Options::user_id`: else [`ConvertErrorKind::Missing`]) and the production servers.
pub fn write_file(
    account: &Account,
    target: Target,
    options: &Options,
    path: &Path,
    force: bool,
    source: Option<&Path>,
) -> Result<Vec<Loss>, ConvertError> {
    if !target.is_file() {
        return Err(ConvertErrorKind::Invalid {
            kind: account.kind,
            field: "the target",
            detail: format!("{target} is a string, not a file"),
        }
        .into());
    }
    not_the_source(source, path)?;
    if target == Target::Tdata {
        return write_tdata(
            account,
            options,
            path,
            None,
            &super::tdata::WriteOptions::default(),
        );
    }
    let place = check_target(path)?;
    crate::storage::name_fits(&place)?;
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(ConvertError::already_exists(path));
    }
    let mut losses = account.losses.clone();
    let build = |tmp: &Path, file: std::fs::File| {
        drop(file);
        let built = if target == Target::PyrogramFile {
            let session = pyrogram::session(account, target, options, &mut losses)?;
            let peers = pyrogram::peers(account, &mut losses);
            pyrogram::create(tmp, &session, &peers)
        } else {
            let t = telethon::TelethonString::from_account(account, options, &mut losses)?;
            let server = super::Server {
                address: t.address.to_string(),
                port: t.port,
            };
            let entities = telethon_file::entities(&account.peers, &mut losses);
            telethon_file::fill(
                tmp,
                options.telethon_version,
                t.dc_id,
                &server,
                &t.auth_key,
                &entities,
            )
        };
        built.map_err(|e| e.naming(tmp, path))
    };
    publish(&place, build, force).map(|()| {
        // The losses were found on the way to a Telethon string; the target is the file.
        for l in &mut losses {
            if let Loss::FieldsNotHeld { target: t, .. } = l {
                *t = target;
            }
        }
        losses
    })
}

/// A new Telegram Desktop folder of the one account at `path` (spec/tdata.md §8.3, §10): its
/// user id (the source's, or `options.user_id`), data center and key, with the passcode and
/// key file name of `folder`; never over anything. `source`, the file or folder the account was
/// read from if any, is never the target. What the folder cannot hold is returned.
///
/// # Errors
/// As [`write_file`] for [`Target::Tdata`], and [`super::tdata::write_folder`]'s.
pub fn write_tdata(
    account: &Account,
    options: &Options,
    path: &Path,
    source: Option<&Path>,
    folder: &super::tdata::WriteOptions<'_>,
) -> Result<Vec<Loss>, ConvertError> {
    use super::tdata::{Login, TdataErrorKind as T};
    not_the_source(source, path)?;
    if account.test_mode(options, Target::Tdata)? {
        return Err(ConvertErrorKind::Tdata(T::TestServers).into());
    }
    let login = Login::from_account(account, options.user_id).map_err(|e| {
        ConvertError::from(match e.into_kind() {
            T::Missing { field } => ConvertErrorKind::Missing {
                target: Target::Tdata,
                fields: vec![field],
                source: account.kind,
            },
            T::UserIdConflict { source, option } => ConvertErrorKind::Conflict {
                field: super::Field::UserId,
                source: source.to_string(),
                option: option.to_string(),
            },
            kind => ConvertErrorKind::Tdata(kind),
        })
    })?;
    super::tdata::write_folder(path, &[login], folder)?;
    let mut losses = account.losses.clone();
    let fields: Vec<&'static str> = [
        account.api_id.map(|_| "api_id"),
        account.is_bot.map(|_| "is_bot"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !fields.is_empty() {
        losses.push(Loss::FieldsNotHeld {
            target: Target::Tdata,
            fields,
        });
    }
    super::peers_not_held(account, Target::Tdata, &mut losses);
    Ok(losses)
}

/// Builds the file with `build` under a temporary name beside `path` and puts it at `path`
/// ([`crate::fs::publish`]): a hard link, which fails if `path` exists, or with `force` a
/// rename over it.
///
/// A session file at `path` is replaced only with its lock held: a client that holds it (a
/// storage of this crate, a Pyrogram process in the middle of a write) makes this fail with
/// `InUse` after [`DEFAULT_WAIT`](crate::storage::DEFAULT_WAIT), as every other write does, and
/// none can begin to write the old file while it is replaced; its `-wal`, `-shm` and `-journal`
/// go with it, so that no old WAL is read into the new file (spec/conversions.md §5.5,
/// spec/storage.md §2.9).
fn publish(
    path: &Path,
    build: impl FnOnce(&Path, std::fs::File) -> Result<(), ConvertError>,
    force: bool,
) -> Result<(), ConvertError> {
    let placing = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            ConvertError::already_exists(path)
        } else {
            ConvertError::io(path, "moving the new file into place", source)
        }
    };
    let put = |tmp: &Path| {
        if !force {
            return crate::fs::link(tmp, path).map_err(placing);
        }
        let lock = crate::storage::lock_for_replacement(path, crate::storage::DEFAULT_WAIT)?;
        crate::fs::rename_over(tmp, path).map_err(placing)?;
        lock.remove_side_files(path)?;
        Ok(())
    };
    crate::fs::publish(path, build, put, |failure| match failure {
        crate::fs::Failure::Creating(source) => ConvertError::io(path, "creating the file", source),
        // Reported unless an earlier error is (spec/conversions.md §5.5).
        crate::fs::Failure::Removing(tmp, source) => {
            ConvertError::io(&tmp, "removing the temporary file", source)
        }
    })
}

/// Writes a converted string, and a line break, to a new file at `path` with mode 0600, the
/// way [`write_file`] writes session files (spec/conversions.md §5.5).
pub fn write_string_file(path: &Path, text: &str, force: bool) -> Result<(), ConvertError> {
    use std::io::Write as _;
    let place = check_target(path)?;
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(ConvertError::already_exists(path));
    }
    publish(
        &place,
        |_, mut file| {
            // Written through the descriptor the gate opened, never by the name again.
            file.write_all(text.as_bytes())
                .and_then(|()| file.write_all(b"\n"))
                .and_then(|()| file.sync_all())
                .map_err(|source| ConvertError::io(path, "writing the file", source))
        },
        force,
    )
}

/// What [`produce`] made.
pub struct Produced {
    /// The session string, where none was written to a file (it holds the auth key, and is
    /// wiped from memory when dropped).
    pub text: Option<zeroize::Zeroizing<String>>,
    /// What the target cannot hold.
    pub losses: Vec<Loss>,
    /// How many peers the written session file holds (what Telethon's `entities` table takes
    /// of them, for a Telethon file); `None` for a string, written to a file or not.
    pub peers: Option<usize>,
}

impl std::fmt::Debug for Produced {
    /// Never prints the string, which holds the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Produced")
            .field("text", &self.text.as_ref().map(|t| t.len()))
            .field("losses", &self.losses)
            .field("peers", &self.peers)
            .finish()
    }
}

/// A conversion's whole output step (spec/conversions.md §5, §11): a file target is written to
/// `to` ([`write_file`]); a string target is rendered ([`super::render`]) and written to `to`
/// where one is given ([`write_string_file`], never the `source` file), or handed back.
///
/// # Errors
/// A file target without `to`, and every error of [`write_file`], [`super::render`] and
/// [`write_string_file`].
pub fn produce(
    account: &Account,
    target: Target,
    options: &Options,
    to: Option<&Path>,
    force: bool,
    source: Option<&Path>,
) -> Result<Produced, ConvertError> {
    match (target.is_file(), to) {
        (true, None) => Err(ConvertErrorKind::Invalid {
            kind: account.kind,
            field: "the target",
            detail: format!("{target} is a file, and no file to write was named"),
        }
        .into()),
        (true, Some(path)) => {
            let losses = write_file(account, target, options, path, force, source)?;
            let peers = match target {
                Target::TelethonFile => {
                    telethon_file::entities(&account.peers, &mut Vec::new()).len()
                }
                _ => account.peers.len(),
            };
            Ok(Produced {
                text: None,
                losses,
                peers: Some(peers),
            })
        }
        (false, to) => {
            let rendered = super::render(account, target, options)?;
            match to {
                None => Ok(Produced {
                    text: Some(rendered.text),
                    losses: rendered.losses,
                    peers: None,
                }),
                Some(path) => {
                    not_the_source(source, path)?;
                    write_string_file(path, &rendered.text, force)?;
                    Ok(Produced {
                        text: None,
                        losses: rendered.losses,
                        peers: None,
                    })
                }
            }
        }
    }
}
