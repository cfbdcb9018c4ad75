//! The one place that makes temporary files and folders, and new private files (spec/storage.md
//! §2.7, spec/conformance.md §2.3).
//!
//! Every name made here has an unpredictable part (128 bits), so another local user cannot
//! create it first; every file and folder is created by this call or not at all (`O_EXCL`,
//! `mkdir`: an existing path, a symbolic link included, is never reused nor followed; a name
//! taken is replaced by a new one), private from its creation (0600 for files, 0700 for
//! folders) and, where a process mask left the owner less, set to exactly that mode. Removal
//! returns its error: a caller reports it.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// The temporary files and folders this process made and has not removed, renamed into place
/// or handed over yet, for [`remove_all`] (spec/storage.md §2.7, rule 7).
static LIVE: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Makes a temporary path with `make` and counts it among the live ones, the registry locked
/// throughout: once [`remove_all_and_hold`] has begun, no temporary path is made any more (a
/// thread that would make one waits for the process to end), so none can appear after its
/// removal pass (a salvage stopped by SIGTERM went on and made a temporary file after the pass,
/// and it stayed).
fn registered<T>(path: &Path, make: impl FnOnce(&Path) -> io::Result<T>) -> io::Result<T> {
    let mut paths = live();
    let new = make(path)?;
    paths.push(path.to_path_buf());
    Ok(new)
}

/// `path` is no longer this module's to remove: it was removed, or renamed into place.
pub(crate) fn forget(path: &Path) {
    let mut live = live();
    if let Some(i) = live.iter().rposition(|p| p == path) {
        live.swap_remove(i);
    }
}

/// Removes every temporary file (with the `-journal`, `-wal` and `-shm` SQLite may have put
/// beside it) and folder this process made and still holds, and keeps the registry locked
/// until the process ends, so that none is made meanwhile: for a program stopped by a signal,
/// which then exits (spec/storage.md §2.7, rule 7). Failures are ignored: the process is
/// ending, and has nobody to tell.
pub(crate) fn remove_all_and_hold() {
    let live = live();
    for path in live.iter() {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            let _ = std::fs::remove_dir_all(path);
            continue;
        }
        let _ = std::fs::remove_file(path);
        for suffix in ["-journal", "-wal", "-shm"] {
            let mut side = path.clone().into_os_string();
            side.push(suffix);
            let _ = std::fs::remove_file(side);
        }
    }
    // Held until the process exits: a thread that would make another waits.
    std::mem::forget(live);
}

/// How many names are tried before giving up: with 128 unpredictable bits, a second try is
/// already only for a name this process itself left.
const TRIES: usize = 8;

/// 32 hexadecimal digits nobody else can guess: 16 bytes of the system's random source mixed
/// with `SipHash` under std's randomly seeded keys (`RandomState`), the time, the process id and a
/// counter. Either source alone is unpredictable; the counter keeps two names of one process
/// apart even if both sources failed.
pub(crate) fn unpredictable() -> String {
    use std::fmt::Write as _;
    use std::hash::{BuildHasher, Hasher};
    use std::io::Read as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    // Where /dev/urandom cannot be read, the keys of `RandomState` (also from the system's
    // random source) still make the name unpredictable.
    let _ = File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    let n = N.fetch_add(1, Ordering::Relaxed);
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut out = String::with_capacity(32);
    for half in 0..2u8 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(half);
        h.write(&bytes);
        h.write_u64(n);
        h.write_u128(time);
        h.write_u32(std::process::id());
        let _ = write!(out, "{:016x}", h.finish());
    }
    out
}

/// Creates a new, empty file at `path`, which must not exist (a symbolic link there is not
/// followed: the creation fails with `AlreadyExists`), with mode 0600.
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The process mask may have taken the owner's bits; set through the descriptor, so it
        // is this file whatever the path names by now.
        if file.metadata()?.permissions().mode() & 0o777 != 0o600 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

/// Creates a new, empty file with mode 0600 beside `path`, under a hidden name that no file
/// had: `.{name}.{32 unpredictable hex digits}.tmp`, the part from `path`'s name cut to 120
/// bytes (at a character) so that a name near the file system's limit (255 bytes) still has
/// one. Returns the name and the open file. Only a file this returned is ever removed by its
/// caller, so nothing it did not create is deleted (spec/storage.md §2.7).
pub(crate) fn create_beside(path: &Path) -> io::Result<(PathBuf, File)> {
    let full = path
        .file_name()
        .map_or_else(|| "session".into(), |n| n.to_string_lossy().into_owned());
    let mut name = String::new();
    for c in full.chars() {
        if name.len() + c.len_utf8() > 120 {
            break;
        }
        name.push(c);
    }
    let mut last = None;
    for _ in 0..TRIES {
        let tmp = path.with_file_name(format!(".{name}.{}.tmp", unpredictable()));
        match registered(&tmp, create_new) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

/// Creates a new, empty folder in `parent` named `{prefix}{32 unpredictable hex digits}`, with
/// mode 0700; a name that exists (a folder, a file or a symbolic link) is never used
/// (spec/conformance.md §2.3).
pub(crate) fn create_dir(parent: &Path, prefix: &str) -> io::Result<PathBuf> {
    let mut last = None;
    for _ in 0..TRIES {
        let dir = parent.join(format!("{prefix}{}", unpredictable()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match registered(&dir, |d| builder.create(d)) {
            Ok(()) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    // `mkdir` made it, so it is a folder of this user; the process mask may
                    // have taken the owner's bits.
                    let meta = std::fs::symlink_metadata(&dir)?;
                    if !meta.is_dir() {
                        return Err(io::Error::other("the new folder was replaced"));
                    }
                    if meta.permissions().mode() & 0o777 != 0o700 {
                        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
                    }
                }
                return Ok(dir);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

/// Removes a file [`create_beside`] made.
pub(crate) fn remove_file(path: &Path) -> io::Result<()> {
    std::fs::remove_file(path)?;
    forget(path);
    Ok(())
}

/// Removes a file [`create_beside`] made if it is still this module's: not renamed into place
/// ([`forget`]) nor removed already.
pub(crate) fn remove_if_own(path: &Path) -> io::Result<()> {
    if !live().iter().any(|p| p == path) {
        return Ok(());
    }
    remove_file(path)
}

/// Removes a folder [`create_dir`] made and all it holds (symbolic links inside are removed,
/// never followed).
pub(crate) fn remove_dir(dir: &Path) -> io::Result<()> {
    std::fs::remove_dir_all(dir)?;
    forget(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names differ, and are 32 hexadecimal digits.
    #[test]
    fn names_are_unpredictable_in_form() {
        let a = unpredictable();
        let b = unpredictable();
        assert_ne!(a, b);
        for n in [&a, &b] {
            assert_eq!(n.len(), 32);
            assert!(n.bytes().all(|c| c.is_ascii_hexdigit()), "{n}");
        }
    }
}
