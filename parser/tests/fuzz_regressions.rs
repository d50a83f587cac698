//! Inputs the fuzz targets once crashed on (`fuzz/regressions/<target>/`),
//! replayed with the targets' own assertions on every test run.

use std::path::Path;

use batchdiag_parser::agent::{read_agent_log, read_agent_slice, LogOptions};
use batchdiag_parser::Location;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).expect("readable"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn agent_line_regressions() {
    let cases = inputs("agent_line");
    assert!(!cases.is_empty(), "regression inputs are committed");
    for (name, data) in cases {
        let opts = LogOptions {
            chunk_bytes: 13,
            max_line_bytes: 64,
        };
        let loc = Location::file("fuzz.log");
        let a = read_agent_log(&data[..], &loc, &opts);
        let b = read_agent_slice(&data, &loc, &opts);
        assert_eq!(a.summary, b.summary, "{name}");
        assert_eq!(a.warnings, b.warnings, "{name}");
    }
}
