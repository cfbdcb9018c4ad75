//! The one gate through which the crate opens a file outside SQLite (spec/storage.md §2.5,
//! §2.8).
//!
//! [`open`] and [`open_for_writing`] ask the held-file registry first: a file a storage of this
//! process holds is answered [`Opened::Held`], never opened, so no caller has to remember that
//! closing a descriptor of such a file would drop the storage's claim. Neither ever waits on a
//! FIFO or a device.

use std::cell::Cell;
use std::path::Path;

/// What [`open`] found at a path.
#[derive(Debug)]
pub(crate) enum Opened {
    /// A regular file, open for reading (or writing, from [`open_for_writing`]).
    File(std::fs::File),
    /// A file a storage of this process holds: an SQLite session file, not opened; `wal` is
    /// what its header said when it was first held (see [`super::held`]).
    Held {
        /// Whether the held file's header says WAL mode.
        wal: bool,
    },
}

/// Opens the file at `path` for reading, without waiting and only if it is a regular file (a
/// FIFO, a device or a socket is an `InvalidInput` error, never waited on), unless a storage
/// of this process holds it: then it is not opened, and the answer is [`Opened::Held`].
pub(crate) fn open(path: &Path) -> std::io::Result<Opened> {
    if let Some(wal) = super::held(path) {
        return Ok(Opened::Held { wal });
    }
    open_regular(path).map(Opened::File)
}

/// Opens the file at `path` for writing, without waiting, creating or truncating it, to ask the
/// system whether this process may write it, unless more storages of this process than `own`
/// (the caller's own holds, whose connections are closed) hold it: then it is not opened, and
/// the answer is [`Opened::Held`].
pub(crate) fn open_for_writing(path: &Path, own: usize) -> std::io::Result<Opened> {
    if super::holders(path) > own {
        return Ok(Opened::Held {
            wal: super::held(path).unwrap_or(false),
        });
    }
    open_writing(path).map(Opened::File)
}

/// What a file that is not a regular one is, in words; `None` for a regular file.
pub(crate) fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    #[cfg(unix)]
    {
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
    #[cfg(not(unix))]
    {
        (!meta.is_file()).then_some("not a regular file")
    }
}

/// `O_NONBLOCK` where its value is known: opening a FIFO with it returns at once instead of
/// waiting for a writer. (The crate forbids unsafe code, and `libc` is no dependency.)
#[cfg(unix)]
const O_NONBLOCK: Option<i32> = if cfg!(all(
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
)) {
    Some(0o4000)
} else if cfg!(any(
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd"
)) {
    Some(0x0004)
} else {
    None
};

/// Opens the file at `path` for reading without waiting, and only if it is a regular file:
/// a FIFO, a device, a socket or anything else that is not one is an error (`InvalidInput`),
/// never opened or waited on. Where `O_NONBLOCK` is unknown, a FIFO put at the path between the
/// look and the open may be waited on.
#[cfg(unix)]
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    // What it is, said: `not a regular file (a FIFO)`.
    let not_a_file = |meta: &std::fs::Metadata| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "not a regular file ({})",
                not_regular(meta).unwrap_or("not a regular file")
            ),
        )
    };
    // Looked at before it is opened: a device is never opened (its open may do something),
    // and a socket, which no open takes (`ENXIO`), is said to be what it is.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_a_file(&meta));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    if let Some(flag) = O_NONBLOCK {
        options.custom_flags(flag);
    }
    // Something else may be put at the path in between: opened without waiting, and looked
    // at again through the descriptor.
    let file = options
        .open(path)
        .map_err(|e| match std::fs::metadata(path) {
            Ok(m) if !m.is_file() => not_a_file(&m),
            _ => e,
        })?;
    let meta = file.metadata()?;
    if meta.is_file() {
        Ok(file)
    } else {
        Err(not_a_file(&meta))
    }
}

/// Opens the file at `path` for writing, without waiting (a FIFO put there is not waited on),
/// without creating or truncating it: to ask the system whether this process may write it.
#[cfg(unix)]
fn open_writing(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if let Some(flag) = O_NONBLOCK {
        options.custom_flags(flag);
    }
    options.open(path)
}

/// [`open_writing`] where files have no types to wait on.
#[cfg(not(unix))]
fn open_writing(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().write(true).open(path)
}

/// [`open_regular`] where files have no types to wait on.
#[cfg(not(unix))]
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// The effective user id of this process; `None` where it cannot be known (no `/proc`). (The
/// crate forbids unsafe code, so it cannot call `geteuid`.)
///
/// On Linux, the owner of `/proc/self` first: the kernel gives a process's directory the
/// process's effective user (proc(5)), one `statx` where reading `/proc/self/status` is an
/// open, a read of text the kernel composes anew each time, and a close (a twelfth of an open's
/// time, asked on every side-file check). Except where the process is not dumpable (a
/// set-user-ID program, or one that said so): its directory is then root's whatever its user,
/// so an owner of 0 is asked of [`status_uid`], which answers for root and for those alike.
///
/// Within [`with_process_uid`], the answer its first check took.
#[cfg(unix)]
pub(crate) fn process_uid() -> Option<u32> {
    match ONE_OPEN.with(Cell::get) {
        Taken::At(user) => user,
        Taken::Not => ask_uid(),
        Taken::Pending => {
            let user = ask_uid();
            ONE_OPEN.with(|c| c.set(Taken::At(user)));
            user
        }
    }
}

/// What [`with_process_uid`] took, while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Taken {
    /// Nothing: no open is running on this thread.
    Not,
    /// An open is running and has not asked yet (many fail before any check that asks).
    Pending,
    /// The user the running open's first check found (`None`: not known).
    At(Option<u32>),
}

thread_local! {
    /// The answer [`with_process_uid`] took, while it runs on this thread.
    static ONE_OPEN: Cell<Taken> = const { Cell::new(Taken::Not) };
}

#[cfg(test)]
thread_local! {
    /// How many times this thread asked the system for its user (`ask_uid`).
    static ASKED: Cell<usize> = const { Cell::new(0) };
}

/// Runs `f` with the user [`process_uid`] answers asked of the system once, at the first check
/// that asks: an open checks the owners of the file and of its side files up to six times
/// (before each connection it makes), all against the user its first check found. Nested, the
/// outer answer stands.
pub(crate) fn with_process_uid<T>(f: impl FnOnce() -> T) -> T {
    /// Ends the answer when `f` returns or unwinds.
    struct End;
    impl Drop for End {
        fn drop(&mut self) {
            ONE_OPEN.with(|c| c.set(Taken::Not));
        }
    }
    if ONE_OPEN.with(Cell::get) != Taken::Not {
        return f();
    }
    ONE_OPEN.with(|c| c.set(Taken::Pending));
    let _end = End;
    f()
}

/// The effective user id of this process, asked of the system (see [`process_uid`]).
#[cfg(unix)]
fn ask_uid() -> Option<u32> {
    #[cfg(test)]
    ASKED.with(|n| n.set(n.get() + 1));
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::unix::fs::MetadataExt as _;
        if let Some(uid) = std::fs::metadata("/proc/self")
            .ok()
            .map(|m| m.uid())
            .filter(|&uid| uid != 0)
        {
            return Some(uid);
        }
    }
    status_uid()
}

/// The effective user id of this process, from the `Uid:` line of `/proc/self/status` (real,
/// effective, saved, file system); `None` where there is no such file.
#[cfg(unix)]
fn status_uid() -> Option<u32> {
    use std::io::Read as _;
    // Read with one `read` into a buffer the text fits (about 1.5 KB; the `Uid:` line is its
    // ninth): `read_to_string` first asks the size (a file of /proc says 0) and then reads in
    // eight growing pieces, ten system calls where this makes two.
    let mut file = std::fs::File::open("/proc/self/status").ok()?;
    let mut buf = [0u8; 4096];
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    let status = String::from_utf8_lossy(&buf[..len]);
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file a storage of this process holds is answered `Held` and never opened: its claim
    /// stays (another open of it still finds it in use).
    #[test]
    fn held_files_are_not_opened() {
        let dir = crate::fs::create_dir(&std::env::temp_dir(), "pyrosession-unit-").expect("dir");
        let path = dir.join("held.session");
        let storage = crate::storage::Storage::open_file(&path).expect("open");
        assert!(matches!(open(&path), Ok(Opened::Held { wal: false })));
        assert!(matches!(
            open_for_writing(&path, 0),
            Ok(Opened::Held { .. })
        ));
        let second = crate::storage::OpenOptions::new()
            .wait(std::time::Duration::ZERO)
            .open(&path)
            .expect_err("still claimed");
        assert!(second.to_string().contains("in use"), "{second}");
        drop(storage);
        assert!(matches!(open(&path), Ok(Opened::File(_))));
        crate::fs::remove_dir(&dir).expect("remove");
    }

    /// A socket and a device are refused as not regular files (`InvalidInput`), as a FIFO is:
    /// a socket is not "no such device or address" (what its open would say), and a device is
    /// not opened.
    #[test]
    fn sockets_and_devices_are_not_regular_files() {
        let dir = crate::fs::create_dir(&std::env::temp_dir(), "pyrosession-unit-").expect("dir");
        let socket = dir.join("socket");
        let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
        for path in [socket.as_path(), Path::new("/dev/null")] {
            let e = open_regular(path).expect_err("not a regular file");
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::InvalidInput,
                "{}: {e}",
                path.display()
            );
        }
        drop(listener);
        std::fs::remove_file(&socket).expect("remove socket");
        crate::fs::remove_dir(&dir).expect("remove");
    }

    /// The child of [`process_uid_is_the_effective_user`]: the two ways of asking agree, and
    /// say the effective user, not the real one.
    const UID_CHILD: &str = "PYROSESSION_UID_CHILD";

    /// `process_uid` is this process's effective user id, as `/proc/self/status` says it: here,
    /// and (where the tests run as root and `setpriv` is there) in this test run again as a
    /// process whose real user (64123) is not its effective one (64124), where the owner of
    /// `/proc/self` is what answers. Run as root, the first answer comes from the status file.
    #[cfg(unix)]
    #[test]
    fn process_uid_is_the_effective_user() {
        if std::env::var_os(UID_CHILD).is_some() {
            assert_eq!(status_uid(), Some(64_124), "the child's effective user");
            assert_eq!(process_uid(), Some(64_124));
            return;
        }
        assert_eq!(process_uid(), status_uid());
        if !std::path::Path::new("/proc/self/status").exists() {
            return;
        }
        assert!(process_uid().is_some());
        if process_uid() != Some(0) {
            return;
        }
        let exe = std::env::current_exe().expect("the test binary");
        let out = std::process::Command::new("setpriv")
            .args(["--ruid", "64123", "--euid", "64124", "--regid", "64123"])
            .args(["--clear-groups", "--"])
            .arg(exe)
            .args([
                "--exact",
                "fs::read::tests::process_uid_is_the_effective_user",
            ])
            .env(UID_CHILD, "1")
            .output();
        let Ok(out) = out else {
            eprintln!("setpriv is not there: the other user's trial NOT RUN");
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("1 passed"),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// An open asks the system for the user once, however many checks it makes; outside an
    /// open each check asks.
    #[cfg(unix)]
    #[test]
    fn an_open_asks_for_the_user_once() {
        let dir = crate::fs::create_dir(&std::env::temp_dir(), "pyrosession-unit-").expect("dir");
        let path = dir.join("asked.session");
        drop(crate::storage::Storage::open_file(&path).expect("created"));
        for read_only in [false, true] {
            ASKED.with(|n| n.set(0));
            let storage = crate::storage::OpenOptions::new()
                .read_only(read_only)
                .open(&path)
                .expect("opened");
            assert_eq!(ASKED.with(Cell::get), 1, "read-only: {read_only}");
            drop(storage);
        }
        // A file that is not SQLite is refused before any check that asks.
        let text = dir.join("text.session");
        std::fs::write(&text, b"not a database").expect("written");
        ASKED.with(|n| n.set(0));
        crate::storage::Storage::open_file_read_only(&text).expect_err("not SQLite");
        assert_eq!(ASKED.with(Cell::get), 0, "asked without a check");
        ASKED.with(|n| n.set(0));
        let _ = process_uid();
        let _ = process_uid();
        assert_eq!(ASKED.with(Cell::get), 2);
        assert_eq!(
            ONE_OPEN.with(Cell::get),
            Taken::Not,
            "the open's answer outlived it"
        );
        std::fs::remove_dir_all(&dir).expect("remove");
    }

    /// A FIFO is refused at once, never waited on.
    #[cfg(unix)]
    #[test]
    fn fifos_are_refused_without_waiting() {
        let dir = crate::fs::create_dir(&std::env::temp_dir(), "pyrosession-unit-").expect("dir");
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = open(&fifo).expect_err("a FIFO");
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
        }
        crate::fs::remove_dir(&dir).expect("remove");
    }
}
