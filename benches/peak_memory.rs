//! Peak memory of a memory storage holding the largest cache of the benchmarks (1,000,000
//! peers by default, `PYROSESSION_BENCH_SIZES` as in `peer_lookup.rs`; 1,000 under `--test`).
//! Prints one JSON line: `{"id": "memory/peak_rss_{peers}", "bytes": ..., "before_bytes": ...}`,
//! the process's peak resident set (Linux `VmHWM`) after and before filling the storage.

use pyrosession::peer::{Peer, PeerType};
use pyrosession::storage::Storage;

fn vm_hwm() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn main() {
    let test = std::env::args().any(|a| a == "--test");
    let n: usize = if test {
        1_000
    } else {
        std::env::var("PYROSESSION_BENCH_SIZES")
            .ok()
            .and_then(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).max())
            .unwrap_or(1_000_000)
    };
    let before = vm_hwm();
    let mut storage = Storage::memory().expect("memory storage");
    for start in (0..n).step_by(100_000) {
        let batch: Vec<Peer> = (start..n.min(start + 100_000))
            .map(|i| Peer {
                id: 1_000_000 + i64::try_from(i).expect("small"),
                access_hash: Some(i64::try_from(i).expect("small") * 7),
                peer_type: PeerType::User,
                username: Some(format!("user{i}")),
                phone_number: (i % 5 < 2).then(|| format!("1555{i:07}")),
            })
            .collect();
        storage.update_peers(&batch).expect("update_peers");
    }
    // Checked by a lookup: listing every peer would itself cost memory.
    let last = 1_000_000 + i64::try_from(n - 1).expect("small");
    assert!(storage.get_peer_by_id(last).is_ok());
    let after = vm_hwm();
    println!(
        "{}",
        serde_json::json!({ "id": format!("memory/peak_rss_{n}"), "bytes": after, "before_bytes": before })
    );
}
