//! `batchdiag-gen`: writes the corpus and large benchmark inputs.
//!
//! Usage:
//!   batchdiag-gen corpus DIR          write the sample bundles
//!   batchdiag-gen fleet N DIR         write N labelled one-file bundles (DIR/bundles/,
//!                                     DIR/labels.jsonl) of every kind, a few corrupt
//!   batchdiag-gen har SIZE_MB FILE    write a Chrome HAR of about SIZE_MB megabytes
//!   batchdiag-gen logs SIZE_MB DIR [PARTS [NODES]]
//!                                     write "upload batch logs" for NODES nodes (default 80;
//!                                     one in ten stuck) of about SIZE_MB megabytes in all as
//!                                     DIR/, DIR.tar.gz and DIR.zip; each node's log rotated into
//!                                     PARTS files (default 1: none), agent-debug.log, .1, then
//!                                     .2.gz, .3.gz... compressed
//!   batchdiag-gen inflate FILE        inflate a gzip stream (all members) and print its size:
//!                                     the floor of reading a .tar.gz, with batchdiag's inflater

use std::io::BufWriter;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["corpus", dir] => batchdiag_benches::corpus::write_corpus(Path::new(dir)),
        ["fleet", n, dir] => match n.parse::<usize>() {
            Ok(n) => batchdiag_benches::fleet::write_fleet(n, Path::new(dir)),
            Err(_) => Err(std::io::Error::other(format!(
                "{n:?} is not a number of bundles"
            ))),
        },
        ["har", size_mb, file] => match size_mb.parse::<u64>() {
            Ok(mb) => std::fs::File::create(file).and_then(|f| {
                let mut w = BufWriter::with_capacity(1 << 20, f);
                batchdiag_benches::large::write_large_har(&mut w, mb << 20, 42).map(|_| ())
            }),
            Err(_) => Err(std::io::Error::other(format!(
                "{size_mb:?} is not a size in MB"
            ))),
        },
        ["logs", size_mb, dir, rest @ ..] if rest.len() <= 2 => {
            match (
                size_mb.parse::<usize>(),
                rest.first().map_or(Ok(1), |p| p.parse()),
                rest.get(1).map_or(Ok(80), |n| n.parse::<usize>()),
            ) {
                (Ok(mb), Ok(parts), Ok(nodes)) if nodes > 0 => {
                    write_logs(Path::new(dir), mb << 20, parts, nodes)
                }
                _ => Err(std::io::Error::other(format!(
                    "{size_mb:?} is not a size in MB, or {rest:?} not a number of parts and of nodes (at least 1)"
                ))),
            }
        }
        ["inflate", file] => std::fs::File::open(file)
            .and_then(batchdiag_benches::inflate::inflate_count)
            .map(|n| println!("{n}")),
        _ => {
            eprintln!("usage: batchdiag-gen corpus DIR | batchdiag-gen fleet N DIR | batchdiag-gen har SIZE_MB FILE | batchdiag-gen logs SIZE_MB DIR [PARTS [NODES]] | batchdiag-gen inflate FILE");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("batchdiag-gen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_logs(dir: &Path, total: usize, parts: usize, count: usize) -> std::io::Result<()> {
    use batchdiag_benches::log_gen::{bundle_files, fleet, write_dir, write_tar_gz, write_zip};
    // One node in ten stuck, as in the 80-node default (8 stuck).
    let nodes = fleet(count, count.div_ceil(10), total / count, 1_714_557_600);
    let files = bundle_files(&nodes, parts, 42);
    write_dir(dir, &files)?;
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("logs");
    let tgz = std::fs::File::create(dir.with_extension("tar.gz"))?;
    write_tar_gz(
        BufWriter::with_capacity(1 << 20, tgz),
        &files,
        &format!("{name}/"),
    )?;
    let zip = std::fs::File::create(dir.with_extension("zip"))?;
    write_zip(
        BufWriter::with_capacity(1 << 20, zip),
        &files,
        &format!("{name}/"),
    )?;
    Ok(())
}
