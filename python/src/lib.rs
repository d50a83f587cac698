//! `batchdiag._native`: the Python extension behind the `batchdiag` wheel.
//!
//! Every function reads with [`batchdiag_parser::Reader`], analyses with
//! [`batchdiag_analyzer::analyze`], redacts with [`batchdiag_redact::redact`]
//! and writes with the JSON [`batchdiag_render::sink`], exactly as
//! `batchdiag analyze -f json` does (cli/src/main.rs), so the JSON is the
//! CLI's byte for byte. The work runs with the GIL released, on a rayon pool
//! the caller sizes ([`set_threads`]). Bad input is a field of the report;
//! only misuse (a wrong type, a zero limit) raises.

// PyO3's macros expand to the FFI glue, which is unsafe by nature.
#![allow(unsafe_code)]

mod options;

use std::sync::{Arc, Mutex};

use batchdiag_redact::{Copier, CopyOptions, FindingKind, Input};
use batchdiag_render::{Format, Redacted, SinkOptions};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use options::Options;

/// The pool every call runs on; `None` until first used or sized.
static POOL: Mutex<Option<Arc<rayon::ThreadPool>>> = Mutex::new(None);

fn build_pool(threads: usize) -> PyResult<Arc<rayon::ThreadPool>> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("batchdiag-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the worker threads: {e}")))
}

fn pool() -> PyResult<Arc<rayon::ThreadPool>> {
    let mut slot = POOL.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = &*slot {
        return Ok(p.clone());
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let p = build_pool(cores.min(options::MAX_THREADS))?;
    *slot = Some(p.clone());
    Ok(p)
}

/// Sizes the thread pool every later call runs on (like `batchdiag analyze
/// --jobs N`); 0 means one thread per core. Returns the number of threads.
#[pyfunction]
fn set_threads(threads: usize) -> PyResult<usize> {
    let n = options::threads(threads)?;
    let p = build_pool(n)?;
    *POOL.lock().unwrap_or_else(|p| p.into_inner()) = Some(p);
    Ok(n)
}

/// The size of the pool calls run on now.
#[pyfunction]
fn threads() -> PyResult<usize> {
    Ok(pool()?.current_num_threads())
}

/// The report as the CLI writes it with `-f json`, and its exit code.
fn render(r: &Redacted, each: bool) -> PyResult<(String, u8)> {
    let mut buf = Vec::new();
    {
        let mut sink = batchdiag_render::sink(
            Format::Json,
            Box::new(&mut buf),
            SinkOptions {
                color: false,
                each,
                verbose: false,
                width: None,
            },
        );
        let io =
            |e: std::io::Error| PyRuntimeError::new_err(format!("cannot write the report: {e}"));
        sink.begin().map_err(io)?;
        sink.report(r).map_err(io)?;
        sink.finish().map_err(io)?;
    }
    let json = String::from_utf8(buf)
        .map_err(|e| PyRuntimeError::new_err(format!("the report is not UTF-8: {e}")))?;
    Ok((json, r.report().verdict().exit_code()))
}

fn finish(
    read: batchdiag_parser::Bundle,
    opts: &Options,
    bundle: Option<String>,
    each: bool,
) -> PyResult<(String, u8)> {
    let mut report = batchdiag_analyzer::analyze(read.inputs, read.evidence, &opts.settings());
    report.bundle = bundle;
    let redacted =
        batchdiag_redact::redact(&report).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    render(&redacted, each)
}

/// Analyses one bundle held in memory, named `name` in the report.
/// Returns `(json, exit_code)`: the JSON `batchdiag analyze -f json` prints
/// (with `each`, the one line `--each` prints, naming the bundle) and its exit code.
#[pyfunction]
#[pyo3(signature = (name, data, *, each=false, threads=None, **limits))]
fn analyze_bytes(
    py: Python<'_>,
    name: &str,
    data: &[u8],
    each: bool,
    threads: Option<usize>,
    limits: Option<&Bound<'_, PyDict>>,
) -> PyResult<(String, u8)> {
    let opts = Options::from_kwargs(limits)?;
    let pool = match threads {
        Some(t) => build_pool(options::threads(t)?)?,
        None => pool()?,
    };
    py.detach(|| {
        pool.install(|| {
            let read = batchdiag_parser::Reader::new(opts.read_options()).read_bytes(name, data);
            finish(read, &opts, each.then(|| name.to_string()), each)
        })
    })
}

/// What one bundle of [`analyze_many`] came to: `(json, exit_code, None)`,
/// or `(None, 3, message)` when its analysis failed (the message redacted).
type Outcome = (Option<String>, u8, Option<String>);

/// Analyses many bundles held in memory in one call, in parallel on the pool
/// with the GIL released: the Spark job hands a whole Arrow batch over at
/// once instead of crossing into Rust bundle by bundle. Each `names[i]`,
/// `datas[i]` gives the JSON of `analyze_bytes(names[i], datas[i], each=...)`.
/// A bundle whose analysis fails (even by a panic) is an outcome of its own,
/// so one bad bundle never takes the others with it.
#[pyfunction]
#[pyo3(signature = (names, datas, *, each=true, threads=None, **limits))]
fn analyze_many(
    py: Python<'_>,
    names: Vec<String>,
    datas: Vec<Bound<'_, PyBytes>>,
    each: bool,
    threads: Option<usize>,
    limits: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<Outcome>> {
    if names.len() != datas.len() {
        return Err(PyValueError::new_err(format!(
            "names and datas differ in length: {} names, {} datas",
            names.len(),
            datas.len()
        )));
    }
    let opts = Options::from_kwargs(limits)?;
    let pool = match threads {
        Some(t) => build_pool(options::threads(t)?)?,
        None => pool()?,
    };
    // bytes objects are immutable, and `datas` keeps them alive for the call.
    let slices: Vec<&[u8]> = datas.iter().map(|d| d.as_bytes()).collect();
    Ok(py.detach(|| {
        pool.install(|| {
            use rayon::prelude::*;
            let reader = batchdiag_parser::Reader::new(opts.read_options());
            names
                .par_iter()
                .zip(slices.par_iter())
                .map(|(name, data)| one_of_many(&reader, &opts, name, data, each))
                .collect()
        })
    }))
}

/// One bundle of [`analyze_many`], its failure caught as an outcome.
fn one_of_many(
    reader: &batchdiag_parser::Reader,
    opts: &Options,
    name: &str,
    data: &[u8],
    each: bool,
) -> Outcome {
    let run = || {
        finish(
            reader.read_bytes(name, data),
            opts,
            each.then(|| name.to_string()),
            each,
        )
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok((json, code))) => (Some(json), code, None),
        Ok(Err(e)) => (
            None,
            3,
            Some(batchdiag_redact::redact_message(&e.to_string())),
        ),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            (
                None,
                3,
                Some(batchdiag_redact::redact_message(&format!("panic: {what}"))),
            )
        }
    }
}

/// Analyses files and directories (read recursively) as one bundle, as
/// `batchdiag analyze -f json PATH...`; with `each`, every path as a bundle of
/// its own, as `--each` (JSON Lines, in path order). Returns `(json, exit_code)`,
/// the exit code of the worst bundle.
#[pyfunction]
#[pyo3(signature = (paths, *, each=false, threads=None, **limits))]
fn analyze_paths(
    py: Python<'_>,
    paths: Vec<String>,
    each: bool,
    threads: Option<usize>,
    limits: Option<&Bound<'_, PyDict>>,
) -> PyResult<(String, u8)> {
    if paths.is_empty() {
        return Err(PyValueError::new_err(
            "analyze_paths needs at least one path",
        ));
    }
    if paths.iter().any(|p| p == "-") {
        return Err(PyValueError::new_err(
            "'-' (standard input) cannot be read here; pass the bytes to analyze_bytes",
        ));
    }
    let opts = Options::from_kwargs(limits)?;
    let pool = match threads {
        Some(t) => build_pool(options::threads(t)?)?,
        None => pool()?,
    };
    py.detach(|| {
        pool.install(|| {
            let reader = batchdiag_parser::Reader::new(opts.read_options());
            if !each {
                return finish(reader.read_paths(&paths), &opts, None, false);
            }
            use rayon::prelude::*;
            let lines: Vec<PyResult<(String, u8)>> = paths
                .par_iter()
                .map(|p| {
                    finish(
                        reader.read_paths(std::slice::from_ref(p)),
                        &opts,
                        Some(p.clone()),
                        true,
                    )
                })
                .collect();
            let mut out = String::new();
            let mut worst = 0;
            for l in lines {
                let (json, code) = l?;
                out.push_str(&json);
                worst = worst.max(code);
            }
            Ok((out, worst))
        })
    })
}

/// Writes a copy of one bundle held in memory without credentials, as
/// `batchdiag redact` does. Returns `(copy, findings)`: the copy's bytes
/// (`None` when nothing could be read, so nothing was written) and a dict
/// with `format`, `secrets`, `unread` and `listed` (place and kind, never a value).
#[pyfunction]
#[pyo3(signature = (name, data, *, keep_unread=false))]
fn redact_bytes<'py>(
    py: Python<'py>,
    name: &str,
    data: &[u8],
    keep_unread: bool,
) -> PyResult<(Option<Bound<'py, PyBytes>>, Bound<'py, PyDict>)> {
    let copier = Copier::new(CopyOptions {
        keep_unread,
        ..Default::default()
    });
    let (out, outcome) = py.detach(|| {
        pool()?.install(|| {
            let mut out: Vec<u8> = Vec::new();
            let outcome = copier
                .copy(name, Input::Reader(Box::new(data)), &mut out)
                .map_err(|e| {
                    PyValueError::new_err(batchdiag_redact::redact_message(&e.to_string()))
                })?;
            Ok::<_, PyErr>((out, outcome))
        })
    })?;
    let findings = PyDict::new(py);
    findings.set_item("format", format!("{:?}", outcome.format).to_lowercase())?;
    findings.set_item("secrets", outcome.findings.secrets)?;
    findings.set_item("unread", outcome.findings.unread)?;
    let listed = PyList::empty(py);
    for f in &outcome.findings.listed {
        let d = PyDict::new(py);
        d.set_item("place", batchdiag_redact::redact_message(&f.place))?;
        match &f.kind {
            FindingKind::Secret { kind } => {
                d.set_item("kind", "secret")?;
                d.set_item("what", *kind)?;
            }
            FindingKind::Unread { why, kept } => {
                d.set_item("kind", "unread")?;
                d.set_item("what", batchdiag_redact::redact_message(why))?;
                d.set_item("kept", *kept)?;
            }
        }
        listed.append(d)?;
    }
    findings.set_item("listed", listed)?;
    let copy = outcome.written.then(|| PyBytes::new(py, &out));
    Ok((copy, findings))
}

/// The diagnosis catalog as JSON, as `batchdiag rules -f json` lists it.
#[pyfunction]
fn rules_json() -> PyResult<String> {
    let list: Vec<serde_json::Value> = batchdiag_analyzer::rules::catalog::RULES
        .iter()
        .map(|r| {
            serde_json::json!({
                "code": r.code, "slug": r.slug, "title": r.title,
                "scenario": r.scenario,
                "predicted_from_configuration": r.predicted.map(|c| c.as_str()),
            })
        })
        .collect();
    serde_json::to_string(&list).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// True when `text` holds anything the redaction vocabulary would remove
/// (a SAS signature, a bearer token, a key...).
#[pyfunction]
fn contains_secret(text: &str) -> bool {
    batchdiag_redact::contains_secret(text)
}

/// The exit code the CLI gives a report it printed (`-f json`, one report):
/// its verdict, which the JSON does not hold as a field.
#[pyfunction]
fn exit_code_of(report_json: &str) -> PyResult<u8> {
    let report: batchdiag_analyzer::Report = serde_json::from_str(report_json)
        .map_err(|e| PyValueError::new_err(format!("not a batchdiag JSON report: {e}")))?;
    Ok(report.verdict().exit_code())
}

/// A message (an exception's text) with every secret removed.
#[pyfunction]
fn redact_message(text: &str) -> String {
    batchdiag_redact::redact_message(text)
}

/// The module.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(analyze_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_paths, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_many, m)?)?;
    m.add_function(wrap_pyfunction!(redact_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(rules_json, m)?)?;
    m.add_function(wrap_pyfunction!(contains_secret, m)?)?;
    m.add_function(wrap_pyfunction!(exit_code_of, m)?)?;
    m.add_function(wrap_pyfunction!(redact_message, m)?)?;
    m.add_function(wrap_pyfunction!(set_threads, m)?)?;
    m.add_function(wrap_pyfunction!(threads, m)?)?;
    Ok(())
}
