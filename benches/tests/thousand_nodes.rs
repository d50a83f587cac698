//! A generated "upload batch logs" bundle of 1,000 nodes, each log rotated
//! into two files, read and written as the HTML report: the timeline must
//! stay legible (every pool folded to its aggregate row, node rows one
//! click away), mark rotation boundaries, and stay small.

use std::path::PathBuf;

use batchdiag_benches::log_gen::{bundle_files, fleet, write_dir};
use batchdiag_render::{sink, Format, SinkOptions};

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_thousand_node_bundle_stays_legible_and_small() {
    let dir =
        TempDir(std::env::temp_dir().join(format!("batchdiag-thousand-{}", std::process::id())));
    let nodes = fleet(1000, 100, 6_000, 1_714_557_600);
    write_dir(&dir.0, &bundle_files(&nodes, 2, 42)).expect("writable temp dir");

    let reader = batchdiag_parser::Reader::new(batchdiag_parser::ReadOptions::default());
    let read = reader.read_paths(&[dir.0.to_string_lossy().into_owned()]);
    let report = batchdiag_analyzer::analyze(
        read.inputs,
        read.evidence,
        &batchdiag_analyzer::Settings::default(),
    );
    let loops = report
        .evidence
        .iter()
        .filter(|e| e.evidence.fact.as_join_loop().is_some())
        .count();
    assert_eq!(loops, 1000, "one join loop per node");
    let red = batchdiag_redact::redact(&report).expect("redactable");
    let mut out = Vec::new();
    {
        let mut s = sink(Format::Html, Box::new(&mut out), SinkOptions::default());
        s.begin().expect("memory");
        s.report(&red).expect("memory");
        s.finish().expect("memory");
    }
    let html = String::from_utf8(out).expect("UTF-8");
    // Three pools of about 333 nodes: each starts folded to its aggregate row.
    assert_eq!(html.matches("<details class=\"pool\"").count(), 3);
    assert_eq!(
        html.matches("<details class=\"pool\" id=\"pool-").count(),
        3
    );
    assert!(!html.contains("<details class=\"pool\" id=\"pool-0\" open>"));
    assert_eq!(html.matches("aria-label=\"nodes of pool ").count(), 3);
    assert!(html.contains("never ended</strong>"));
    // Each node's two files meet once.
    assert_eq!(html.matches("<g class=\"rot\">").count(), 1000);
    // The timeline of 1,000 nodes stays under 1 MB; the page as a whole
    // also lists 1,000 evidence rows and 2,000 inputs.
    let start = html.find("id=\"timeline\"").expect("a timeline");
    let len = html[start..].find("</section>").expect("its end");
    assert!(len < 1_000_000, "timeline of {len} bytes");
    assert!(html.len() < 3_000_000, "{} bytes", html.len());
}
