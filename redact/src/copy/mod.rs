//! The copier: a bundle written again without its credentials.
//!
//! It sees a bundle exactly as the analyzer does: each piece of content is
//! detected by the reader's one table ([`batchdiag_parser::detect`]) and
//! archives are opened by the reader's walk ([`batchdiag_parser::walk`]),
//! at any depth (a zip in a tar.gz, a `.zip.gz`, a tar in a zip). Each
//! container is written back as the same kind of container, valid: a tar
//! with its checksums, a zip with its central directory, a gzip stream
//! with its trailer. HAR captures stay valid HAR ([`har`]); text (logs, JSON
//! exports, probes, notes) is cleaned line by line ([`text`]); UTF-16 is
//! read, and written, as UTF-8.
//!
//! It fails closed: what it cannot read and clean (binary content of no
//! known format, an encrypted member, a link, an entry over the limit, an
//! undecodable body, a stream cut short, a format it does not read) is left
//! out and listed as an unread [`Finding`](crate::Finding), unless the
//! caller keeps unread parts on purpose. A copy of a truncated input is
//! still a valid file, and the findings say what was cut.

pub mod har;
mod har_fast;
mod json_tape;
mod ordered;
pub mod text;
mod zip_comment;

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use batchdiag_parser::detect::{self, Format, Handling, Head, HEAD_BYTES};
use batchdiag_parser::limits::{Budget, Checks, Compressed, Counted, Guard};
use batchdiag_parser::walk::{self, Content, Member, Visitor, ZipSource};
use batchdiag_parser::{FileAt, Limits};

use crate::findings::Findings;

/// Where a copy is written: any writer that may be handed to another
/// thread (archive members are cleaned on the walk's threads).
pub type Out<'a> = dyn Write + Send + 'a;

/// How a copy is made.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Decompression, nesting and in-memory limits (the reader's).
    pub limits: Limits,
    /// A HAR entry larger than this is left out (and listed), never buffered.
    pub max_entry_bytes: usize,
    /// Largest archive member held in memory while it is cleaned (a tar
    /// header needs the member's new size before its bytes).
    pub max_member_bytes: u64,
    /// Copy parts that could not be read unchanged instead of leaving them
    /// out (they are still listed, and `--check` still fails on them).
    pub keep_unread: bool,
    /// Threads that clean a HAR capture's entries (0: one per core; 1:
    /// none besides the caller's). The copy is the same whatever the count.
    pub threads: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            limits: Limits::default(),
            max_entry_bytes: batchdiag_parser::HarOptions::default().max_entry_bytes,
            max_member_bytes: 512 << 20,
            keep_unread: false,
            threads: 0,
        }
    }
}

/// What was copied.
#[derive(Debug)]
pub struct Outcome {
    /// What the input turned out to be.
    pub format: Format,
    /// Secrets removed and parts not read.
    pub findings: Findings,
    /// False when the input as a whole was left out (nothing was written).
    pub written: bool,
}

/// Why no copy could be made at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CopyError {
    /// The input could not be opened or read from its first byte.
    #[error("cannot read {name}: {source}")]
    Input {
        /// The input's name.
        name: String,
        /// The error.
        source: io::Error,
    },
    /// Writing the copy failed (a full disk, a closed pipe).
    #[error("cannot write the copy: {0}")]
    Output(#[source] io::Error),
}

impl CopyError {
    /// The output was a pipe that closed (the reader went away).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CopyError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// Writes copies of bundles.
#[derive(Debug, Clone, Default)]
pub struct Copier {
    opts: CopyOptions,
}

/// Where the bytes of one input are.
pub enum Input<'a> {
    /// A local file (a zip is then read with random access, not held in memory).
    Path(&'a Path),
    /// An open file, copied from its start, that has no path to reopen (an
    /// upload spooled to an unlinked temporary file): a zip is read with
    /// positional reads, members in parallel, as from [`Input::Path`], not
    /// held in memory.
    File(Arc<File>),
    /// Any reader (stdin, an upload).
    Reader(Box<dyn Read + 'a>),
}

impl Copier {
    /// A copier with these options.
    pub fn new(opts: CopyOptions) -> Self {
        Copier { opts }
    }

    /// Copies one input, named `name` in the findings, to `out`.
    pub fn copy(
        &self,
        name: &str,
        input: Input<'_>,
        out: &mut Out<'_>,
    ) -> Result<Outcome, CopyError> {
        let input_error = |source: io::Error| CopyError::Input {
            name: name.to_string(),
            source,
        };
        let (reader, disk): (Box<dyn Read>, _) = match input {
            Input::Path(p) => match File::open(p) {
                Ok(f) => (Box::new(f), Some(Disk::Path(p))),
                Err(source) => return Err(input_error(source)),
            },
            // Read from its start by positional reads, wherever its offset is
            // (a spooled upload is handed over just written).
            Input::File(f) => (
                Box::new(FileAt::new(f.clone()).map_err(input_error)?),
                Some(Disk::File(f)),
            ),
            Input::Reader(r) => (r, None),
        };
        let (head, reader) = peek(reader).map_err(input_error)?;
        let format = detect::detect(&Head {
            bytes: &head,
            name: &detect::file_name(name),
        });
        let budget = Budget::new(self.opts.limits.clone());
        let mut findings = Findings::default();
        let mut tracked = Tracked {
            inner: out,
            failed: None,
        };
        let result = self.content(
            &Ctx { budget: &budget },
            &Part {
                place: name,
                name,
                disk,
                depth: 0,
            },
            (head, reader),
            &mut tracked,
            &mut findings,
        );
        let flushed = result.and_then(|c| tracked.flush().map(|_| c));
        match (flushed, tracked.failed) {
            (_, Some(e)) => Err(CopyError::Output(e)),
            (Err(e), None) => Err(CopyError::Output(e)),
            (Ok(copied), None) => Ok(Outcome {
                format,
                findings,
                written: copied == Copied::Written,
            }),
        }
    }

    /// Copies one piece of content, detected from `head`.
    fn content(
        &self,
        ctx: &Ctx,
        part: &Part,
        (head, reader): (Vec<u8>, Box<dyn Read + '_>),
        out: &mut Out<'_>,
        f: &mut Findings,
    ) -> io::Result<Copied> {
        let format = detect::detect(&Head {
            bytes: &head,
            name: &detect::file_name(part.name),
        });
        let nested_too_deep = part.depth >= self.opts.limits.max_depth;
        match format.handling() {
            Handling::Transcode => {
                let Format::Utf16(endian) = format else {
                    unreachable!("only UTF-16 is transcoded")
                };
                let mark_len = batchdiag_parser::utf16::bom_len(&head);
                let mut reader = chain(head, reader);
                let mut mark = vec![0u8; mark_len];
                if let Err(e) = reader.read_exact(&mut mark) {
                    return self.leave_out(part, &format!("cannot read: {e}"), f);
                }
                let utf8 = batchdiag_parser::utf16::Utf16ToUtf8::new(reader, endian);
                let next = peek(Box::new(utf8));
                match next {
                    Ok(x) => self.content(ctx, part, x, out, f),
                    Err(e) => self.leave_out(part, &format!("cannot read: {e}"), f),
                }
            }
            Handling::Decompress | Handling::Archive if nested_too_deep => self.leave_out(
                part,
                &format!(
                    "an archive nested deeper than {} levels (max_depth)",
                    self.opts.limits.max_depth
                ),
                f,
            ),
            Handling::Decompress => self.gzip(ctx, part, chain(head, reader), out, f),
            Handling::Archive if format == Format::Zip => {
                self.zip(ctx, part, chain(head, reader), out, f)
            }
            Handling::Archive => self.tar(ctx, part, chain(head, reader), out, f),
            Handling::Entries => {
                har::copy_threaded(
                    chain(head, reader),
                    part.place,
                    out,
                    f,
                    self.opts.max_entry_bytes,
                    self.opts.threads,
                )?;
                Ok(Copied::Written)
            }
            // batchdiag's own reports (Listed) are text too: cleaned again, never trusted.
            Handling::Lines | Handling::Document | Handling::Listed => {
                text::copy(chain(head, reader), part.place, out, f)?;
                Ok(Copied::Written)
            }
            Handling::Refused => {
                let what = match format {
                    Format::Unsupported(w) => w,
                    _ => "this",
                };
                self.keep_or_leave(
                    part,
                    chain(head, reader),
                    &format!("{what} data, which batchdiag does not read"),
                    out,
                    f,
                )
            }
            // Text of no known format (notes, a README, a saved report) is
            // still text: cleaned line by line like any log.
            Handling::Ignored if detect::looks_textual(&head) => {
                text::copy(chain(head, reader), part.place, out, f)?;
                Ok(Copied::Written)
            }
            Handling::Ignored => self.keep_or_leave(
                part,
                chain(head, reader),
                "binary content of no known format",
                out,
                f,
            ),
        }
    }

    fn leave_out(&self, part: &Part, why: &str, f: &mut Findings) -> io::Result<Copied> {
        f.unread(|| part.place.to_string(), why, false);
        Ok(Copied::LeftOut)
    }

    /// An unread part: left out, or (on request) copied unchanged; listed either way.
    fn keep_or_leave(
        &self,
        part: &Part,
        mut reader: Box<dyn Read + '_>,
        why: &str,
        out: &mut Out<'_>,
        f: &mut Findings,
    ) -> io::Result<Copied> {
        if !self.opts.keep_unread {
            return self.leave_out(part, why, f);
        }
        f.unread(|| part.place.to_string(), why, true);
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.write_all(&buf[..n])?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    f.unread(|| part.place.to_string(), format!("cut: {e}"), true);
                    break;
                }
            }
        }
        Ok(Copied::Written)
    }

    /// A gzip stream: inflated under the limits, its content copied into a
    /// new gzip stream.
    fn gzip(
        &self,
        ctx: &Ctx,
        part: &Part,
        reader: Box<dyn Read + '_>,
        out: &mut Out<'_>,
        f: &mut Findings,
    ) -> io::Result<Copied> {
        let (counted, count) = Counted::new(reader);
        let decoder =
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(256 << 10, counted));
        let (inner_head, decoder) = match peek(Box::new(decoder)) {
            Ok(x) => x,
            Err(e) => return self.leave_out(part, &format!("cannot decompress: {e}"), f),
        };
        // A tar.gz is many members in one stream: the per-member limit
        // applies to each tar member, as when the reader reads it.
        let is_tar = detect::detect(&Head {
            bytes: &inner_head,
            name: "",
        }) == Format::Tar;
        let guarded = Guard::new(
            chain(inner_head, decoder),
            Checks {
                member: !is_tar,
                decompressed: Some(Compressed::Counter(count)),
            },
            ctx.budget,
        );
        let inner_name = inner_name(part.name);
        let inner = Part {
            place: part.place,
            name: &inner_name,
            disk: None,
            depth: part.depth + 1,
        };
        let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::default());
        let head = match peek(Box::new(guarded)) {
            Ok(x) => x,
            Err(e) => return self.leave_out(part, &format!("cannot decompress: {e}"), f),
        };
        let copied = self.content(ctx, &inner, head, &mut encoder, f)?;
        encoder.try_finish()?;
        Ok(copied)
    }

    fn zip(
        &self,
        ctx: &Ctx,
        part: &Part,
        reader: Box<dyn Read + '_>,
        out: &mut Out<'_>,
        f: &mut Findings,
    ) -> io::Result<Copied> {
        let bytes;
        let source = match &part.disk {
            Some(Disk::Path(p)) => ZipSource::Path(p.to_path_buf()),
            Some(Disk::File(f)) => ZipSource::File(f.clone()),
            None => match walk::zip_bytes(reader, ctx.budget) {
                Ok(b) => {
                    bytes = b;
                    ZipSource::Bytes(&bytes)
                }
                Err(kind) => return self.leave_out(part, &kind.to_string(), f),
            },
        };
        let writer = Mutex::new(ArchiveOut::Zip(Box::new(zip::ZipWriter::new_stream(out))));
        self.walk_into(ctx, part, &writer, f, |v| walk::zip(source, ctx.budget, v))?;
        match writer
            .into_inner()
            .map_err(|_| io::Error::other("poisoned"))?
        {
            ArchiveOut::Zip(z) => {
                z.finish().map_err(zip_io)?;
            }
            ArchiveOut::Tar(_) => unreachable!("a zip is written as a zip"),
        }
        Ok(Copied::Written)
    }

    fn tar(
        &self,
        ctx: &Ctx,
        part: &Part,
        reader: Box<dyn Read + '_>,
        out: &mut Out<'_>,
        f: &mut Findings,
    ) -> io::Result<Copied> {
        let writer = Mutex::new(ArchiveOut::Tar(tar::Builder::new(out)));
        self.walk_into(ctx, part, &writer, f, |v| walk::tar(reader, ctx.budget, v))?;
        match writer
            .into_inner()
            .map_err(|_| io::Error::other("poisoned"))?
        {
            ArchiveOut::Tar(t) => {
                t.into_inner()?;
            }
            ArchiveOut::Zip(_) => unreachable!("a tar is written as a tar"),
        }
        Ok(Copied::Written)
    }

    /// Walks an archive with the reader's walk, writing each member's copy
    /// into `writer`; the walk's own error (a cut archive) becomes a finding.
    fn walk_into<'w>(
        &self,
        ctx: &Ctx,
        part: &Part,
        writer: &Mutex<ArchiveOut<'w>>,
        f: &mut Findings,
        walk: impl FnOnce(&CopyMembers<'_, 'w>) -> walk::Walked<io::Result<()>>,
    ) -> io::Result<()> {
        let visitor = CopyMembers {
            copier: self,
            ctx,
            archive: part,
            writer,
            findings: Mutex::new(Findings::default()),
            names: Mutex::new(std::collections::HashSet::new()),
        };
        let walked = walk(&visitor);
        f.extend(
            visitor
                .findings
                .into_inner()
                .map_err(|_| io::Error::other("poisoned"))?,
        );
        if let Some(e) = walked.error {
            f.unread(
                || part.place.to_string(),
                format!("{e}; the copy holds what came before"),
                false,
            );
        }
        walked.outputs.into_iter().collect()
    }
}

/// The shared state of one copy.
struct Ctx<'a> {
    budget: &'a Budget,
}

/// A piece of content being copied.
struct Part<'a> {
    /// Where it is, as findings name it (`a.zip!/b/c.log`).
    place: &'a str,
    /// Its name (for detection hints).
    name: &'a str,
    /// The local file, when the content is one whole.
    disk: Option<Disk<'a>>,
    /// How many containers it is inside.
    depth: u32,
}

/// A whole local file some content also is (a zip is then read from it
/// with random access instead of from memory).
enum Disk<'a> {
    /// A file by its path.
    Path(&'a Path),
    /// An open file without a path (an unlinked temporary file).
    File(Arc<File>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Copied {
    Written,
    LeftOut,
}

/// The archive being written.
enum ArchiveOut<'w> {
    Zip(Box<zip::ZipWriter<zip::write::StreamWriter<&'w mut Out<'w>>>>),
    Tar(tar::Builder<&'w mut Out<'w>>),
}

impl ArchiveOut<'_> {
    fn add(
        &mut self,
        name: &str,
        bytes: &[u8],
        mode: Option<u32>,
        mtime: Option<u64>,
    ) -> io::Result<()> {
        match self {
            ArchiveOut::Zip(z) => {
                let mut opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .large_file(bytes.len() as u64 >= u32::MAX as u64);
                if let Some(m) = mode {
                    opts = opts.unix_permissions(m & 0o777);
                }
                z.start_file(name, opts).map_err(zip_io)?;
                z.write_all(bytes)
            }
            ArchiveOut::Tar(t) => {
                let mut h = tar::Header::new_gnu();
                h.set_size(bytes.len() as u64);
                h.set_mode(mode.unwrap_or(0o644) & 0o777);
                h.set_mtime(mtime.unwrap_or(0));
                h.set_cksum();
                t.append_data(&mut h, name, bytes)
            }
        }
    }
}

/// The copier's visitor: each member is copied (cleaned) into memory, then
/// written under a safe name with its secrets removed.
struct CopyMembers<'a, 'w> {
    copier: &'a Copier,
    ctx: &'a Ctx<'a>,
    archive: &'a Part<'a>,
    writer: &'a Mutex<ArchiveOut<'w>>,
    findings: Mutex<Findings>,
    /// Names written so far: two members whose names differed only in a
    /// secret would otherwise collide (a zip refuses that, a tar would
    /// overwrite one with the other when unpacked).
    names: Mutex<std::collections::HashSet<String>>,
}

/// `name`, or when it was written already, a variant that was not: the
/// first `[REDACTED]` numbered (`[REDACTED-2]`), or `~2` appended. A tar
/// may hold one name twice on purpose (an appended update), so there only
/// names that redaction made equal are changed.
fn unique_name(name: String, seen: &mut std::collections::HashSet<String>, zip: bool) -> String {
    let redacted = name.contains(crate::vocabulary::REDACTED);
    if seen.insert(name.clone()) || !(zip || redacted) {
        return name;
    }
    (2u64..)
        .map(|n| {
            if redacted {
                name.replacen(crate::vocabulary::REDACTED, &format!("[REDACTED-{n}]"), 1)
            } else {
                format!("{name}~{n}")
            }
        })
        .find(|c| seen.insert(c.clone()))
        .unwrap_or(name)
}

impl Visitor for CopyMembers<'_, '_> {
    type Output = io::Result<()>;

    fn archive_comment(&self, comment: &[u8]) {
        if let Ok(mut f) = self.findings.lock() {
            zip_comment::check(comment, self.archive.place, &mut f);
        }
    }

    fn member(&self, m: Member<'_>) -> io::Result<()> {
        // The place is printed: it names the member without the secrets
        // its name may hold (found by the binary canary suite: a key as a
        // directory name was shown by `--check`).
        // Secrets are removed from the name as stored (separators and all:
        // `https://user:pw@host` only looks like a URL before it is made
        // safe); the clean name is both what is shown and what is written.
        let mut in_name = Vec::new();
        let clean =
            crate::vocabulary::redact_path_noting(&m.name, &mut |k| in_name.push(k)).into_owned();
        let shown: String = clean
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        let place = format!("{}!/{shown}", self.archive.place);
        let mut f = self
            .findings
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        for kind in in_name {
            f.secret(|| format!("{place} (member name)"), kind);
        }
        let reader = match m.content {
            Content::File(r) => r,
            Content::Link { hard } => {
                let what = if hard {
                    "a hard link"
                } else {
                    "a symbolic link"
                };
                f.unread(
                    || place.clone(),
                    format!("{what}; links are never followed or copied"),
                    false,
                );
                return Ok(());
            }
            Content::Unreadable(why) => {
                f.unread(|| place.clone(), why, false);
                return Ok(());
            }
        };
        // The name is data: written as a relative path that cannot climb.
        let name = walk::safe_name(&clean);
        let mut buf = Bounded {
            bytes: Vec::new(),
            limit: self.copier.opts.max_member_bytes,
            over: false,
        };
        let head = match peek(reader) {
            Ok(x) => x,
            Err(e) => {
                f.unread(|| place.clone(), format!("cannot read: {e}"), false);
                return Ok(());
            }
        };
        let part = Part {
            place: &place,
            name: &m.name,
            disk: None,
            depth: self.archive.depth + 1,
        };
        let copied = self.copier.content(self.ctx, &part, head, &mut buf, &mut f);
        let copied = match copied {
            Err(_) if buf.over => {
                f.unread(
                    || place.clone(),
                    format!(
                        "cleaned, it is larger than the {} a member may hold in memory",
                        batchdiag_parser::limits::human(self.copier.opts.max_member_bytes)
                    ),
                    false,
                );
                return Ok(());
            }
            other => other?,
        };
        if copied == Copied::Written {
            f.members += 1;
            drop(f);
            let mut writer = self
                .writer
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?;
            let name = unique_name(
                name,
                &mut *self
                    .names
                    .lock()
                    .map_err(|_| io::Error::other("poisoned"))?,
                matches!(*writer, ArchiveOut::Zip(_)),
            );
            writer.add(&name, &buf.bytes, m.mode, m.mtime)?;
        }
        Ok(())
    }

    /// Members are written in order as they are cleaned.
    fn parallel(&self) -> bool {
        false
    }
}

/// A buffer that refuses to grow past its limit.
struct Bounded {
    bytes: Vec<u8>,
    limit: u64,
    over: bool,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if (self.bytes.len() + buf.len()) as u64 > self.limit {
            self.over = true;
            return Err(io::Error::other("member too large to hold"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The caller's output, remembering whether writing to it failed: what
/// fails there is an output error, whatever layer saw it first.
struct Tracked<'a> {
    inner: &'a mut Out<'a>,
    failed: Option<io::Error>,
}

impl Write for Tracked<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.failed
                .get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            self.failed
                .get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
        })
    }
}

fn zip_io(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

/// The name of what a `.gz` holds: `x.log.gz` → `x.log`, `x.tgz` → `x.tar`.
fn inner_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".tgz") {
        format!("{}.tar", &name[..name.len() - 4])
    } else if lower.ends_with(".gz") {
        name[..name.len() - 3].to_string()
    } else {
        name.to_string()
    }
}

/// Reads the head detection needs, without losing it.
fn peek<'r>(mut r: Box<dyn Read + 'r>) -> io::Result<(Vec<u8>, Box<dyn Read + 'r>)> {
    let mut head = vec![0u8; HEAD_BYTES];
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // What was read is still content; its copier meets the error later.
            Err(e) if got > 0 => {
                head.truncate(got);
                return Ok((head, Box::new(Failing(Some(e)))));
            }
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    Ok((head, r))
}

/// The error a stream stopped with, met again after its bytes.
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Err(io::Error::other("the stream ended with an error")),
        }
    }
}

fn chain<'r>(head: Vec<u8>, rest: Box<dyn Read + 'r>) -> Box<dyn Read + 'r> {
    Box::new(io::Cursor::new(head).chain(rest))
}

#[cfg(test)]
mod canary_props;
#[cfg(test)]
mod tests;
