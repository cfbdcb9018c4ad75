//! New files are built under temporary names beside their place (spec/storage.md §2.2, §2.7,
//! spec/conversions.md §5.5). The names are unpredictable now; `tests/other_user.rs` has another
//! user make them first.

mod util;

use std::path::Path;

use pyrosession::convert::{read_path, write_file, write_string_file, Options, Target};
use pyrosession::storage::Storage;
use util::TempDir;

fn fixture(name: &str) -> std::path::PathBuf {
    util::root().join("spec/fixtures").join(name)
}

/// Files at the temporary names this process took when they were `.{name}.{pid}.{n}.tmp`, as a
/// process that had its pid might have left them (in a container every first process is pid 1).
fn decoys(dir: &Path, name: &str) -> Vec<std::path::PathBuf> {
    (0..64)
        .map(|n| {
            let p = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            std::fs::write(&p, b"not yours").unwrap();
            p
        })
        .collect()
}

/// A file already at a temporary name is neither used, nor deleted, nor taken for the target
/// (found by an audit: `convert` said the target existed, which it did not, and deleted the
/// file that did).
#[test]
fn files_at_temporary_names_are_left_alone() {
    let dir = TempDir::new("temporary-decoys");
    let account = read_path(&fixture("pyrogram-2.0.106.session")).unwrap();
    let mut all = Vec::new();
    for (name, target) in [
        ("t.session", Some(Target::TelethonFile)),
        ("p.session", Some(Target::PyrogramFile)),
        ("s.txt", None),
        ("new.session", None),
    ] {
        all.extend(decoys(&dir.0, name));
        let path = dir.join(name);
        match (name, target) {
            (_, Some(target)) => {
                write_file(&account, target, &Options::default(), &path, false, None).unwrap();
            }
            ("s.txt", None) => write_string_file(&path, "text", false).unwrap(),
            _ => Storage::open_file(&path).unwrap().close().unwrap(),
        }
        assert!(path.exists(), "{name}");
    }
    for d in &all {
        assert_eq!(std::fs::read(d).unwrap(), b"not yours", "{}", d.display());
    }
    assert_eq!(
        Storage::open_file_read_only(dir.join("p.session"))
            .unwrap()
            .session()
            .unwrap()
            .dc_id,
        2
    );
}

/// A target whose name is near the file system's limit (255 bytes) is written: its temporary
/// name is cut to fit (found by an audit: "File name too long" for a name `touch` makes).
#[test]
fn a_long_target_name_is_written() {
    let dir = TempDir::new("temporary-long");
    let account = read_path(&fixture("pyrogram-2.0.106.session")).unwrap();
    let long = |ext: &str| dir.0.join(format!("{}{ext}", "a".repeat(255 - ext.len())));
    // An SQLite file needs room for `-journal` beside it: 247 bytes at most (spec/storage.md
    // §2.8); a longer one is refused before anything is made.
    let refused = write_file(
        &account,
        Target::TelethonFile,
        &Options::default(),
        &long(".session"),
        false,
        None,
    )
    .unwrap_err();
    assert!(
        refused.to_string().contains("a file name of 255 bytes"),
        "{refused}"
    );
    write_file(
        &account,
        Target::TelethonFile,
        &Options::default(),
        &dir.0.join(format!("{}.session", "a".repeat(239))),
        false,
        None,
    )
    .unwrap();
    let pyrogram = dir.0.join(format!("{}.session", "b".repeat(239)));
    write_file(
        &account,
        Target::PyrogramFile,
        &Options::default(),
        &pyrogram,
        false,
        None,
    )
    .unwrap();
    write_string_file(&long(".txt"), "text", false).unwrap();
    // A session SQLite opens for writing needs room for `-journal` beside it: 247 bytes at most.
    let created = dir.0.join(format!("{}.session", "c".repeat(239)));
    Storage::open_file(&created).unwrap().close().unwrap();
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| !n.to_ascii_lowercase().ends_with(".tmp")),
        "{names:?}"
    );
}
