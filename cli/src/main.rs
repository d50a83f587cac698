//! `batchdiag`: the command-line front end. Parsing, analysis and redaction
//! live in the libraries, writing in `batchdiag-render`; this binary wires
//! them together and turns the outcome into an exit code.

mod args;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use batchdiag_analyzer::redact::{redact, redact_message};
use batchdiag_analyzer::rules::catalog;
use batchdiag_analyzer::template::fill;
use batchdiag_render::{Redacted, SinkOptions};
use clap::Parser as _;
use rayon::prelude::*;

use args::{AnalyzeArgs, Cli, ColorChoice, Command, Format, RedactArgs};

/// Exit code: analysis ran, no diagnosis.
const EXIT_CLEAN: u8 = 0;
/// Exit code: bad command line (clap uses it too).
const EXIT_USAGE: u8 = 2;
/// Exit code of `redact --check`: the input still holds secrets.
const EXIT_SECRETS_FOUND: u8 = 1;
/// Exit code: some input could not be fully read (as `Verdict::NotFullyRead`).
const EXIT_INPUT_ERROR: u8 = 3;

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
        Command::Redact(r) => redact_cmd(r),
        Command::Rules { format } => rules(format),
        Command::Explain { code } => explain(&code),
    }
}

fn analyze(a: AnalyzeArgs) -> anyhow::Result<u8> {
    if a.paths.iter().filter(|p| p.as_str() == "-").count() > 1 {
        say("error: '-' (standard input) can be named only once");
        return Ok(EXIT_USAGE);
    }
    // All work runs inside the pool, so `--jobs N` means N threads in all.
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = a.jobs {
        pool = pool.num_threads(n.max(1));
    }
    let pool = pool.build().context("cannot start the worker threads")?;
    let opts = batchdiag_parser::ReadOptions {
        limits: batchdiag_parser::limits::Limits {
            max_member_bytes: a.max_member_size as u64,
            max_total_bytes: a.max_total_size as u64,
            max_ratio: a.max_ratio.max(1),
            max_depth: a.max_depth,
            max_in_memory_bytes: a.max_in_memory as u64,
        },
        har: batchdiag_parser::har::HarOptions {
            max_entry_bytes: a.max_entry_size,
            ..Default::default()
        },
        log: Default::default(),
    };
    let settings = batchdiag_analyzer::Settings {
        join_threshold_secs: a.join_threshold,
    };
    let one = |paths: &[String], bundle: Option<&String>| -> anyhow::Result<Redacted> {
        let read = batchdiag_parser::read_sources(paths, &opts);
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

fn redact_cmd(a: RedactArgs) -> anyhow::Result<u8> {
    use batchdiag_parser::sanitize::{sanitize_har, sanitize_tar, sanitize_text, SanitizeError};
    use std::io::{BufRead, BufReader, Read};

    let fail = |msg: String| -> anyhow::Result<u8> {
        say(&format!("error: {msg}"));
        Ok(EXIT_INPUT_ERROR)
    };
    if let (Some(out), false) = (&a.output, a.input == "-") {
        if std::fs::canonicalize(out).ok() == std::fs::canonicalize(&a.input).ok() && out.exists() {
            anyhow::bail!(
                "the output {} is the input; write the copy elsewhere",
                out.display()
            );
        }
    }
    let raw: Box<dyn Read> = if a.input == "-" {
        Box::new(io::stdin())
    } else {
        match std::fs::File::open(&a.input) {
            Ok(f) => Box::new(f),
            Err(e) => return fail(format!("{}: cannot read: {e}", a.input)),
        }
    };
    let mut reader = BufReader::with_capacity(256 << 10, raw);
    let head = match reader.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => return fail(format!("{}: cannot read: {e}", a.input)),
    };
    if head.starts_with(b"PK") {
        return redact_zip(&a);
    }
    let gz = head.starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn BufRead> = if gz {
        Box::new(BufReader::with_capacity(
            256 << 10,
            flate2::read::MultiGzDecoder::new(reader),
        ))
    } else {
        Box::new(reader)
    };
    let mut head = match reader.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => return fail(format!("{}: cannot decompress: {e}", a.input)),
    };
    if let Some(endian) = batchdiag_parser::utf16::bom(&head) {
        // UTF-16 (as Windows PowerShell saves files) is read, and written, as UTF-8.
        reader.consume(2);
        reader = Box::new(BufReader::with_capacity(
            256 << 10,
            batchdiag_parser::utf16::Utf16ToUtf8::new(reader, endian),
        ));
        head = match reader.fill_buf() {
            Ok(h) => h.to_vec(),
            Err(e) => return fail(format!("{}: cannot read: {e}", a.input)),
        };
    }
    let is_tar = head.get(257..262) == Some(b"ustar");
    let name = a.input.to_ascii_lowercase();
    let is_har = batchdiag_parser::detect::looks_like_har(&head)
        || name.ends_with(".har")
        || name.ends_with(".har.gz");
    let mut sink = io::sink();
    let mut file;
    let stdout = io::stdout();
    let mut lock;
    let out: &mut dyn Write = if a.check {
        &mut sink
    } else if let Some(path) = &a.output {
        file = io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        );
        &mut file
    } else {
        lock = io::BufWriter::new(stdout.lock());
        &mut lock
    };
    let result = if is_tar {
        // A tar stays a tar, and a tar.gz stays compressed.
        if gz {
            let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::default());
            let r = sanitize_tar(&mut reader, &mut enc);
            r.and_then(|s| enc.try_finish().map(|_| s).map_err(SanitizeError::from))
        } else {
            sanitize_tar(&mut reader, out)
        }
    } else if is_har {
        sanitize_har(&mut reader, out)
    } else {
        sanitize_text(&mut reader, out)
    };
    let stats = match result {
        Ok(s) => s,
        Err(SanitizeError::Syntax { offset, message }) => {
            return fail(format!(
                "{} (byte {offset}): {message}; the copy stops there",
                a.input
            ))
        }
        Err(SanitizeError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            return Ok(EXIT_CLEAN)
        }
        Err(SanitizeError::Io(e)) => return fail(format!("{}: {e}", a.input)),
    };
    let what = if is_tar {
        archive_summary(&stats)
    } else if is_har {
        format!(
            "{} entries; {} credential headers, {} cookies, {} strings with secrets; {} entries over 64 MiB left out",
            stats.entries, stats.headers, stats.cookies, stats.strings, stats.entries_dropped
        )
    } else {
        format!("{} lines with secrets", stats.lines)
    };
    report_redaction(&a, &stats, &what)
}

/// Prints what `redact` removed (or, with `--check`, found) and picks the exit code.
fn report_redaction(
    a: &RedactArgs,
    stats: &batchdiag_parser::sanitize::Stats,
    what: &str,
) -> anyhow::Result<u8> {
    if a.check {
        let verdict = if stats.found_any() {
            format!("holds secrets: {what}")
        } else {
            "no secrets found".into()
        };
        say(&format!("{}: {verdict}", a.input));
        return Ok(if stats.found_any() {
            EXIT_SECRETS_FOUND
        } else {
            EXIT_CLEAN
        });
    }
    say(&format!("redacted {}: {what}", a.input));
    Ok(EXIT_CLEAN)
}

/// One line on stderr, through the secret filter like every other output
/// (file names and paths can hold SAS signatures too).
fn say(line: &str) {
    let _ = writeln!(io::stderr(), "batchdiag: {}", redact_message(line));
}

fn archive_summary(s: &batchdiag_parser::sanitize::Stats) -> String {
    format!(
        "{} members sanitized ({} HAR entries; {} credential headers, {} cookies, {} strings, {} log lines with secrets); {} binary members copied unchanged (review them); {} links or unreadable members left out",
        s.members, s.entries, s.headers, s.cookies, s.strings, s.lines, s.members_unchanged, s.members_dropped
    )
}

/// `redact` for a zip: random access to the input, a seekable output.
fn redact_zip(a: &RedactArgs) -> anyhow::Result<u8> {
    use batchdiag_parser::sanitize::{sanitize_zip, Discard};
    if a.input == "-" {
        anyhow::bail!("a zip is read with random access: name the file instead of stdin");
    }
    let input =
        std::fs::File::open(&a.input).with_context(|| format!("cannot read {}", a.input))?;
    let result = if a.check {
        sanitize_zip(io::BufReader::new(input), Discard::default())
    } else {
        let Some(path) = &a.output else {
            anyhow::bail!("writing a zip needs a seekable file: add -o OUT.zip");
        };
        let out = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        sanitize_zip(io::BufReader::new(input), io::BufWriter::new(out))
    };
    let stats = match result {
        Ok(s) => s,
        Err(e) => {
            say(&format!("error: {}: {e}", a.input));
            return Ok(EXIT_INPUT_ERROR);
        }
    };
    let what = archive_summary(&stats);
    report_redaction(a, &stats, &what)
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
