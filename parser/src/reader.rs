//! The reader: the one entry point below "what the user named". Paths
//! (files, directories, `-` for stdin), any [`Read`] (an HTTP body) and
//! bytes in memory all go through one [`Reader`], which detects each input
//! by its content, reads inputs in parallel, and builds one [`Bundle`]
//! (assembling each node's join loop from its log files at the end).
//!
//! Directories are walked recursively in name order so that reports are
//! reproducible; inputs are read in parallel and their results merged in
//! that same order. A file named twice (itself and through its directory)
//! is read once.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::agent::assemble::assemble;
use crate::dispatch::{read_item, Disk, Found, Item, ReadOptions, Run};
use crate::error::InputErrorKind;
use crate::evidence::Evidence;
use crate::input::{virtual_path, InputKind, InputReport};
use crate::limits::{Budget, Cancel};
use crate::location::Location;

/// Everything read from all sources.
#[derive(Debug, Default)]
pub struct Bundle {
    /// One report per input, in walk order (archives before their members).
    pub inputs: Vec<InputReport>,
    /// All evidence: per-input evidence in input order, then one join loop per node.
    pub evidence: Vec<Evidence>,
}

/// Told how a read goes, for progress displays: called from the reading
/// threads, so it must be cheap and thread-safe. Every method has a default
/// that does nothing.
pub trait Observer: Send + Sync {
    /// The sources of this read are known: how many, and their total size
    /// in bytes where the size is known (stdin and streams count 0).
    fn sources(&self, _count: usize, _total_bytes: u64) {}
    /// `n` more bytes of a source were read (before decompression).
    fn bytes_read(&self, _n: u64) {}
    /// A source (and everything inside it) was read.
    fn source_done(&self, _path: &str) {}
}

/// An observer that ignores everything.
struct Quiet;
impl Observer for Quiet {}

/// Reads bundles. Cheap to build; one reader can serve many reads (each
/// read has its own decompression budget).
///
/// ```
/// use batchdiag_parser::{Reader, ReadOptions};
/// let log = b"2024-05-01T10:00:00Z pool not fully joined yet, health=Status.TvmJoinPoolInProgress\n";
/// let bundle = Reader::new(ReadOptions::default()).read_bytes("agent-debug.log", log);
/// assert_eq!(bundle.inputs[0].log.as_ref().unwrap().join_reports, 1);
/// assert_eq!(bundle.evidence.len(), 1); // the node's join loop
/// ```
#[derive(Clone)]
pub struct Reader {
    opts: ReadOptions,
    observer: Arc<dyn Observer>,
    cancel: Cancel,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("opts", &self.opts).finish()
    }
}

impl Reader {
    /// A reader with these options, no observer and no cancel flag.
    pub fn new(opts: ReadOptions) -> Self {
        Reader {
            opts,
            observer: Arc::new(Quiet),
            cancel: Cancel::new(),
        }
    }

    /// Reports progress to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    /// Stops reading soon after `cancel` is raised; inputs cut short say so.
    pub fn with_cancel(mut self, cancel: Cancel) -> Self {
        self.cancel = cancel;
        self
    }

    /// The options.
    pub fn options(&self) -> &ReadOptions {
        &self.opts
    }

    /// Reads every path (files, directories read recursively, `-` for stdin).
    pub fn read_paths<S: AsRef<str>>(&self, paths: &[S]) -> Bundle {
        let mut sources = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for p in paths {
            expand(p.as_ref(), &mut sources, &mut seen);
        }
        let total = sources.iter().map(|s| s.size).sum();
        self.observer.sources(sources.len(), total);
        let budget = self.budget();
        let run = Run {
            opts: &self.opts,
            budget: &budget,
        };
        let results: Vec<Found> = sources
            .into_par_iter()
            .map(|s| {
                let display = s.display.clone();
                let found = self.read_source(s, &run);
                self.observer.source_done(&display);
                found
            })
            .collect();
        build(results)
    }

    /// Reads one input from any reader (stdin, an HTTP body, a pipe); `name`
    /// is how the report names it (its extension is a hint to detection).
    pub fn read_reader(&self, name: &str, reader: impl Read) -> Bundle {
        self.observer.sources(1, 0);
        let budget = self.budget();
        let run = Run {
            opts: &self.opts,
            budget: &budget,
        };
        let found = read_item(
            Item {
                loc: Location::file(name),
                reader: Box::new(Observed {
                    inner: reader,
                    observer: &*self.observer,
                    cancel: &self.cancel,
                }),
                explicit: true,
                depth: 0,
                compression: None,
                disk_path: None,
            },
            &run,
        );
        self.observer.source_done(name);
        build(vec![found])
    }

    /// Reads one input held in memory.
    pub fn read_bytes(&self, name: &str, bytes: &[u8]) -> Bundle {
        self.read_reader(name, bytes)
    }

    /// Starts a bundle read piece by piece, for inputs that arrive one after
    /// another (the files of one upload): each is read when it comes, as a
    /// file found in a directory, and [`Session::finish`] builds the one
    /// bundle, joining each node's rotated logs across inputs. The limits
    /// (`max_total_size` included) apply to the session as a whole.
    pub fn session(&self) -> Session {
        Session {
            budget: self.budget(),
            reader: self.clone(),
            found: Vec::new(),
        }
    }

    fn budget(&self) -> Budget {
        Budget::with_cancel(self.opts.limits.clone(), self.cancel.clone())
    }

    fn read_source(&self, src: Source, run: &Run) -> Found {
        let loc = Location::file(&src.display);
        let (reader, disk_path): (Box<dyn Read>, _) = match src.origin {
            Origin::Stdin => (Box::new(io::stdin()), None),
            Origin::File(p) => match File::open(&p) {
                Ok(f) => (Box::new(f), Some(Disk::Path(p))),
                Err(e) => {
                    return one(InputReport::failed(
                        &loc,
                        InputKind::Unreadable,
                        InputErrorKind::Io(e.to_string()),
                    ))
                }
            },
            Origin::Failed(msg) => {
                return one(InputReport::failed(
                    &loc,
                    InputKind::Unreadable,
                    InputErrorKind::Io(msg),
                ))
            }
            Origin::Symlink => {
                let mut r = InputReport::new(&loc, InputKind::Symlink);
                r.warnings.push("symbolic link not followed".into());
                return one(r);
            }
        };
        let found = read_item(
            Item {
                loc,
                reader: Box::new(Observed {
                    inner: reader,
                    observer: &*self.observer,
                    cancel: &self.cancel,
                }),
                explicit: src.explicit,
                depth: 0,
                compression: None,
                disk_path,
            },
            run,
        );
        // Mapped files are scanned without reads: count them whole.
        if found
            .inputs
            .first()
            .is_some_and(|i| i.log.is_some() && i.compression.is_none())
        {
            self.observer.bytes_read(src.size);
        }
        found
    }
}

/// A bundle read input by input (see [`Reader::session`]).
pub struct Session {
    reader: Reader,
    budget: Budget,
    found: Vec<Found>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("inputs", &self.found.len())
            .finish()
    }
}

impl Session {
    /// Reads one input from a stream, named `name` in the report.
    pub fn read(&mut self, name: &str, reader: impl Read) {
        self.read_item(name, Box::new(reader), None);
    }

    /// Reads a local file, named `name` in the report (an upload spooled to
    /// disk: a zip is then read with random access, not held in memory).
    pub fn read_file(&mut self, name: &str, path: &Path) {
        match File::open(path) {
            Ok(f) => self.read_item(name, Box::new(f), Some(Disk::Path(path.to_path_buf()))),
            Err(e) => self.found.push(one(InputReport::failed(
                &Location::file(name),
                InputKind::Unreadable,
                InputErrorKind::Io(e.to_string()),
            ))),
        }
    }

    /// Reads an open file from its start, named `name` in the report: an
    /// upload spooled to an unlinked temporary file, which has no path to
    /// reopen. A zip is read with random access (by positional reads, so its
    /// members are still read in parallel), not held in memory.
    pub fn read_spooled(&mut self, name: &str, file: File) {
        let file = Arc::new(file);
        match crate::positioned::FileAt::new(file.clone()) {
            Ok(at) => self.read_item(name, Box::new(at), Some(Disk::File(file))),
            Err(e) => self.found.push(one(InputReport::failed(
                &Location::file(name),
                InputKind::Unreadable,
                InputErrorKind::Io(e.to_string()),
            ))),
        }
    }

    fn read_item(&mut self, name: &str, reader: Box<dyn Read + '_>, disk_path: Option<Disk>) {
        let run = Run {
            opts: &self.reader.opts,
            budget: &self.budget,
        };
        let observer = &*self.reader.observer;
        let found = read_item(
            Item {
                loc: Location::file(name),
                reader: Box::new(Observed {
                    inner: reader,
                    observer,
                    cancel: &self.reader.cancel,
                }),
                explicit: false,
                depth: 0,
                compression: None,
                disk_path,
            },
            &run,
        );
        observer.source_done(name);
        self.found.push(found);
    }

    /// The bundle of every input read so far.
    pub fn finish(self) -> Bundle {
        build(self.found)
    }
}

/// The one bundle builder: every read ends here, so join loops are always
/// assembled the same way.
fn build(results: Vec<Found>) -> Bundle {
    let mut all = Found::default();
    for r in results {
        all.extend(r);
    }
    let loops = assemble(std::mem::take(&mut all.logs));
    for e in &loops {
        let path = virtual_path(&e.source);
        if let Some(input) = all.inputs.iter_mut().find(|i| i.path == path) {
            input.evidence_count += 1;
        }
    }
    all.evidence.extend(loops);
    Bundle {
        inputs: all.inputs,
        evidence: all.evidence,
    }
}

/// Reads every source (files, directories, `-`) and returns reports and evidence.
///
/// The same as `Reader::new(opts.clone()).read_paths(paths)`.
pub fn read_sources(paths: &[String], opts: &ReadOptions) -> Bundle {
    Reader::new(opts.clone()).read_paths(paths)
}

/// Counts what is read through it for the observer, and stops when the
/// read is cancelled (plain files are read through nothing else).
struct Observed<'o, R> {
    inner: R,
    observer: &'o dyn Observer,
    cancel: &'o Cancel,
}

impl<R: Read> Read for Observed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(io::Error::other(crate::limits::LimitExceeded::Cancelled));
        }
        let n = self.inner.read(buf)?;
        self.observer.bytes_read(n as u64);
        Ok(n)
    }
}

enum Origin {
    Stdin,
    File(PathBuf),
    Symlink,
    Failed(String),
}

struct Source {
    display: String,
    origin: Origin,
    /// Named by the user, not found in a directory: an unknown format is then an error.
    explicit: bool,
    /// Size on disk, for progress (0 when unknown).
    size: u64,
}

/// Adds the sources a named path stands for; `seen` holds the canonical
/// paths already added, so a file named twice is read once.
fn expand(p: &str, out: &mut Vec<Source>, seen: &mut std::collections::HashSet<PathBuf>) {
    if p == "-" {
        out.push(Source {
            display: "-".into(),
            origin: Origin::Stdin,
            explicit: true,
            size: 0,
        });
        return;
    }
    let path = Path::new(p);
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => walk(path, out, seen),
        Ok(m) => {
            if first_time(path, seen) {
                out.push(Source {
                    display: p.to_string(),
                    origin: Origin::File(path.into()),
                    explicit: true,
                    size: m.len(),
                })
            }
        }
        Err(e) => out.push(Source {
            display: p.to_string(),
            origin: Origin::Failed(e.to_string()),
            explicit: true,
            size: 0,
        }),
    }
}

fn first_time(path: &Path, seen: &mut std::collections::HashSet<PathBuf>) -> bool {
    match std::fs::canonicalize(path) {
        Ok(c) => seen.insert(c),
        Err(_) => true,
    }
}

fn walk(dir: &Path, out: &mut Vec<Source>, seen: &mut std::collections::HashSet<PathBuf>) {
    let display = |p: &Path| p.to_string_lossy().into_owned();
    let mut children: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            out.push(Source {
                display: display(dir),
                origin: Origin::Failed(e.to_string()),
                explicit: false,
                size: 0,
            });
            return;
        }
    };
    children.sort();
    for child in children {
        let Ok(meta) = std::fs::symlink_metadata(&child) else {
            continue;
        };
        let origin = if meta.file_type().is_symlink() {
            Origin::Symlink
        } else if meta.is_dir() {
            walk(&child, out, seen);
            continue;
        } else if first_time(&child, seen) {
            Origin::File(child.clone())
        } else {
            continue;
        };
        out.push(Source {
            display: display(&child),
            origin,
            explicit: false,
            size: meta.len(),
        });
    }
}

fn one(r: InputReport) -> Found {
    Found {
        inputs: vec![r],
        ..Found::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Default)]
    struct Count {
        bytes: AtomicU64,
        done: AtomicU64,
    }
    impl Observer for Count {
        fn bytes_read(&self, n: u64) {
            self.bytes.fetch_add(n, Ordering::Relaxed);
        }
        fn source_done(&self, _: &str) {
            self.done.fetch_add(1, Ordering::Relaxed);
        }
    }

    const LOG: &[u8] =
        b"2024-05-01T10:00:00Z pool not fully joined yet, health=Status.TvmJoinPoolInProgress\n";

    #[test]
    fn every_entry_point_builds_the_same_bundle() {
        let reader = Reader::new(ReadOptions::default());
        let a = reader.read_bytes("agent-debug.log", LOG);
        let b = reader.read_reader("agent-debug.log", io::Cursor::new(LOG.to_vec()));
        assert_eq!(a.inputs, b.inputs);
        assert_eq!(a.evidence, b.evidence);
        assert_eq!(a.evidence.len(), 1, "the join loop is assembled");
        assert_eq!(a.inputs[0].evidence_count, 1);
    }

    #[test]
    fn the_observer_sees_bytes_and_sources() {
        let count = Arc::new(Count::default());
        let reader = Reader::new(ReadOptions::default()).with_observer(count.clone());
        reader.read_bytes("agent-debug.log", &LOG.repeat(10));
        assert_eq!(count.bytes.load(Ordering::Relaxed), LOG.len() as u64 * 10);
        assert_eq!(count.done.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_cancelled_read_says_so() {
        let cancel = Cancel::new();
        cancel.cancel();
        let reader = Reader::new(ReadOptions::default()).with_cancel(cancel);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, &LOG.repeat(100)).unwrap();
        let bytes = gz.finish().unwrap();
        let b = reader.read_bytes("agent-debug.log.gz", &bytes);
        assert_eq!(
            b.inputs[0].error_kind,
            Some(crate::error::ErrorClass::Cancelled),
            "{:?}",
            b.inputs
        );
    }

    #[test]
    fn a_utf16_log_on_disk_is_read_transcoded_not_mapped() {
        let dir = std::env::temp_dir().join(format!("batchdiag-utf16-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agent-debug.log");
        let text = String::from_utf8(LOG.repeat(3)).unwrap();
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        std::fs::write(&file, &bytes).unwrap();
        let b = Reader::new(ReadOptions::default()).read_paths(&[file.to_string_lossy()]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(b.inputs[0].log.as_ref().map(|l| l.join_reports), Some(3));
        assert_eq!(b.evidence.len(), 1);
    }

    #[test]
    fn a_spooled_zip_reads_as_the_same_file_by_path() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../corpus/bd201-zip/upload-batch-logs.zip"
        );
        // The memory limit would refuse the zip if it were read as a stream.
        let mut opts = ReadOptions::default();
        opts.limits.max_in_memory_bytes = 10;
        let reader = Reader::new(opts);
        let mut by_path = reader.session();
        by_path.read_file("logs.zip", Path::new(path));
        let mut spooled = reader.session();
        let mut file = tempfile::tempfile().unwrap();
        io::copy(&mut File::open(path).unwrap(), &mut file).unwrap();
        spooled.read_spooled("logs.zip", file);
        let (a, b) = (by_path.finish(), spooled.finish());
        assert!(a.inputs.iter().all(|i| i.error.is_none()), "{:?}", a.inputs);
        assert!(a.inputs.len() > 2 && !a.evidence.is_empty());
        assert_eq!(a.inputs, b.inputs);
        assert_eq!(a.evidence, b.evidence);
    }

    #[test]
    fn a_session_joins_a_nodes_logs_across_inputs() {
        let reader = Reader::new(ReadOptions::default());
        let mut s = reader.session();
        s.read("p/n/u/agent-debug.log.1", io::Cursor::new(LOG.to_vec()));
        s.read("p/n/u/agent-debug.log", io::Cursor::new(LOG.to_vec()));
        s.read("notes.txt", &b"hello"[..]);
        let b = s.finish();
        assert_eq!(b.inputs.len(), 3);
        assert!(
            b.inputs[2].error.is_none(),
            "found in an upload, like in a directory"
        );
        assert_eq!(
            b.evidence.len(),
            1,
            "one loop for the node: {:?}",
            b.evidence
        );
        assert_eq!(
            b.evidence[0].fact.as_join_loop().map(|j| j.files.len()),
            Some(2)
        );
    }

    #[test]
    fn a_file_named_twice_is_read_once() {
        let dir = std::env::temp_dir().join(format!("batchdiag-reader-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agent-debug.log");
        std::fs::write(&file, LOG).unwrap();
        let paths = [
            dir.to_string_lossy().into_owned(),
            file.to_string_lossy().into_owned(),
        ];
        let b = Reader::new(ReadOptions::default()).read_paths(&paths);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(b.inputs.len(), 1, "{:?}", b.inputs);
        assert_eq!(b.evidence.len(), 1);
    }
}
