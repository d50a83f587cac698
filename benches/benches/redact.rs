//! `redact` throughput: a generated Chrome capture copied without its
//! credentials (entries cleaned on one thread, and on two), and agent-log
//! text cleaned line by line.
//!
//! `cargo bench -p batchdiag-benches --bench redact`

use std::hint::black_box;

use batchdiag_benches::large::write_large_har;
use batchdiag_benches::log_gen::{bundle_files, fleet};
use batchdiag_redact::copy::{har, text};
use batchdiag_redact::Findings;
use criterion::{criterion_main, Criterion, Throughput};

fn redact(c: &mut Criterion) {
    let mut doc = Vec::with_capacity(16 << 20);
    write_large_har(&mut doc, 16 << 20, 7).expect("writing to memory cannot fail");
    let mut g = c.benchmark_group("redact/har");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(doc.len() as u64));
    let mb = doc.len() >> 20;
    for threads in [1, 2] {
        g.bench_function(format!("copy/{mb}MB/{threads}-thread"), |b| {
            let mut out = Vec::with_capacity(doc.len());
            b.iter(|| {
                out.clear();
                let mut f = Findings::default();
                har::copy_threaded(&doc[..], "b.har", &mut out, &mut f, 64 << 20, threads)
                    .expect("a generated capture copies");
                black_box((out.len(), f.secrets))
            })
        });
    }
    g.finish();

    let files = bundle_files(&fleet(4, 1, 4 << 20, 1_714_557_600), 1, 3);
    let log: Vec<u8> = files
        .iter()
        .filter(|(n, _)| n.ends_with("agent-debug.log"))
        .flat_map(|(_, b)| b.clone())
        .collect();
    let mut g = c.benchmark_group("redact/text");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.bench_function(format!("lines/{}MB", log.len() >> 20), |b| {
        let mut out = Vec::with_capacity(log.len());
        b.iter(|| {
            out.clear();
            let mut f = Findings::default();
            text::copy(&log[..], "agent-debug.log", &mut out, &mut f)
                .expect("writing to memory cannot fail");
            black_box((out.len(), f.lines))
        })
    });
    g.finish();
}

fn benches() {
    let mut c = Criterion::default().configure_from_args();
    redact(&mut c);
}

criterion_main!(benches);
