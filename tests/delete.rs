//! `delete()` removes the session the storage has open, whatever has become of the path it was
//! given (spec/storage.md §7.4). In a process of its own: one test changes the working
//! directory, and every other path here is absolute.

mod util;

use pyrosession::peer::{Peer, PeerType};
use pyrosession::storage::Storage;
use util::TempDir;

fn peer() -> Peer {
    Peer {
        id: 7,
        access_hash: Some(1),
        peer_type: PeerType::User,
        username: None,
        phone_number: None,
    }
}

/// A relative path names the file in the working directory of the open: a later change of
/// directory does not make `delete()` remove another session there (found by an audit: it
/// removed `b/me.session` and left `a/me.session`).
#[test]
fn delete_after_a_change_of_directory_removes_its_own_file() {
    let dir = TempDir::new("delete-cwd");
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    Storage::open_file(b.join("me.session"))
        .unwrap()
        .close()
        .unwrap();
    std::env::set_current_dir(&a).unwrap();
    let mut s = Storage::open_file("me.session").unwrap();
    s.update_peers(&[peer()]).unwrap();
    std::env::set_current_dir(&b).unwrap();
    s.delete().unwrap();
    std::env::set_current_dir(util::root()).unwrap();
    assert!(!a.join("me.session").exists(), "its own file was left");
    assert!(b.join("me.session").exists(), "another session was deleted");
}

/// Through a symbolic link, the session itself goes, with the side files beside it and the link
/// (found by an audit: only the link went, and the file with its key stayed).
#[test]
fn delete_through_a_link_removes_the_session_and_the_link() {
    let dir = TempDir::new("delete-link");
    let real = dir.join("real.session");
    let link = dir.join("link.session");
    std::fs::copy(
        util::root().join("spec/fixtures/pyrogram-2.0.106.session"),
        &real,
    )
    .unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let mut s = Storage::open_file(&link).unwrap();
    s.update_peers(&[peer()]).unwrap();
    s.delete().unwrap();
    let left: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A file renamed over the session's path after the open is not deleted: `delete()` says so,
/// and the new file stays (spec/storage.md §7.4; it removed whatever was at the path).
#[test]
fn delete_of_a_replaced_session_deletes_nothing_and_says_so() {
    let dir = TempDir::new("delete-replaced");
    let path = dir.join("me.session");
    let other = dir.join("other.session");
    Storage::open_file(&other).unwrap().close().unwrap();
    let s = Storage::open_file(&path).unwrap();
    std::fs::rename(&other, &path).unwrap();
    let new = std::fs::read(&path).unwrap();
    let err = s.delete().unwrap_err();
    util::assert_message(
        &err,
        &format!(
            "{}: not deleted: the file there now is not the one this storage opened (another was put at its path since); delete it by hand if it should go",
            path.display()
        ),
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        new,
        "the new file was touched"
    );

    // The same after the session was removed by hand and a new one made in its place.
    let s = Storage::open_file(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    Storage::open_file(&other).unwrap().close().unwrap();
    std::fs::rename(&other, &path).unwrap();
    assert!(s.delete().is_err());
    assert!(path.exists(), "the new session was deleted");
}
