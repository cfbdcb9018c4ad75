//! Session-string codec benchmarks, ids `session_string/{operation}` (spec/session-string.md).
//! Every timed closure checks its result.
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use pyrosession::storage::Storage;
use pyrosession::string::{decode_compat, decode_strict, encode, Format};

fn example() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/examples/v2.txt");
    std::fs::read_to_string(path)
        .expect("spec/examples/v2.txt")
        .trim_end()
        .to_owned()
}

fn codec(c: &mut Criterion) {
    let canonical = example();
    let lenient = format!("  {}\n", canonical.replace('-', "+"));
    let session = decode_strict(&canonical).expect("canonical").session;

    let mut g = c.benchmark_group("session_string");
    g.bench_function("encode", |b| {
        b.iter(|| {
            let s = encode(black_box(&session), Format::V2).expect("encodes");
            assert_eq!(s.len(), 362);
            s
        });
    });
    g.bench_function("decode_strict", |b| {
        b.iter(|| {
            let d = decode_strict(black_box(&canonical)).expect("canonical");
            assert_eq!(d.session.user_id, 123_456_789);
            d
        });
    });
    g.bench_function("decode_compat", |b| {
        b.iter(|| {
            let d = decode_compat(black_box(&canonical)).expect("canonical");
            assert!(d.warnings.is_empty());
            d
        });
    });
    g.bench_function("decode_compat_noncanonical", |b| {
        b.iter(|| {
            let d = decode_compat(black_box(&lenient)).expect("accepted by Pyrogram");
            assert_eq!(d.warnings.len(), 2);
            d
        });
    });
    g.finish();
}

/// Pyrogram's two storage-level operations on strings: `export_session_string` from a memory
/// storage and opening a memory storage from a string (`import_session_string`).
fn storage(c: &mut Criterion) {
    let canonical = example();
    let mut g = c.benchmark_group("memory");
    let storage = Storage::from_session_string(&canonical).expect("imports");
    g.bench_function("export_session_string", |b| {
        b.iter(|| {
            let s = storage.export_session_string().expect("exports");
            assert_eq!(s.len(), 362);
            s
        });
    });
    g.bench_function("import_session_string", |b| {
        b.iter(|| {
            let s = Storage::from_session_string(black_box(&canonical)).expect("imports");
            assert_eq!(s.session().expect("fields").user_id, Some(123_456_789));
            s
        });
    });
    g.finish();
}

criterion_group!(benches, codec, storage);
criterion_main!(benches);
