//! `batchdiag`: the command-line front end. Parsing, analysis and redaction
//! live in the libraries, writing in `batchdiag-render`; this binary wires
//! them together and turns the outcome into an exit code.

mod args;
mod each;
mod progress;
mod redact_cmd;
mod serve_cmd;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use batchdiag_analyzer::rules::catalog;
use batchdiag_analyzer::template::fill;
use batchdiag_redact::{redact, redact_message};
use batchdiag_render::{Redacted, SinkOptions};
use clap::Parser as _;

use args::{AnalyzeArgs, Cli, ColorChoice, Command, Format, ProgressChoice};

/// `--version`: the release, the commit it was built from and the build's features.
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BATCHDIAG_COMMIT"),
    ", features: ",
    env!("BATCHDIAG_FEATURES"),
    ", ",
    env!("BATCHDIAG_PROFILE"),
    " build)"
);

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
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "batchdiag",
                &mut script,
            );
            // Written in one go, so a closed pipe is an error here, not a
            // panic inside the generator.
            write_stdout(&script)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut page)?;
            write_stdout(&page)
        }
    }
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<u8> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(EXIT_CLEAN)
}

/// One line on stderr per input not fully read (ripgrep's `PATH: what`),
/// so a redirected report still shows its problems at the terminal.
fn problems(r: &Redacted) {
    let report = r.report();
    for i in &report.inputs {
        if let Some(e) = &i.error {
            say(&format!("{}: {e}", i.path));
        }
    }
    if !report.inputs.iter().any(batchdiag_analyzer::is_analysable) {
        let what = report.bundle.as_deref().unwrap_or("the inputs");
        say(&format!(
            "Nothing could be analysed in {what}: no HAR capture, node-agent log, resource JSON or probe"
        ));
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
    let stdout = io::stdout();
    let stdout_tty = io::IsTerminal::is_terminal(&stdout);
    // Progress only where a person watches: a terminal stderr, not CI, not
    // a JSON run (whose stderr is a program's too), not -q.
    let progress = (a.progress == ProgressChoice::Auto
        && !a.quiet
        && a.format != args::ReportFormat::Json
        && io::IsTerminal::is_terminal(&io::stderr())
        && std::env::var_os("CI").is_none())
    .then(progress::Progress::start);
    let mut reader = batchdiag_parser::Reader::new(opts);
    if let Some(p) = &progress {
        reader = reader.with_observer(p.clone());
    }
    let one = |paths: &[String], bundle: Option<&String>| -> anyhow::Result<Redacted> {
        let read = reader.read_paths(paths);
        let mut report = batchdiag_analyzer::analyze(read.inputs, read.evidence, &settings);
        report.bundle = bundle.cloned();
        Ok(redact(&report)?)
    };
    // Only here is it known whether the output is a terminal.
    let color = match a.color {
        ColorChoice::Auto => anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never,
        ColorChoice::Always => true,
        ColorChoice::Never => false,
    };
    let width = match a.width {
        Some(w) => Some(usize::from(w)),
        None if stdout_tty => Some(terminal_width()),
        None => None,
    };
    let out: Box<dyn Write> = if a.quiet {
        Box::new(io::sink())
    } else {
        Box::new(io::BufWriter::new(stdout.lock()))
    };
    let mut sink = batchdiag_render::sink(
        a.format.into(),
        out,
        SinkOptions {
            color,
            each: a.each,
            verbose: a.verbose,
            width,
        },
    );
    const WRITING: &str = "cannot write the report to standard output";
    sink.begin().context(WRITING)?;
    let write = |sink: &mut Box<dyn batchdiag_render::Sink>, r: &Redacted| {
        let mut go = || {
            problems(r);
            sink.report(r)
        };
        match &progress {
            Some(p) => p.suspend(go),
            None => go(),
        }
        .context(WRITING)
    };
    if !a.each {
        let redacted = pool.install(|| one(&a.paths, None))?;
        if let Some(p) = &progress {
            p.clear();
        }
        write(&mut sink, &redacted)?;
        sink.finish().context(WRITING)?;
        return Ok(sink.tally().verdict().exit_code());
    }
    // One bundle per path, each read whole on one thread, on `--jobs`
    // threads, written in path order (`each::ordered` says why a small
    // bundle is not split across threads). A thread that finishes takes the
    // next bundle at once, and only the bundles ahead of the oldest
    // unwritten one are in flight, so memory stays bounded however many
    // paths are given. 32 per thread: a bundle is now read on one thread, so
    // while one reads a bomb (~43 ms of CPU in the 2,000-bundle fleet, 15
    // small bundles' worth) the others must find enough bundles ahead to
    // stay busy. Peak RSS over that fleet: 41-43 MB with 32, 33-34 MB with
    // 8 (the driver before this one: 40-50 MB with 8, bundles nested on a
    // waiting thread's stack).
    let ahead = pool.current_num_threads() * 32;
    let one = &one;
    each::ordered(
        pool.current_num_threads(),
        &a.paths,
        ahead,
        |p: &String| {
            // A large bundle still gets every thread of the pool: with it
            // alone in the queue, one thread would be all there is.
            if each::is_large(p) {
                pool.install(|| one(std::slice::from_ref(p), Some(p)))
            } else {
                one(std::slice::from_ref(p), Some(p))
            }
        },
        |redacted| write(&mut sink, &redacted?),
    )?;
    if let Some(p) = &progress {
        p.clear();
    }
    sink.finish().context(WRITING)?;
    // The worst bundle decides: unreadable input outranks diagnoses.
    Ok(sink.tally().verdict().exit_code())
}

/// The terminal's width in columns: asked of the terminal, else `COLUMNS`, else 80.
fn terminal_width() -> usize {
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .filter(|&w| w >= 20)
        .unwrap_or(80)
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
                    // Aligned on the longest slug; the cause wraps under itself.
                    let slug_w = catalog::RULES
                        .iter()
                        .map(|r| r.slug.len())
                        .max()
                        .unwrap_or(0);
                    let lead = format!("{}  {:<slug_w$}  ", r.code, r.slug);
                    let cause = match scenario {
                        Some(s) => format!("{}  [{s}]", r.title),
                        None => r.title.to_string(),
                    };
                    let hang = " ".repeat(lead.len());
                    let opts = textwrap::Options::new(prose_width().max(lead.len() + 20))
                        .initial_indent(&lead)
                        .subsequent_indent(&hang);
                    for line in textwrap::wrap(&cause, opts) {
                        writeln!(out, "{line}")?;
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(EXIT_CLEAN)
}

/// Columns for prose that is not a report (`explain`, `rules`): the
/// terminal's, else 80, so a pipe or a file reads well too.
fn prose_width() -> usize {
    if io::IsTerminal::is_terminal(&io::stdout()) {
        terminal_width()
    } else {
        80
    }
}

/// A behaviour table with its columns aligned and the row of `mark` marked `>`.
fn table(rows: &[&str], mark: usize) -> Vec<String> {
    let cells: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.split('|').map(str::trim).collect())
        .collect();
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            cells
                .iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    cells
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let row: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(c, s)| format!("{s:<w$}", w = widths[c]))
                .collect();
            let m = if i > 0 && i == mark { "> " } else { "  " };
            format!("{m}{}", row.join(" | ")).trim_end().to_string()
        })
        .collect()
}

/// The support article's behaviour tables (domain brief), header first.
const SCENARIO_PACKAGES: &[&str] = &[
    "#  in node identity ref | permission | pool created with | node | package",
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
    let heading = format!("{} {}: {}", r.code, r.slug, r.title);
    writeln!(out, "{}\n", textwrap::fill(&heading, prose_width()))?;
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
        for line in table(rows, usize::from(s.number)) {
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    let width = prose_width();
    let para = |out: &mut dyn Write, first: &str, rest: &str, text: &str| -> io::Result<()> {
        let opts = textwrap::Options::new(width)
            .initial_indent(first)
            .subsequent_indent(rest);
        for line in textwrap::wrap(text, opts) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    };
    for p in r.explanation.split("\n\n") {
        para(&mut out, "", "", p)?;
        writeln!(out)?;
    }
    // Without evidence every placeholder shows as <name>, which is what a reader fills in.
    let none = Default::default();
    para(
        &mut out,
        "Fix: ",
        "     ",
        &fill(r.remediation.summary, &none),
    )?;
    for (n, s) in r.remediation.steps.iter().enumerate() {
        let first = format!("  {}. ", n + 1);
        para(&mut out, &first, &" ".repeat(first.len()), &fill(s, &none))?;
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
