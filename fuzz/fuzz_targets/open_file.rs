//! Arbitrary bytes written as a session file, then opened and used (spec/storage.md §2.2,
//! spec/damaged-inputs.md): typed errors only, no panic, no hang, and a failed open leaves the
//! file as it was.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch();
    let path = dir.join("fuzz.session");
    std::fs::write(&path, data).expect("write input");
    common::open_and_use(&dir, &path, &[("fuzz.session", data)]);
});
