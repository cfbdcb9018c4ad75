//! Damage confined to one table's b-tree, made by overwriting its pages: the pages are found by
//! reading the b-tree from the root page `sqlite_master` gives (SQLite's file format, §1.6).

use std::path::{Path, PathBuf};

/// A table's b-tree as its pages lay it out.
#[derive(Debug)]
pub struct Tree {
    pub page_size: usize,
    pub root: u32,
    /// Interior pages, root first.
    pub interior: Vec<u32>,
    /// Leaf pages in key order, each with the rowids it holds.
    pub leaves: Vec<(u32, Vec<i64>)>,
}

fn varint(b: &[u8]) -> (i64, usize) {
    let mut v: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(9) {
        if i == 8 {
            return (signed((v << 8) | u64::from(byte)), 9);
        }
        v = (v << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return (signed(v), i + 1);
        }
    }
    (signed(v), 9)
}

/// A varint's 64 bits as SQLite reads them: two's complement.
fn signed(v: u64) -> i64 {
    i64::from_be_bytes(v.to_be_bytes())
}

/// The b-tree of table `name` in the (undamaged) file at `path`.
pub fn tree(path: &Path, name: &str) -> Tree {
    let bytes = std::fs::read(path).unwrap();
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n => usize::from(n),
    };
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let root: u32 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    let mut tree = Tree {
        page_size,
        root,
        interior: Vec::new(),
        leaves: Vec::new(),
    };
    walk(&bytes, page_size, root, &mut tree);
    tree
}

fn walk(bytes: &[u8], page_size: usize, page: u32, tree: &mut Tree) {
    let start = (page as usize - 1) * page_size;
    let head = start + if page == 1 { 100 } else { 0 };
    let kind = bytes[head];
    let cells = usize::from(u16::from_be_bytes([bytes[head + 3], bytes[head + 4]]));
    let cell_at = |i: usize, header: usize| {
        let p = head + header + 2 * i;
        start + usize::from(u16::from_be_bytes([bytes[p], bytes[p + 1]]))
    };
    match kind {
        0x05 => {
            tree.interior.push(page);
            for i in 0..cells {
                let c = cell_at(i, 12);
                let child = u32::from_be_bytes(bytes[c..c + 4].try_into().unwrap());
                walk(bytes, page_size, child, tree);
            }
            let right = u32::from_be_bytes(bytes[head + 8..head + 12].try_into().unwrap());
            walk(bytes, page_size, right, tree);
        }
        0x0d => {
            let rowids = (0..cells)
                .map(|i| {
                    let c = cell_at(i, 8);
                    let (_, n) = varint(&bytes[c..]);
                    varint(&bytes[c + n..]).0
                })
                .collect();
            tree.leaves.push((page, rowids));
        }
        other => panic!("page {page} is of type {other:#x}, not a table b-tree page"),
    }
}

/// Overwrites page `page` of the file at `path` with zeros: no b-tree page type, so SQLite
/// reports the database damaged at the first read that reaches it.
pub fn zero_page(path: &Path, page_size: usize, page: u32) {
    let mut bytes = std::fs::read(path).unwrap();
    let start = (page as usize - 1) * page_size;
    bytes[start..start + page_size].fill(0);
    std::fs::write(path, bytes).unwrap();
}

/// A copy of Pyrogram 2.0.106's fixture in `dir` with `n` more peers cached by the crate (ids
/// 1000, 2000, ..., each with a username), enough for a `peers` b-tree of many leaves under an
/// interior root.
pub fn many_peers(dir: &Path, n: i64) -> PathBuf {
    use pyrosession::peer::{Peer, PeerType};
    let p = dir.join("damaged.session");
    std::fs::copy(
        super::root().join("spec/fixtures/pyrogram-2.0.106.session"),
        &p,
    )
    .unwrap();
    let mut s = pyrosession::storage::Storage::open_file(&p).unwrap();
    let peers: Vec<Peer> = (1..=n)
        .map(|i| Peer {
            id: i * 1000,
            access_hash: Some(i * 7),
            peer_type: PeerType::User,
            username: Some(format!("user{i}")),
            phone_number: None,
        })
        .collect();
    s.update_peers(&peers).unwrap();
    s.close().unwrap();
    p
}
