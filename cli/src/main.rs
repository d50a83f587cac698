//! `batchdiag`: the command-line front end. Parsing, analysis and redaction
//! live in the libraries, writing in `batchdiag-render`; this binary wires
//! them together and turns the outcome into an exit code.

mod args;
mod redact_cmd;
mod serve_cmd;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use batchdiag_analyzer::redact::{redact, redact_message};
use batchdiag_analyzer::rules::catalog;
use batchdiag_analyzer::template::fill;
use batchdiag_render::{Redacted, SinkOptions};
use clap::Parser as _;
use rayon::prelude::*;

use args::{AnalyzeArgs, Cli, ColorChoice, Command, Format};

/// Exit code: analysis ran, no diagnosis.
pub(crate) const EXIT_CLEAN: u8 = 0;
/// Exit code: bad command line (clap uses it too).
const EXIT_USAGE: u8 = 2;
/// Exit code: some input could not be fully read (as `Verdict::NotFullyRead`).
pub(crate) const EXIT_INPUT_ERROR: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::from(EXIT_CLEAN);
            }
            say(&format!("error: {e:#}"));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Analyze(a) => analyze(a),
        Command::Redact(r) => redact_cmd::run(r),
        Command::Rules { format } => rules(format),
        Command::Serve(s) => serve_cmd::run(s),
        Command::Explain { code } => explain(&code),
    }
}

fn analyze(a: AnalyzeArgs) -> anyhow::Result<u8> {
    if a.paths.iter().filter(|p| p.as_str() == "-").count() > 1 {
        say("error: '-' (standard input) can be named only once");
        return Ok(EXIT_USAGE);
    }
    // All work runs inside the pool, so `--jobs N` means N threads in all.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs(a.jobs))
        .build()
        .context("cannot start the worker threads")?;
    let opts = batchdiag_parser::ReadOptions {
        limits: batchdiag_parser::Limits {
            max_member_bytes: a.max_member_size as u64,
            max_total_bytes: a.max_total_size as u64,
            max_ratio: a.max_ratio.max(1),
            max_depth: a.max_depth,
            max_in_memory_bytes: a.max_in_memory as u64,
        },
        har: batchdiag_parser::HarOptions {
            max_entry_bytes: a.max_entry_size,
            ..Default::default()
        },
        log: Default::default(),
    };
    let settings = batchdiag_analyzer::Settings {
        join_threshold_secs: a.join_threshold,
    };
    let reader = batchdiag_parser::Reader::new(opts);
    let one = |paths: &[String], bundle: Option<&String>| -> anyhow::Result<Redacted> {
        let read = reader.read_paths(paths);
        let mut report = batchdiag_analyzer::analyze(read.inputs, read.evidence, &settings);
        report.bundle = bundle.cloned();
        Ok(redact(&report)?)
    };
    let stdout = io::stdout();
    // Only here is it known whether the output is a terminal.
    let color = match a.color {
        ColorChoice::Auto => anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never,
        ColorChoice::Always => true,
        ColorChoice::Never => false,
    };
    let mut sink = batchdiag_render::sink(
        a.format.into(),
        Box::new(io::BufWriter::new(stdout.lock())),
        SinkOptions {
            color,
            each: a.each,
        },
    );
    sink.begin()?;
    if !a.each {
        let redacted = pool.install(|| one(&a.paths, None))?;
        sink.report(&redacted)?;
        sink.finish()?;
        return Ok(sink.tally().verdict().exit_code());
    }
    // One bundle per path. A window of bundles is analysed in parallel and
    // written in path order before the next starts: output keeps pace with
    // the work and memory stays bounded however many paths are given.
    let window = pool.current_num_threads() * 4;
    for paths in a.paths.chunks(window) {
        let reports: Vec<anyhow::Result<Redacted>> = pool.install(|| {
            paths
                .par_iter()
                .map(|p| one(std::slice::from_ref(p), Some(p)))
                .collect()
        });
        for redacted in reports {
            sink.report(&redacted?)?;
        }
    }
    sink.finish()?;
    // The worst bundle decides: unreadable input outranks diagnoses.
    Ok(sink.tally().verdict().exit_code())
}

/// One line on stderr, through the secret filter like every other output
/// (file names and paths can hold SAS signatures too).
pub(crate) fn say(line: &str) {
    let _ = writeln!(io::stderr(), "batchdiag: {}", redact_message(line));
}

/// More threads than this only cost memory and start-up time: reading is
/// bound by the disk and the inflater long before (documented in `--help`).
pub(crate) const MAX_JOBS: usize = 64;

/// The thread count for `--jobs`: absent or 0 means one per core; anything
/// above [`MAX_JOBS`] is capped, with a note.
pub(crate) fn jobs(asked: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match asked {
        None | Some(0) => cores.min(MAX_JOBS),
        Some(n) if n > MAX_JOBS => {
            say(&format!(
                "note: --jobs {n} is more than the maximum of {MAX_JOBS}; using {MAX_JOBS}"
            ));
            MAX_JOBS
        }
        Some(n) => n,
    }
}

fn rules(format: Format) -> anyhow::Result<u8> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = catalog::RULES
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code, "slug": r.slug, "title": r.title,
                        "scenario": r.scenario,
                        "predicted_from_configuration": r.predicted.map(|c| c.as_str()),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        Format::Text | Format::Markdown => {
            let md = format == Format::Markdown;
            if md {
                writeln!(out, "| code | slug | cause | scenario |\n|---|---|---|---|")?;
            }
            for r in catalog::RULES {
                let scenario = r.scenario.map(|s| {
                    let table = match s.table {
                        batchdiag_analyzer::report::ScenarioTable::ApplicationPackages => {
                            "packages"
                        }
                        batchdiag_analyzer::report::ScenarioTable::ResourceFiles => {
                            "resource files"
                        }
                    };
                    format!("scenario {} of {table}", s.number)
                });
                if md {
                    writeln!(
                        out,
                        "| {} | `{}` | {} | {} |",
                        r.code,
                        r.slug,
                        r.title,
                        scenario.unwrap_or_default()
                    )?;
                } else {
                    writeln!(
                        out,
                        "{}  {:<36} {}{}",
                        r.code,
                        r.slug,
                        r.title,
                        scenario.map(|s| format!("  [{s}]")).unwrap_or_default()
                    )?;
                }
            }
        }
    }
    out.flush()?;
    Ok(EXIT_CLEAN)
}

/// The support article's behaviour tables (domain brief), header first.
const SCENARIO_PACKAGES: &[&str] = &[
    "#  in node identity ref | permission | pool created with    | node                 | package",
    "1  yes                  | sufficient | same identity        | started              | downloaded to root/applications",
    "2  yes                  | insufficient | same identity      | started but Idle     | not downloaded",
    "3  no                   | either     | same or different    | stuck in Starting    | not downloaded",
    "4  yes                  | either     | different identity   | Unusable             | not downloaded",
];
const SCENARIO_RESOURCE_FILES: &[&str] = &[
    "#  in node identity ref | permission | pool created with    | task result",
    "1  yes                  | sufficient | same                 | blob downloaded to root/wd/<file-path>",
    "2  yes                  | insufficient | same               | fails ResourceContainerAccessDenied",
    "3  no                   | either     | same or different    | fails ResourceContainerAccessDenied",
    "4  yes                  | either     | different            | fails ResourceContainerListMiscError (HTTP 400 underneath)",
];

fn explain(code: &str) -> anyhow::Result<u8> {
    let Some(r) = catalog::find(code) else {
        let known: Vec<&str> = catalog::RULES.iter().map(|r| r.code).collect();
        anyhow::bail!(
            "unknown diagnosis {code:?}; known codes: {}",
            known.join(", ")
        );
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(out, "{} {}: {}\n", r.code, r.slug, r.title)?;
    if let Some(s) = r.scenario {
        let (name, rows) = match s.table {
            batchdiag_analyzer::report::ScenarioTable::ApplicationPackages => {
                ("application packages at pool level", SCENARIO_PACKAGES)
            }
            batchdiag_analyzer::report::ScenarioTable::ResourceFiles => (
                "task resource files from autostorage",
                SCENARIO_RESOURCE_FILES,
            ),
        };
        writeln!(out, "Scenario {} of the {name} table:\n", s.number)?;
        for (i, row) in rows.iter().enumerate() {
            let mark = if i == 0 {
                "  "
            } else if i == usize::from(s.number) {
                "> "
            } else {
                "  "
            };
            writeln!(out, "{mark}{row}")?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}\n", r.explanation)?;
    // Without evidence every placeholder shows as <name>, which is what a reader fills in.
    let none = Default::default();
    writeln!(out, "Fix: {}", fill(r.remediation.summary, &none))?;
    for (n, s) in r.remediation.steps.iter().enumerate() {
        writeln!(out, "  {}. {}", n + 1, fill(s, &none))?;
    }
    for (d, s) in r.remediation.commands {
        writeln!(
            out,
            "\n  # {}\n  {}",
            fill(d, &none),
            fill(s, &none).replace('\n', "\n  ")
        )?;
    }
    out.flush()?;
    Ok(EXIT_CLEAN)
}
