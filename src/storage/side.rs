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

/// Where SQLite keeps the side file `suffix` of the session file at `path`: beside the file a
/// symbolic link points to.
pub(super) fn side_path(path: &Path, suffix: &str) -> PathBuf {
    let mut side = std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .into_os_string();
    side.push(suffix);
    PathBuf::from(side)
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
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let user = process_uid();
        let (owner, mode) = match std::fs::metadata(path) {
            Ok(m) => (Some(m.uid()), m.mode()),
            Err(_) => (user, 0o600),
        };
        for suffix in SUFFIXES {
            let side = side_path(path, suffix);
            let problem = match std::fs::symlink_metadata(&side) {
                Ok(meta) => examine(&side, &meta, suffix != "-shm", owner, user, mode),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => Some(SideFileProblem::Unreadable(e)),
            };
            if let Some(problem) = problem {
                return Err(StorageError::new(
                    path.to_path_buf(),
                    StorageErrorKind::SideFile { side, problem },
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
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
    let user = process_uid();
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
    if let Some(kind) = not_regular(meta) {
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
        match open_regular(side) {
            Ok(file) => {
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

/// What a file that is not a regular one is, in words; `None` for a regular file.
#[cfg(unix)]
pub(crate) fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    let t = meta.file_type();
    Some(if t.is_file() {
        return None;
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    })
}

/// `O_NONBLOCK` where its value is known: opening a FIFO with it returns at once instead of
/// waiting for a writer. (The crate forbids unsafe code, and `libc` is no dependency.)
#[cfg(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64",
        target_arch = "s390x",
        target_arch = "powerpc64"
    )
))]
const O_NONBLOCK: Option<i32> = Some(0o4000);
#[cfg(any(target_os = "macos", target_os = "freebsd", target_os = "openbsd"))]
const O_NONBLOCK: Option<i32> = Some(0x0004);
#[cfg(all(
    unix,
    not(any(
        all(
            target_os = "linux",
            any(
                target_arch = "x86_64",
                target_arch = "x86",
                target_arch = "aarch64",
                target_arch = "arm",
                target_arch = "riscv64",
                target_arch = "s390x",
                target_arch = "powerpc64"
            )
        ),
        target_os = "macos",
        target_os = "freebsd",
        target_os = "openbsd"
    ))
))]
const O_NONBLOCK: Option<i32> = None;

/// Opens the file at `path` for reading without waiting, and only if it is a regular file:
/// a FIFO, a device or anything else that is not one is an error (`InvalidInput`), never
/// waited on. Where `O_NONBLOCK` is unknown, only a path whose metadata says it is a regular
/// file is opened (a file put there in between may then be waited on).
#[cfg(unix)]
pub(crate) fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let not_a_file = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, a device or a socket)",
        )
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    match O_NONBLOCK {
        Some(flag) => {
            options.custom_flags(flag);
        }
        None if !std::fs::metadata(path)?.is_file() => return Err(not_a_file()),
        None => {}
    }
    let file = options.open(path)?;
    if file.metadata()?.is_file() {
        Ok(file)
    } else {
        Err(not_a_file())
    }
}

/// Opens the file at `path` for writing, without waiting (a FIFO put there is not waited on),
/// without creating or truncating it: to ask the system whether this process may write it.
#[cfg(unix)]
pub(crate) fn open_for_writing(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if let Some(flag) = O_NONBLOCK {
        options.custom_flags(flag);
    }
    options.open(path)
}

/// [`open_for_writing`] where files have no types to wait on.
#[cfg(not(unix))]
pub(crate) fn open_for_writing(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).open(path)
}

/// [`open_regular`] where files have no types to wait on.
#[cfg(not(unix))]
pub(crate) fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// The effective user id of this process, from the `Uid:` line of `/proc/self/status` (real,
/// effective, saved, file system); `None` where there is no such file. (The crate forbids
/// unsafe code, so it cannot call `geteuid`.)
#[cfg(unix)]
pub(crate) fn process_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}
