//! The per-bundle path of `analyze --each`: one small corpus bundle read,
//! analysed, redacted and written as a JSON line, and the redaction of its
//! report alone (the part of that path the `--each` work changed); then a
//! small generated fleet (`batchdiag-gen fleet`'s zip and tar.gz bundles)
//! read bundle after bundle on one thread, as `--each` reads each bundle
//! since session 22, against the same bundles with rayon free to split each
//! one over two threads (as before).
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

/// The bundles of a generated fleet of `n`, in path order, split into the
/// ordinary ones and the hostile ones (a 45 MiB bomb each).
fn fleet(n: usize, dir: &std::path::Path) -> (Vec<String>, Vec<String>) {
    batchdiag_benches::fleet::write_fleet(n, dir).expect("fleet written");
    let mut all = Vec::new();
    let mut dirs = vec![dir.join("bundles")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("fleet dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                all.push(p.to_str().expect("utf-8 path").to_string());
            }
        }
    }
    all.sort();
    all.into_iter().partition(|p| !p.contains("hostile"))
}

/// One bundle as `--each` handles it: read, analysed, redacted, one JSON line.
fn one_line(reader: &Reader, p: &str, line: &mut Vec<u8>) -> usize {
    let red = redact(&report(reader, p)).expect("a report redacts");
    line.clear();
    batchdiag_render::json::write_line(line, &red).expect("memory");
    line.len()
}

fn fleet_bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ordinary, hostile) = fleet(62, dir.path());
    let reader = Reader::new(ReadOptions::default());
    let threads = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("threads")
    };
    // Both run on a pool's thread: one of its own (every rayon call inside a
    // bundle stays there), or one of two that the bundle's zip members, HAR
    // entries and log chunks may be split across.
    let modes = [("one-thread", threads(1)), ("split-over-2", threads(2))];
    let mut g = c.benchmark_group("each/fleet");
    g.sample_size(10);
    for (mode, pool) in &modes {
        let mut line = Vec::with_capacity(64 << 10);
        g.bench_function(
            format!("{} ordinary bundles, {mode}", ordinary.len()),
            |bench| {
                bench.iter(|| {
                    pool.install(|| {
                        let bytes: usize = ordinary
                            .iter()
                            .map(|p| one_line(&reader, p, &mut line))
                            .sum();
                        black_box(bytes)
                    })
                })
            },
        );
        g.bench_function(
            format!("{} hostile bundles, {mode}", hostile.len()),
            |bench| {
                bench.iter(|| {
                    pool.install(|| {
                        let bytes: usize = hostile
                            .iter()
                            .map(|p| one_line(&reader, p, &mut line))
                            .sum();
                        black_box(bytes)
                    })
                })
            },
        );
    }
    g.finish();
}

fn benches() {
    let mut c = Criterion::default().configure_from_args();
    each(&mut c);
    fleet_bench(&mut c);
}

criterion_main!(benches);
