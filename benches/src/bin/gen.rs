//! `batchdiag-gen`: writes the corpus and large benchmark inputs.
//!
//! Usage:
//!   batchdiag-gen corpus DIR          write the sample bundles
//!   batchdiag-gen har SIZE_MB FILE    write a Chrome HAR of about SIZE_MB megabytes

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
        ["har", size_mb, file] => match size_mb.parse::<u64>() {
            Ok(mb) => std::fs::File::create(file).and_then(|f| {
                let mut w = BufWriter::with_capacity(1 << 20, f);
                batchdiag_benches::large::write_large_har(&mut w, mb << 20, 42).map(|_| ())
            }),
            Err(_) => Err(std::io::Error::other(format!(
                "{size_mb:?} is not a size in MB"
            ))),
        },
        _ => {
            eprintln!("usage: batchdiag-gen corpus DIR | batchdiag-gen har SIZE_MB FILE");
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
