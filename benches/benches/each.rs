//! The per-bundle path of `analyze --each`: one small corpus bundle read,
//! analysed, redacted and written as a JSON line, and the redaction of its
//! report alone (the part of that path the `--each` work changed).
//!
//! `cargo bench -p batchdiag-benches --bench each`

use std::hint::black_box;

use batchdiag_analyzer::{analyze, Report, Settings};
use batchdiag_parser::{ReadOptions, Reader};
use batchdiag_redact::redact;
use criterion::{criterion_main, Criterion};

/// Corpus bundles of the fleet's commonest shapes: a portal HAR, node logs
/// in the upload layout, resource JSON with a diagnosis, a healthy upload.
const BUNDLES: &[&str] = &[
    "bd101-chrome",
    "bd201-upload-logs",
    "bd203-scenario4",
    "healthy-upload",
];

fn path(bundle: &str) -> String {
    format!("{}/../corpus/{bundle}", env!("CARGO_MANIFEST_DIR"))
}

fn report(reader: &Reader, p: &str) -> Report {
    let read = reader.read_paths(&[p]);
    let mut r = analyze(read.inputs, read.evidence, &Settings::default());
    r.bundle = Some(p.to_string());
    r
}

fn each(c: &mut Criterion) {
    let reader = Reader::new(ReadOptions::default());
    let mut g = c.benchmark_group("each/bundle");
    g.sample_size(20);
    for b in BUNDLES {
        let p = path(b);
        let mut line = Vec::with_capacity(64 << 10);
        g.bench_function(*b, |bench| {
            bench.iter(|| {
                let red = redact(&report(&reader, &p)).expect("a report redacts");
                line.clear();
                batchdiag_render::json::write_line(&mut line, &red).expect("memory");
                black_box(line.len())
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("each/redact");
    g.sample_size(30);
    for b in BUNDLES {
        let r = report(&reader, &path(b));
        g.bench_function(*b, |bench| {
            bench.iter(|| black_box(redact(&r).expect("a report redacts").json().is_object()))
        });
    }
    g.finish();
}

fn benches() {
    let mut c = Criterion::default().configure_from_args();
    each(&mut c);
}

criterion_main!(benches);
