//! Agent-log throughput in bytes and lines (scan only, streamed, in memory) and archive
//! reading (tar.gz inflated as one stream, zip members in parallel; the tar.gz's
//! stream inflated alone, its floor), and a log of blank lines.
//!
//! `cargo bench -p batchdiag-benches --bench logs`

use std::hint::black_box;

use batchdiag_benches::inflate::inflate_count;
use batchdiag_benches::log_gen::{bundle_files, fleet, write_tar_gz, write_zip};
use batchdiag_parser::agent::scan::scan_chunk;
use batchdiag_parser::agent::{read_agent_log, read_agent_slice, LogOptions};
use batchdiag_parser::Location;
use batchdiag_parser::{ReadOptions, Reader};
use criterion::{criterion_main, Criterion, Throughput};

fn logs(c: &mut Criterion) {
    let files = bundle_files(&fleet(8, 2, 4 << 20, 1_714_557_600), 1, 3);
    let one: Vec<u8> = files
        .iter()
        .filter(|(n, _)| n.ends_with("agent-debug.log"))
        .flat_map(|(_, b)| b.clone())
        .collect();
    let loc = Location::file("bench.log");
    let opts = LogOptions::default();
    let mut g = c.benchmark_group("parser/agent-log");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(one.len() as u64));
    let mb = one.len() >> 20;
    g.bench_function(format!("scan/{mb}MB"), |b| {
        b.iter(|| black_box(scan_chunk(black_box(&one), 0, 1 << 20).join_count))
    });
    g.bench_function(format!("stream/{mb}MB"), |b| {
        b.iter(|| black_box(read_agent_log(&one[..], &loc, &opts).summary.lines))
    });
    g.bench_function(format!("slice/{mb}MB"), |b| {
        b.iter(|| black_box(read_agent_slice(&one, &loc, &opts).summary.lines))
    });
    // One node's log that names neither node nor pool: every chunk of its
    // head is searched for the names as well.
    let unnamed: Vec<u8> = files
        .iter()
        .filter(|(n, _)| n.ends_with("agent-debug.log"))
        .map(|(_, b)| b)
        .find(|b| !b.windows(7).any(|w| w == b"TVMName"))
        .expect("the fleet has nodes without names")
        .clone();
    g.throughput(Throughput::Bytes(unnamed.len() as u64));
    g.bench_function(format!("slice-unnamed/{}MB", unnamed.len() >> 20), |b| {
        b.iter(|| black_box(read_agent_slice(&unnamed, &loc, &opts).summary.lines))
    });
    // The worst case of the marker search's one-byte probe: a capital S on
    // every line (it falls back to the substring search).
    let capitals: Vec<u8> = one
        .split_inclusive(|&b| b == b'\n')
        .flat_map(|l| [b"Service SSL ".as_slice(), l].concat())
        .collect();
    g.throughput(Throughput::Bytes(capitals.len() as u64));
    g.bench_function(format!("scan-capitals/{}MB", capitals.len() >> 20), |b| {
        b.iter(|| black_box(scan_chunk(black_box(&capitals), 0, 1 << 20).join_count))
    });
    g.finish();

    // The same scan counted in lines (agent logs average ~100 bytes a line).
    let lines = count_lines(&one);
    let mut g = c.benchmark_group("parser/agent-log-lines");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines));
    g.bench_function(format!("scan/{}k-lines", lines / 1000), |b| {
        b.iter(|| black_box(scan_chunk(black_box(&one), 0, 1 << 20).lines))
    });
    g.finish();

    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mut tgz = Vec::new();
    write_tar_gz(&mut tgz, &files, "").expect("in memory");
    let mut zip = std::io::Cursor::new(Vec::new());
    write_zip(&mut zip, &files, "").expect("in memory");
    let zip = zip.into_inner();
    let reader = Reader::new(ReadOptions::default());
    let mut g = c.benchmark_group("parser/archive");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(total as u64));
    for (name, bytes) in [("tar.gz", &tgz), ("zip", &zip)] {
        g.bench_function(format!("{name}/{}MB", total >> 20), |b| {
            b.iter(|| black_box(reader.read_bytes("bench", bytes).evidence.len()))
        });
    }
    // The floor of the tar.gz row: the same stream inflated alone, with the
    // same inflater and buffers (the target is the tar.gz within 1.1x of it).
    g.bench_function(format!("inflate-only/{}MB", total >> 20), |b| {
        b.iter(|| black_box(inflate_count(&tgz[..]).expect("in memory")))
    });
    g.finish();

    // Blank lines (a decompression bomb of newlines): the timestamp search
    // skips lines without a digit in blocks instead of trying each line.
    let blank = vec![b'\n'; 16 << 20];
    let mut g = c.benchmark_group("parser/agent-log-blank");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(blank.len() as u64));
    g.bench_function("scan/16MB-of-newlines", |b| {
        b.iter(|| black_box(scan_chunk(black_box(&blank), 0, 1 << 20).lines))
    });
    g.finish();
}

fn count_lines(data: &[u8]) -> u64 {
    data.iter().filter(|&&b| b == b'\n').count() as u64
}

mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::logs);
}
use group::benches;
criterion_main!(benches);
