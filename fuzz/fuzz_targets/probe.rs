//! Any bytes as a probe transcript or resource JSON.
#![no_main]

use batchdiag_parser::Location;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let loc = Location::file("fuzz.txt");
    let _ = batchdiag_parser::probe::read_probe(data, &loc);
    let _ = batchdiag_parser::resource::read_resources(data, &loc);
});
