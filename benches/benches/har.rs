//! HAR throughput: framing alone, the whole read (framing, entry grammar,
//! `/batch` envelope extraction), and the per-entry work with and without
//! the prefilter, on a generated Chrome capture.
//!
//! `cargo bench -p batchdiag-benches --bench har`

use std::hint::black_box;

use batchdiag_benches::large::write_large_har;
use batchdiag_parser::har::extract::extract_entry;
use batchdiag_parser::har::framing::{Event, Framer};
use batchdiag_parser::har::{prefilter, read_har, shape, HarOptions};
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

/// The byte range of every entry.
fn entry_spans(doc: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut f = Framer::new();
    let mut spans = Vec::new();
    loop {
        match f.next(doc, 0, true) {
            Ok(Event::Entry { start, end, .. }) => spans.push(start as usize..end as usize),
            Ok(Event::End) | Err(_) => return spans,
            Ok(_) => {}
        }
    }
}

/// Per-entry work on one thread: serde and the extractors for every entry
/// (`parse-all`), or only for those the prefilter and shape check keep
/// (`prefiltered`, what the reader does).
fn entries(c: &mut Criterion, doc: &[u8]) {
    let spans = entry_spans(doc);
    let loc = || Location::file("bench.har");
    let mut g = c.benchmark_group("parser/har-entry");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(doc.len() as u64));
    g.bench_function("parse-all", |b| {
        b.iter(|| {
            spans
                .iter()
                .filter_map(|r| extract_entry(&doc[r.clone()], &loc).ok())
                .map(|o| o.evidence.len())
                .sum::<usize>()
        })
    });
    g.bench_function("prefiltered", |b| {
        b.iter(|| {
            spans
                .iter()
                .map(|r| &doc[r.clone()])
                .filter(|e| {
                    shape::check(e).is_none_or(|s| prefilter::raw_url_may_matter(&e[s.url]))
                })
                .filter_map(|e| extract_entry(e, &loc).ok())
                .map(|o| o.evidence.len())
                .sum::<usize>()
        })
    });
    g.bench_function("shape-check", |b| {
        b.iter(|| {
            spans
                .iter()
                .filter(|r| shape::is_entry(&doc[(*r).clone()]))
                .count()
        })
    });
    g.finish();
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
    entries(c, &doc);

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
