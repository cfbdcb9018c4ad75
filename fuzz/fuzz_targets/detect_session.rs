//! Fuzzes detection and the decoders of other libraries' sessions and asserts the laws of
//! spec/conversions.md §10.2 on what they accept: a Telethon or GramJS string the crate
//! accepts is canonical (it encodes back to itself), and a string detection names is read as
//! that format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyrosession::convert::{gramjs, legacy_json, read_text, telethon, Input, Kind};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(t) = telethon::decode(&s) {
        assert_eq!(telethon::encode(&t), s);
    }
    if let Ok(g) = gramjs::decode(&s) {
        assert_eq!(gramjs::encode(&g).unwrap(), s);
    }
    let _ = legacy_json::read(&s);
    match Input::from_text(&s).map(|i| i.detected()) {
        Ok(d) if d.kind != Kind::PyrogramJson => {
            let account = read_text(&s).expect("detection accepted, reading must too");
            assert_eq!(account.kind, d.kind);
        }
        Ok(_) => {}
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
