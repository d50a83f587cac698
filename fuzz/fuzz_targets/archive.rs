//! Any bytes as a bundle (zip, tar, gzip, nested, or anything else) under small limits.
#![no_main]

use batchdiag_parser::{Limits, ReadOptions, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        limits: Limits { max_member_bytes: 1 << 20, max_total_bytes: 4 << 20, max_ratio: 100, max_depth: 3, max_in_memory_bytes: 1 << 20 },
        ..ReadOptions::default()
    };
    let _ = Reader::new(opts).read_bytes("fuzz", data);
});
