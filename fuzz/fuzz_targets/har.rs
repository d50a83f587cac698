//! Any bytes as a HAR, whole and in small chunks: no panic, and the same evidence both ways.
#![no_main]

use batchdiag_parser::har::{read_har, HarOptions};
use batchdiag_parser::Location;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let loc = Location::file("fuzz.har");
    let whole = read_har(data, &loc, &HarOptions::default());
    let small = HarOptions { chunk_bytes: 7, max_entry_bytes: 1 << 20 };
    let chunked = read_har(data, &loc, &small);
    assert_eq!(whole.evidence, chunked.evidence);
    let mut findings = batchdiag_redact::Findings::default();
    let _ = batchdiag_redact::copy::har::copy(data, "fuzz.har", &mut std::io::sink(), &mut findings, 1 << 20);
});
