//! How long writing a report takes, apart from analysing it:
//! `cargo run --release -p batchdiag-render --example render_time -- REPORT.json [FORMAT]`
//! reads a JSON report (`batchdiag analyze -f json ...`), redacts it and
//! writes it 20 times in FORMAT (`html` by default) to memory, then prints
//! the median time and the size.

use std::time::Instant;

use batchdiag_analyzer::report::Report;
use batchdiag_redact::redact;
use batchdiag_render::{sink, Format, SinkOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: render_time REPORT.json [text|json|markdown|html]");
    let format = match args.next().as_deref().unwrap_or("html") {
        "text" => Format::Text,
        "json" => Format::Json,
        "markdown" => Format::Markdown,
        "html" => Format::Html,
        other => panic!("unknown format {other}"),
    };
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("a report");
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..20 {
        let start = Instant::now();
        // Redaction is part of every write, so it is timed too.
        let red = redact(&report).expect("redactable");
        let mut out = Vec::new();
        {
            let mut s = sink(format, Box::new(&mut out), SinkOptions::default());
            s.begin().expect("memory");
            s.report(&red).expect("memory");
            s.finish().expect("memory");
        }
        times.push(start.elapsed());
        size = out.len();
    }
    times.sort();
    println!(
        "{format:?}: median {:?}, {size} bytes",
        times[times.len() / 2]
    );
}
