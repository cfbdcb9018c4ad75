//! Publishing a new file: built whole under a temporary name beside its place, then linked into
//! place (failing if something is there) or renamed over it (spec/storage.md §2.4, §2.7,
//! spec/conversions.md §5.5). A crash at any point leaves either nothing at the place or a
//! complete file, never a half-written one.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Where [`publish`] failed on its own account (the caller's `build` and `put` fail with the
/// caller's errors).
#[derive(Debug)]
pub(crate) enum Failure {
    /// Making the temporary file beside the place.
    Creating(io::Error),
    /// Removing the temporary file, named here, once the file was put in place or the build
    /// failed.
    Removing(PathBuf, io::Error),
}

/// Builds a file with `build` (given the temporary name and the open, empty file, mode 0600,
/// that [`super::create_beside`] made beside `place`), then puts it in place with `put` (given
/// the temporary name: [`link`] or [`rename_over`]). The temporary name is removed whatever
/// happened, unless `put` renamed it into place; failing that is reported, naming it, unless an
/// earlier error is. Only the temporary file this call made is ever removed.
pub(crate) fn publish<E>(
    place: &Path,
    build: impl FnOnce(&Path, File) -> Result<(), E>,
    put: impl FnOnce(&Path) -> Result<(), E>,
    fail: impl Fn(Failure) -> E,
) -> Result<(), E> {
    let (tmp, file) = super::create_beside(place).map_err(|e| fail(Failure::Creating(e)))?;
    let result = build(&tmp, file).and_then(|()| put(&tmp));
    let removed = super::temp::remove_if_own(&tmp).map_err(|e| fail(Failure::Removing(tmp, e)));
    result.and(removed)
}

/// Links the finished temporary file `tmp` to `path`; fails with `AlreadyExists` if anything
/// is at `path` (a symbolic link included, never followed). The temporary name stays, for
/// [`publish`] to remove.
pub(crate) fn link(tmp: &Path, path: &Path) -> io::Result<()> {
    std::fs::hard_link(tmp, path)
}

/// Renames the finished temporary file `tmp` over `path`, atomically: what was at `path` (a
/// symbolic link itself, not the file it points to) is replaced. Once renamed, `tmp` is no
/// longer a temporary file of this process (not removed if a signal stops it).
pub(crate) fn rename_over(tmp: &Path, path: &Path) -> io::Result<()> {
    std::fs::rename(tmp, path)?;
    super::forget(tmp);
    Ok(())
}

/// Whether two paths name one file: both exist and lead, symbolic links followed, to the same
/// path (spec/conversions.md §5.5: the source is never the target).
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        super::super::create_dir(&std::env::temp_dir(), "pyrosession-unit-").expect("dir")
    }

    fn left(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A link fails where something is at the place, and leaves it; the temporary name is gone
    /// either way.
    #[test]
    fn link_fails_on_an_existing_file_and_leaves_no_temporary_file() {
        let dir = dir();
        let place = dir.join("a.session");
        let write = |tmp: &Path, mut f: File| {
            let _ = tmp;
            io::Write::write_all(&mut f, b"new")
        };
        publish(
            &place,
            write,
            |t| link(t, &place),
            |f| match f {
                Failure::Creating(e) | Failure::Removing(_, e) => e,
            },
        )
        .expect("published");
        assert_eq!(std::fs::read(&place).expect("read"), b"new");
        let again = publish(
            &place,
            write,
            |t| link(t, &place),
            |f| match f {
                Failure::Creating(e) | Failure::Removing(_, e) => e,
            },
        )
        .expect_err("exists");
        assert_eq!(again.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(left(&dir), ["a.session"]);
        super::super::remove_dir(&dir).expect("remove");
    }

    /// A rename replaces what is at the place, and the renamed file is not removed afterwards;
    /// a failed build leaves nothing behind.
    #[test]
    fn rename_replaces_and_a_failed_build_leaves_nothing() {
        let dir = dir();
        let place = dir.join("a.session");
        std::fs::write(&place, b"old").expect("write");
        let fail = |f: Failure| match f {
            Failure::Creating(e) | Failure::Removing(_, e) => e,
        };
        publish(
            &place,
            |_, mut f| io::Write::write_all(&mut f, b"new"),
            |t| rename_over(t, &place),
            fail,
        )
        .expect("published");
        assert_eq!(std::fs::read(&place).expect("read"), b"new");
        let failed = publish(
            &place,
            |_, _| Err(io::Error::other("build failed")),
            |t| rename_over(t, &place),
            fail,
        )
        .expect_err("failed");
        assert_eq!(failed.to_string(), "build failed");
        assert_eq!(left(&dir), ["a.session"]);
        assert!(same_file(&place, &dir.join(".").join("a.session")));
        assert!(!same_file(&place, &dir.join("b.session")));
        super::super::remove_dir(&dir).expect("remove");
    }
}
