//! HAR throughput: framing alone, and the whole read (framing, entry
//! grammar, `/batch` envelope extraction), on a generated Chrome capture.
//!
//! `cargo bench -p batchdiag-benches --bench har`

use std::hint::black_box;

use batchdiag_benches::large::write_large_har;
use batchdiag_parser::har::framing::{Event, Framer};
use batchdiag_parser::har::{read_har, HarOptions};
use batchdiag_parser::Location;
use criterion::{criterion_main, Criterion, Throughput};

fn input(mb: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity((mb as usize) << 20);
    write_large_har(&mut v, mb << 20, 7).expect("writing to memory cannot fail");
    v
}

fn frame_all(doc: &[u8]) -> u64 {
    let mut f = Framer::new();
    let mut n = 0;
    loop {
        match f.next(doc, 0, true) {
            Ok(Event::Entry { .. }) => n += 1,
            Ok(Event::End) | Err(_) => return n,
            Ok(_) => {}
        }
    }
}

fn har(c: &mut Criterion) {
    let doc = input(32);
    let minified = {
        let v: serde_json::Value = serde_json::from_slice(&doc).expect("generated HAR is JSON");
        serde_json::to_vec(&v).expect("serializes")
    };
    let loc = Location::file("bench.har");
    let mut g = c.benchmark_group("parser/har");
    g.sample_size(10);
    for (name, bytes) in [("pretty", &doc), ("minified", &minified)] {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(format!("frame/{name}:{}MB", bytes.len() >> 20), |b| {
            b.iter(|| black_box(frame_all(black_box(bytes))))
        });
        g.bench_function(format!("read/{name}:{}MB", bytes.len() >> 20), |b| {
            b.iter(|| {
                let r = read_har(black_box(&bytes[..]), &loc, &HarOptions::default());
                assert_eq!(r.evidence.len(), 1);
                black_box(r.summary.entries)
            })
        });
    }
    g.finish();

    // The same read, counted in entries per second.
    let entries = frame_all(&doc);
    let mut g = c.benchmark_group("parser/har-entries");
    g.sample_size(10);
    g.throughput(Throughput::Elements(entries));
    g.bench_function(format!("read/pretty:{entries}entries"), |b| {
        b.iter(|| {
            black_box(
                read_har(black_box(&doc[..]), &loc, &HarOptions::default())
                    .summary
                    .entries,
            )
        })
    });
    g.finish();
}

mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::har);
}
use group::benches;
criterion_main!(benches);
