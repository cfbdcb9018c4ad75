//! The files SQLite keeps beside a session file, `-journal`, `-wal` and `-shm`, checked before
//! any connection of the crate opens the file (spec/storage.md §2.8).
//!
//! SQLite opens a side file that exists without asking what it is: it opens a `-journal` for
//! reading at the first read of the file (a FIFO there blocks that open until a writer comes,
//! forever), rolls a `-journal` back into the file when it looks hot, reads a `-wal` into the
//! file (beside a file in either journal mode), and writes its journal pages, the key among
//! them, into whatever the name leads to. A side file SQLite made is a regular file, owned by
//! the file's owner (SQLite running as root gives it to the file's owner), with the file's mode.
//! Anything else is refused here, naming the side file, before SQLite is asked to open the file.

use crate::storage::StorageErrorKind;
use std::path::{Path, PathBuf};

use super::{SideFileProblem, StorageError};

/// The names SQLite gives the side files: the file's real path (a symbolic link followed) and
/// one of these.
pub(super) const SUFFIXES: [&str; 3] = ["-journal", "-wal", "-shm"];

/// Where SQLite keeps the side files of a session file: beside the file a symbolic link points
/// to. The link is followed once (`canonicalize`), for all three.
pub(super) struct Sides {
    real: PathBuf,
}

impl Sides {
    /// The side files of the session file at `path`.
    pub(super) fn of(path: &Path) -> Sides {
        Sides {
            real: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        }
    }

    /// The side file `suffix` (one of [`SUFFIXES`]).
    pub(super) fn path(&self, suffix: &str) -> PathBuf {
        let mut side = self.real.clone().into_os_string();
        side.push(suffix);
        PathBuf::from(side)
    }
}

/// Where SQLite keeps the side file `suffix` of the session file at `path`.
pub(super) fn side_path(path: &Path, suffix: &str) -> PathBuf {
    Sides::of(path).path(suffix)
}

/// Checks the side files of the session file at `path` (spec/storage.md §2.8): each that exists
/// must be a regular file (not a symbolic link), owned by the file's owner, by this process's
/// user or by root, giving other users no permission that the file's mode does not, and (a
/// `-journal` or `-wal`) readable. Where the file does not exist yet (it is about to be
/// created), its owner is this process's user and its mode 0600.
///
/// No side file is opened but a regular `-journal` or `-wal`, and that without waiting
/// (`O_NONBLOCK`) and closed at once: SQLite locks neither, so closing them drops no lock of
/// this process (a `-shm`, which SQLite locks, is never opened here).
pub(super) fn check(path: &Path) -> Result<(), StorageError> {
    check_sides(path, &Sides::of(path))
}

/// How many more times a side file found replaced under the check is looked at, 5 ms apart,
/// before the check says so.
const REPLACED_LOOKS: usize = 20;

/// [`check`] with the side files' place already found.
pub(super) fn check_sides(path: &Path, sides: &Sides) -> Result<(), StorageError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let user = crate::fs::process_uid();
        let (owner, mode) = match std::fs::metadata(path) {
            Ok(m) => (Some(m.uid()), m.mode()),
            Err(_) => (user, 0o600),
        };
        for suffix in SUFFIXES {
            let side = sides.path(suffix);
            let look = || match std::fs::symlink_metadata(&side) {
                Ok(meta) => examine(&side, &meta, suffix != "-shm", owner, user, mode),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => Some(SideFileProblem::Unreadable(e)),
            };
            let mut problem = look();
            // A client writing the file makes and removes its `-journal` at every transaction,
            // so the name may lead to a new journal between two looks: looked at again, a
            // moment later, before it is called replaced (spec/storage.md §2.8).
            for _ in 0..REPLACED_LOOKS {
                if !matches!(problem, Some(SideFileProblem::Replaced)) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
                problem = look();
            }
            if let Some(problem) = problem {
                return Err(StorageError::new(
                    path.to_path_buf(),
                    StorageErrorKind::SideFile { side, problem },
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, sides);
    Ok(())
}

/// Checks that the existing session file at `path` may be opened for writing
/// (spec/storage.md §2.2, "Owner and mode"): it belongs to this process's user or to root
/// (root may open any user's file), and no user but its owner may write it. A file other users
/// may write can have its content swapped under the client, or its new key read by the one who
/// planted it. Group write is allowed where the group is the owner's private group (its id is
/// the owner's user id), as `pam_umask`'s `usergroups` gives new files (umask 002) on systems that
/// make one group per user.
#[cfg(unix)]
pub(super) fn check_writable_by_owner_only(path: &Path) -> Result<(), StorageError> {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(meta) = std::fs::metadata(path) else {
        // What cannot be read is said by the examination that follows.
        return Ok(());
    };
    let user = crate::fs::process_uid();
    if user.is_some_and(|u| u != 0 && u != meta.uid()) && meta.uid() != 0 {
        return Err(StorageError::new(
            path.to_path_buf(),
            StorageErrorKind::ForeignOwner {
                owner: meta.uid(),
                user: user.unwrap_or(0),
            },
        ));
    }
    let mode = meta.mode();
    let group_may_write = mode & 0o020 != 0 && meta.gid() != meta.uid();
    if mode & 0o002 != 0 || group_may_write {
        return Err(StorageError::new(
            path.to_path_buf(),
            StorageErrorKind::WritableByOthers {
                mode: mode & 0o7777,
            },
        ));
    }
    Ok(())
}

/// [`check_writable_by_owner_only`] where files have no owners to check.
#[cfg(not(unix))]
pub(super) fn check_writable_by_owner_only(_path: &Path) -> Result<(), StorageError> {
    Ok(())
}

/// The permission bits of the file at `path`, a symbolic link followed; `None` where it cannot
/// be read or files have none.
pub(super) fn mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(path).ok().map(|m| m.mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// What is wrong with the side file `side`, whose `symlink_metadata` is `meta`, if anything.
#[cfg(unix)]
fn examine(
    side: &Path,
    meta: &std::fs::Metadata,
    open: bool,
    owner: Option<u32>,
    user: Option<u32>,
    mode: u32,
) -> Option<SideFileProblem> {
    use std::os::unix::fs::MetadataExt as _;
    if let Some(kind) = crate::fs::not_regular(meta) {
        return Some(SideFileProblem::NotAFile { kind });
    }
    let trusted = |uid: u32| uid == 0 || Some(uid) == owner || Some(uid) == user;
    if !trusted(meta.uid()) {
        return Some(SideFileProblem::Owner {
            owner: meta.uid(),
            file_owner: owner.unwrap_or(0),
        });
    }
    let wider = meta.mode() & 0o077 & !(mode & 0o077);
    if wider != 0 {
        return Some(SideFileProblem::Mode {
            mode: meta.mode() & 0o7777,
            file_mode: mode & 0o7777,
        });
    }
    if open {
        // A side file is never a file a storage holds; were it one, it is not opened.
        match crate::fs::open(side) {
            Ok(crate::fs::Opened::Held { .. }) => {}
            Ok(crate::fs::Opened::File(file)) => {
                // The name led to this file a moment ago: if it leads elsewhere now, someone is
                // changing it under the check.
                let now = file.metadata().ok();
                if !matches!(now, Some(n) if (n.dev(), n.ino()) == (meta.dev(), meta.ino())) {
                    return Some(SideFileProblem::Replaced);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Some(SideFileProblem::Unreadable(e)),
        }
    }
    None
}

/// The longest file name the file systems the crate runs on take (`NAME_MAX`, 255 bytes on
/// Linux's, the BSDs' and macOS's). The crate forbids unsafe code, so it cannot ask `pathconf`.
pub(crate) const NAME_MAX: usize = 255;

/// The longest side-file suffix SQLite appends to a session file's name (`-journal`).
const LONGEST_SUFFIX: usize = "-journal".len();

/// Refuses a session file whose side files' names would not fit: `{name}-journal` must be at
/// most [`NAME_MAX`] bytes, or SQLite can never write the file (its journal cannot be created,
/// and it says only that the database cannot be opened). The name checked is the path's, and,
/// where the path is a symbolic link to a file, that file's, which SQLite names its side files
/// after (spec/storage.md §2.8).
pub(crate) fn name_fits(path: &Path) -> Result<(), StorageError> {
    let real = std::fs::canonicalize(path).ok();
    for p in std::iter::once(path).chain(real.as_deref()) {
        let bytes = p.file_name().map_or(0, |n| n.as_encoded_bytes().len());
        if bytes + LONGEST_SUFFIX > NAME_MAX {
            return Err(StorageError::new(
                p.to_path_buf(),
                StorageErrorKind::NameTooLong { bytes },
            ));
        }
    }
    Ok(())
}
