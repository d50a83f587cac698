//! Any bytes as agent-log lines: the grammar never panics, and streaming and
//! in-memory reading agree whatever the chunk size.
#![no_main]

use batchdiag_parser::agent::line::{field_value, find_timestamp, health_status};
use batchdiag_parser::agent::{read_agent_log, read_agent_slice, LogOptions};
use batchdiag_parser::Location;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = find_timestamp(data);
    let _ = health_status(data);
    let _ = field_value(data, b"TVMName");
    let opts = LogOptions { chunk_bytes: 13, max_line_bytes: 64 };
    let loc = Location::file("fuzz.log");
    let a = read_agent_log(data, &loc, &opts);
    let b = read_agent_slice(data, &loc, &opts);
    assert_eq!(a.summary, b.summary);
});
