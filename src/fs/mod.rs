//! The crate's gates to the file system, below the storage (crate-private).
//!
//! Every read of a file's bytes outside SQLite goes through [`open`], which knows the held-file
//! rule (a file a storage of this process holds is never opened outside SQLite: closing that
//! descriptor would drop the storage's claim, spec/storage.md §2.5) and never waits on a FIFO
//! or a device. Every temporary file and folder is made by [`create_beside`] or [`create_dir`]
//! (unpredictable names, created new and private, never through a link, spec/storage.md §2.7).
//! The classes of files that issue 8 found written or read where they should not be (side
//! files, temporary paths, links) are closed here, once; the SQLite side files' own checks
//! (owner, mode, type) are the storage's (`storage/side.rs`, spec/storage.md §2.8).

mod held;
mod publish;
mod read;
mod temp;

pub(crate) use held::{held, hold, holders, Hold};
pub(crate) use publish::{link, publish, rename_over, same_file, Failure};
pub(crate) use read::{not_regular, open, open_for_writing, process_uid, with_process_uid, Opened};
#[cfg(test)]
pub(crate) use temp::unpredictable;
pub(crate) use temp::{
    create_beside, create_dir, create_new, forget, remove_all_and_hold, remove_dir,
};

use std::path::Path;

/// The device and inode of the file at `path`, following links; `None` where it is gone, or
/// where files have no such identity.
pub(crate) fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}
