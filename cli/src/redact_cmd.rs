//! `batchdiag redact`: copies of captures, logs or whole bundles without
//! credentials, or (`--check`) a gate that says whether they still hold any.
//! The copying is `batchdiag_redact::Copier`'s; this module only names the
//! inputs and outputs, prints the findings and picks the exit code.

use std::io::{self, IsTerminal as _, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use batchdiag_redact::{Copier, CopyError, CopyOptions, Findings, Input, Outcome};

use crate::args::RedactArgs;
use crate::{say, EXIT_CLEAN, EXIT_INPUT_ERROR};

/// Exit code of `redact --check`: a secret, or a part that could not be read.
const EXIT_FOUND: u8 = 1;
/// Exit code: bad command line, or the copy could not be written.
const EXIT_USAGE: u8 = 2;

/// Findings printed one per line before the rest are only counted.
const SHOWN: usize = 50;

/// One file to copy: where it is read, how findings name it, and where its
/// copy goes (relative to the output directory, in directory mode).
struct Job {
    source: Source,
    name: String,
    relative: PathBuf,
}

enum Source {
    Stdin,
    File(PathBuf),
}

/// Where copies go.
enum Dest {
    /// `--check`: nowhere.
    Nowhere,
    /// Standard output (one input).
    Stdout,
    /// One file.
    File(PathBuf),
    /// A directory, each copy under its relative path.
    Dir(PathBuf),
}

/// Runs `redact`.
pub(crate) fn run(a: RedactArgs) -> anyhow::Result<u8> {
    if a.inputs.iter().filter(|p| p.as_str() == "-").count() > 1 {
        say("error: '-' (standard input) can be named only once");
        return Ok(EXIT_USAGE);
    }
    let mut jobs = Vec::new();
    let mut missing = 0;
    let mut any_dir = false;
    for p in &a.inputs {
        if p == "-" {
            jobs.push(Job {
                source: Source::Stdin,
                name: "-".into(),
                relative: "stdin".into(),
            });
            continue;
        }
        let path = Path::new(p);
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                any_dir = true;
                let base = path.parent().unwrap_or(Path::new(""));
                walk(path, base, &mut jobs);
            }
            Ok(_) => jobs.push(Job {
                source: Source::File(path.to_path_buf()),
                name: p.clone(),
                relative: path
                    .file_name()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| "input".into()),
            }),
            Err(e) => {
                say(&format!("{p}: cannot read: {e}"));
                missing += 1;
            }
        }
    }
    let several = a.inputs.len() > 1 || any_dir;
    let dest = match (&a.output, a.check) {
        (_, true) => Dest::Nowhere,
        (Some(o), false) if several || o.is_dir() => Dest::Dir(o.clone()),
        (Some(o), false) => Dest::File(o.clone()),
        (None, false) if several => {
            say("error: several inputs need -o DIR for their copies");
            return Ok(EXIT_USAGE);
        }
        (None, false) => Dest::Stdout,
    };
    // The archive walk runs in this pool and a HAR's entries are cleaned on
    // as many threads of its own (the pool's thread waits meanwhile). HARs
    // inside a zip are cleaned on several walk threads at once, each with
    // its N, so there `--jobs N` bounds the walk, not every thread.
    let threads = crate::jobs(a.jobs);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start the worker threads")?;
    let copier = Copier::new(CopyOptions {
        keep_unread: a.keep_unread,
        threads,
        ..CopyOptions::default()
    });
    let mut total = Findings::default();
    let mut failed_inputs = missing;
    for job in &jobs {
        match pool.install(|| copy_one(&copier, job, &dest)) {
            Ok(Some(outcome)) => {
                report(job, &outcome, a.check);
                total.extend(outcome.findings);
            }
            Ok(None) => {}
            Err(Failure::Input(msg)) => {
                say(&msg);
                failed_inputs += 1;
            }
            Err(Failure::Output(e)) if e.is_broken_pipe() => return Ok(EXIT_CLEAN),
            Err(Failure::Output(e)) => {
                say(&format!("error: {e}"));
                return Ok(EXIT_USAGE);
            }
            Err(Failure::Usage(msg)) => {
                say(&format!("error: {msg}"));
                return Ok(EXIT_USAGE);
            }
        }
    }
    let files = format!(
        "{} file{}",
        jobs.len(),
        if jobs.len() == 1 { "" } else { "s" }
    );
    if a.check {
        if total.any() {
            say(&format!(
                "{files} checked: {} secret{} and {} part{} that could not be read: not safe to share",
                total.secrets,
                plural(total.secrets),
                total.unread,
                plural(total.unread)
            ));
            return Ok(EXIT_FOUND);
        }
        if failed_inputs > 0 {
            return Ok(EXIT_INPUT_ERROR);
        }
        say(&format!(
            "{files} checked: no secrets found, everything was read"
        ));
        return Ok(EXIT_CLEAN);
    }
    let unread = match (total.unread, a.keep_unread) {
        (0, _) => "everything was read".to_string(),
        (1, false) => "1 part could not be read and was left out".to_string(),
        (n, false) => format!("{n} parts could not be read and were left out"),
        (1, true) => "1 part could not be read and was copied unchanged".to_string(),
        (n, true) => format!("{n} parts could not be read and were copied unchanged"),
    };
    say(&format!(
        "{files} copied: {} secret{} removed; {unread}",
        total.secrets,
        plural(total.secrets),
    ));
    Ok(if failed_inputs > 0 || total.unread > 0 {
        EXIT_INPUT_ERROR
    } else {
        EXIT_CLEAN
    })
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

enum Failure {
    Input(String),
    Output(CopyError),
    Usage(String),
}

fn copy_one(copier: &Copier, job: &Job, dest: &Dest) -> Result<Option<Outcome>, Failure> {
    let input = match &job.source {
        Source::Stdin => Input::Reader(Box::new(io::stdin())),
        Source::File(p) => Input::Path(p),
    };
    let result = match dest {
        Dest::Nowhere => copier.copy(&job.name, input, &mut io::sink()),
        Dest::Stdout => {
            let stdout = io::stdout();
            if stdout.is_terminal() && is_binary_copy(job) {
                return Err(Failure::Usage(format!(
                    "the copy of {} is an archive: add -o FILE, or redirect the output",
                    job.name
                )));
            }
            let mut out = io::BufWriter::new(stdout);
            copier.copy(&job.name, input, &mut out).and_then(|o| {
                out.flush().map_err(CopyError::Output)?;
                Ok(o)
            })
        }
        Dest::File(path) => {
            let out = open_output(path, job).map_err(Failure::Usage)?;
            copy_to_file(copier, job, input, out, path)
        }
        Dest::Dir(dir) => {
            let path = dir.join(&job.relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))
                    .map_err(|e| Failure::Usage(format!("{e:#}")))?;
            }
            let out = open_output(&path, job).map_err(Failure::Usage)?;
            copy_to_file(copier, job, input, out, &path)
        }
    };
    match result {
        Ok(o) => Ok(Some(o)),
        Err(CopyError::Input { name, source }) => {
            Err(Failure::Input(format!("{name}: cannot read: {source}")))
        }
        Err(e) => Err(Failure::Output(e)),
    }
}

fn copy_to_file(
    copier: &Copier,
    job: &Job,
    input: Input<'_>,
    out: std::fs::File,
    path: &Path,
) -> Result<Outcome, CopyError> {
    let mut w = io::BufWriter::new(out);
    let o = copier.copy(&job.name, input, &mut w)?;
    w.flush().map_err(CopyError::Output)?;
    if !o.written {
        // Nothing of the input could be copied: no empty file is left behind.
        drop(w);
        let _ = std::fs::remove_file(path);
    }
    Ok(o)
}

/// Opens an output file, refusing to overwrite the input it copies.
fn open_output(path: &Path, job: &Job) -> Result<std::fs::File, String> {
    if let Source::File(input) = &job.source {
        let same = match (std::fs::canonicalize(input), std::fs::canonicalize(path)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            return Err(format!(
                "the output {} is the input; write the copy elsewhere",
                path.display()
            ));
        }
    }
    std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// Whether a copy would be binary (an archive), by the input's first bytes.
fn is_binary_copy(job: &Job) -> bool {
    let Source::File(p) = &job.source else {
        return false;
    };
    let mut head = [0u8; 4];
    let n = std::fs::File::open(p)
        .and_then(|mut f| io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    head[..n].starts_with(b"PK") || head[..n].starts_with(&[0x1f, 0x8b])
}

/// Prints an input's findings (place and kind, never a value), at most
/// [`SHOWN`] lines, then a count.
fn report(job: &Job, o: &Outcome, check: bool) {
    let f = &o.findings;
    // Unread parts matter most (they are what a copy lacks): all of them
    // are shown first, then secrets up to a few lines.
    let unread = f
        .listed
        .iter()
        .filter(|x| matches!(x.kind, batchdiag_redact::FindingKind::Unread { .. }));
    let secrets = f
        .listed
        .iter()
        .filter(|x| matches!(x.kind, batchdiag_redact::FindingKind::Secret { .. }));
    let mut shown = 0;
    for finding in unread.take(SHOWN) {
        say(&finding.to_string());
        shown += 1;
    }
    let secret_lines = if check { SHOWN } else { 10 };
    for finding in secrets.take(secret_lines.saturating_sub(shown.min(secret_lines))) {
        say(&finding.to_string());
        shown += 1;
    }
    let more = f.listed.len().saturating_sub(shown) as u64 + f.not_listed;
    if more > 0 {
        say(&format!("{}: and {more} more findings", job.name));
    }
}

/// Files under `dir` in name order; links are not followed.
fn walk(dir: &Path, base: &Path, out: &mut Vec<Job>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        say(&format!("{}: cannot read the directory", dir.display()));
        return;
    };
    let mut children: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    children.sort();
    for child in children {
        let Ok(meta) = std::fs::symlink_metadata(&child) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            say(&format!("{}: symbolic link not followed", child.display()));
        } else if meta.is_dir() {
            walk(&child, base, out);
        } else {
            out.push(Job {
                name: child.to_string_lossy().into_owned(),
                relative: child.strip_prefix(base).unwrap_or(&child).to_path_buf(),
                source: Source::File(child),
            });
        }
    }
}
