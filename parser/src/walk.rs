//! The archive walk: zip and tar members handed, one by one, to a
//! [`Visitor`], with the one member policy everything that opens an archive
//! shares (the analyzer's reader and the `redact` copier alike).
//!
//! The walk never writes anything and never trusts a member's *name*: the
//! name is data, shown to the visitor with [`Member::unsafe_name`] saying
//! why it could not be a path on disk (`..` components, absolute paths,
//! drive letters); the *content* is a stream under the [`Budget`]'s limits.
//! Links are listed, never followed; directories are skipped; encrypted
//! members and unsupported compression methods arrive as
//! [`Content::Unreadable`] so the visitor can say so.
//!
//! Zip members are visited in parallel (each worker reopens the archive),
//! unless the walk runs on a one-thread pool;
//! tar members in order, except that small compressed members (rotated
//! `.gz` logs, nested archives) are read into memory and visited on another
//! thread while the stream goes on. Outputs always come back in archive
//! order, so what is found never depends on the number of threads.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use zip::result::ZipError;
use zip::ZipArchive;

use crate::error::InputErrorKind;
use crate::limits::{human, Budget, Checks, Compressed, Guard};
use crate::readbuf::Replay;

/// One archive member, as the walk presents it.
pub struct Member<'r> {
    /// The name as stored (lossy UTF-8). Never a path to open or create.
    pub name: String,
    /// Position in the archive, from 0 (skipped directories count too).
    pub index: u64,
    /// Why the name could not be honoured as a path, if it could not.
    pub unsafe_name: Option<&'static str>,
    /// Uncompressed size, when the archive states it.
    pub size: Option<u64>,
    /// Unix permission bits, when stored.
    pub mode: Option<u32>,
    /// Modification time (Unix seconds), when stored.
    pub mtime: Option<u64>,
    /// What the member holds.
    pub content: Content<'r>,
}

/// What a member holds.
pub enum Content<'r> {
    /// A regular file: its bytes, decompressed, under the limits.
    File(Box<dyn Read + 'r>),
    /// A symbolic or hard link: listed, never followed.
    Link {
        /// A hard link rather than a symbolic one.
        hard: bool,
    },
    /// A member whose bytes cannot be read, and why (encrypted, an unsupported method...).
    Unreadable(String),
}

/// Receives the members of an archive. One visitor serves every thread of a
/// walk, so it is `Sync`; each call returns what that member gave.
pub trait Visitor: Sync {
    /// What visiting one member gives.
    type Output: Send;

    /// Visits one member.
    fn member(&self, member: Member<'_>) -> Self::Output;

    /// Whether members may be visited on several threads at once (outputs
    /// still come back in order). A copier that writes as it goes says no.
    fn parallel(&self) -> bool {
        true
    }

    /// Sees a zip's archive comment (free text the members do not hold),
    /// once, before its members; a copier that drops it must still judge it.
    fn archive_comment(&self, _comment: &[u8]) {}
}

/// What a walk gave: each member's output in archive order, and what
/// stopped the walk early, if anything did.
pub struct Walked<O> {
    /// Members found (directories excluded).
    pub members: u64,
    /// The visitor's outputs, in archive order.
    pub outputs: Vec<O>,
    /// Why the archive could not be read to its end (members before it were still visited).
    pub error: Option<InputErrorKind>,
}

/// Why a member name is unsafe to honour as a path, if it is.
pub fn unsafe_name(name: &str) -> Option<&'static str> {
    let p = Path::new(name);
    if name.starts_with('/')
        || name.starts_with('\\')
        || p.has_root()
        || name.get(1..3) == Some(":\\")
        || name.get(1..3) == Some(":/")
    {
        return Some("is an absolute path");
    }
    if p.components().any(|c| matches!(c, Component::ParentDir))
        || name.split(['/', '\\']).any(|s| s == "..")
    {
        return Some("has a '..' component");
    }
    None
}

/// A relative name with `/` separators that names the same member but
/// cannot climb out of a directory: drive letters, leading separators and
/// `.`/`..` components are dropped, control characters replaced. A copy
/// written under this name is safe to unpack anywhere.
pub fn safe_name(name: &str) -> String {
    let name = match name.get(1..3) {
        Some(":\\") | Some(":/") => &name[3..],
        _ => name,
    };
    let parts: Vec<String> = name
        .split(['/', '\\'])
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(|s| {
            s.chars()
                .map(|c| if c.is_control() { '_' } else { c })
                .collect()
        })
        .collect();
    if parts.is_empty() {
        "unnamed".into()
    } else {
        parts.join("/")
    }
}

/// Where a zip's bytes are: a local file (each worker reopens it) or memory.
pub enum ZipSource<'b> {
    /// A local file.
    Path(PathBuf),
    /// Bytes in memory (stdin, a nested zip).
    Bytes(&'b [u8]),
    /// An open file with no path to reopen (an upload spooled to an
    /// unlinked temporary file): each worker reads it at its own offset.
    File(std::sync::Arc<File>),
}

/// Reads a whole stream into memory to open it as a zip (zip needs random
/// access), within the in-memory limit.
pub fn zip_bytes(mut reader: impl Read, budget: &Budget) -> Result<Vec<u8>, InputErrorKind> {
    let limit = budget.limits.max_in_memory_bytes;
    let mut bytes = Vec::new();
    if let Err(e) = (&mut reader).take(limit + 1).read_to_end(&mut bytes) {
        return Err(InputErrorKind::from_io(&e));
    }
    if bytes.len() as u64 > limit {
        return Err(InputErrorKind::Limit(format!(
            "a zip that is not a local file is held in memory to be read, and this one is larger than the in-memory limit of {} (max_in_memory)",
            human(limit)
        )));
    }
    Ok(bytes)
}

/// Walks a zip archive.
pub fn zip<V: Visitor>(source: ZipSource<'_>, budget: &Budget, visitor: &V) -> Walked<V::Output> {
    match source {
        ZipSource::Path(path) => {
            let open = || {
                File::open(&path)
                    .map(BufReader::new)
                    .map_err(ZipError::Io)
                    .and_then(ZipArchive::new)
            };
            let rewind = || {
                File::open(&path)
                    .ok()
                    .map(|f| Box::new(BufReader::new(f)) as Box<dyn Read>)
            };
            walk_zip(open, rewind, budget, visitor)
        }
        ZipSource::File(file) => {
            let at = || crate::positioned::FileAt::new(file.clone()).map(BufReader::new);
            let open = || at().map_err(ZipError::Io).and_then(ZipArchive::new);
            let rewind = || at().ok().map(|r| Box::new(r) as Box<dyn Read>);
            walk_zip(open, rewind, budget, visitor)
        }
        ZipSource::Bytes(bytes) => {
            let open = || ZipArchive::new(io::Cursor::new(bytes));
            let rewind = || Some(Box::new(io::Cursor::new(bytes)) as Box<dyn Read>);
            walk_zip(open, rewind, budget, visitor)
        }
    }
}

fn walk_zip<'r, R, F, V>(
    open: F,
    rewind: impl FnOnce() -> Option<Box<dyn Read + 'r>>,
    budget: &Budget,
    visitor: &V,
) -> Walked<V::Output>
where
    R: Read + Seek,
    F: Fn() -> zip::result::ZipResult<ZipArchive<R>> + Sync + Send,
    V: Visitor,
{
    let first = match open() {
        Ok(a) => a,
        Err(e) => return salvage_zip(e, rewind(), budget, visitor),
    };
    visitor.archive_comment(first.comment());
    let count = first.len();
    let visit = |archive: &mut zip::result::ZipResult<ZipArchive<R>>, i: usize| {
        if budget.cancelled() {
            return None;
        }
        match archive {
            Ok(a) => zip_member(a, i, budget, visitor),
            Err(e) => Some(visitor.member(Member {
                name: format!("member #{i}"),
                index: i as u64,
                unsafe_name: None,
                size: None,
                mode: None,
                mtime: None,
                content: Content::Unreadable(format!("cannot reopen the archive: {e}")),
            })),
        }
    };
    let outputs: Vec<Option<V::Output>> = if visitor.parallel() && rayon::current_num_threads() > 1
    {
        (0..count).into_par_iter().map_init(&open, visit).collect()
    } else {
        // On one thread the archive already open serves every member
        // (`analyze --each` reads each small bundle so): opening it again
        // cost a second open and central-directory read per zip.
        let mut archive = Ok(first);
        (0..count).map(|i| visit(&mut archive, i)).collect()
    };
    let members = outputs.len() as u64;
    Walked {
        members,
        outputs: outputs.into_iter().flatten().collect(),
        error: budget.cancelled().then(cancelled),
    }
}

fn cancelled() -> InputErrorKind {
    InputErrorKind::Cancelled
}

fn zip_member<R: Read + Seek, V: Visitor>(
    archive: &mut ZipArchive<R>,
    i: usize,
    budget: &Budget,
    visitor: &V,
) -> Option<V::Output> {
    let header = archive.by_index_raw(i).map(|f| {
        (
            f.name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("member #{i}")),
            f.is_dir(),
            f.is_symlink(),
            f.encrypted(),
            f.compressed_size(),
            f.size(),
            f.unix_mode(),
        )
    });
    let (name, is_dir, is_link, encrypted, compressed, size, mode) = match header {
        Ok(h) => h,
        Err(e) => {
            return Some(visitor.member(Member {
                name: format!("member #{i}"),
                index: i as u64,
                unsafe_name: None,
                size: None,
                mode: None,
                mtime: None,
                content: Content::Unreadable(format!("unreadable zip member header: {e}")),
            }))
        }
    };
    if is_dir {
        return None;
    }
    let member = |content| Member {
        unsafe_name: unsafe_name(&name),
        name: name.clone(),
        index: i as u64,
        size: Some(size),
        mode,
        mtime: None,
        content,
    };
    if is_link {
        return Some(visitor.member(member(Content::Link { hard: false })));
    }
    if encrypted {
        return Some(visitor.member(member(Content::Unreadable(
            "encrypted member (a password is required); not read".into(),
        ))));
    }
    let file = match archive.by_index(i) {
        Ok(f) => f,
        Err(ZipError::UnsupportedArchive(what)) => {
            return Some(visitor.member(member(Content::Unreadable(format!(
                "unsupported zip member: {what}"
            )))))
        }
        Err(ZipError::CompressionMethodNotSupported(m)) => {
            return Some(visitor.member(member(Content::Unreadable(format!(
                "compression method {m} is not supported; not read"
            )))))
        }
        Err(e) => {
            return Some(visitor.member(member(Content::Unreadable(format!(
                "cannot read member: {e}"
            )))))
        }
    };
    let checks = Checks {
        member: true,
        decompressed: Some(Compressed::Known(compressed)),
    };
    let guarded = Guard::new(file, checks, budget);
    Some(visitor.member(member(Content::File(Box::new(guarded)))))
}

/// A zip without a readable central directory (a download or upload cut
/// short) still holds its members' local headers: they are read in order
/// from the start, until the data ends. The walk's error says so.
fn salvage_zip<'r, V: Visitor>(
    cause: ZipError,
    reader: Option<Box<dyn Read + 'r>>,
    budget: &Budget,
    visitor: &V,
) -> Walked<V::Output> {
    let mut outputs = Vec::new();
    let mut members = 0u64;
    let mut stop = None;
    if let Some(mut reader) = reader {
        loop {
            if budget.cancelled() {
                break;
            }
            let file = match zip::read::read_zipfile_from_stream(&mut reader) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            };
            let index = members;
            members += 1;
            let name = file
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("member #{members}"));
            if file.is_dir() {
                continue;
            }
            let content = if file.encrypted() {
                Content::Unreadable("encrypted member (a password is required); not read".into())
            } else {
                let checks = Checks {
                    member: true,
                    decompressed: Some(Compressed::Known(file.compressed_size())),
                };
                Content::File(Box::new(Guard::new(file, checks, budget)))
            };
            outputs.push(visitor.member(Member {
                unsafe_name: unsafe_name(&name),
                name,
                index,
                size: None,
                mode: None,
                mtime: None,
                content,
            }));
        }
    }
    let msg = if members == 0 {
        format!("not a readable zip archive: {cause}")
    } else {
        format!(
            "not a complete zip archive ({cause}): cut or damaged; {members} member{} read from their local headers{}",
            if members == 1 { "" } else { "s" },
            stop.map(|e| format!(", then: {e}")).unwrap_or_default()
        )
    };
    Walked {
        members,
        outputs,
        error: Some(if budget.cancelled() {
            InputErrorKind::Cancelled
        } else {
            InputErrorKind::Syntax(msg)
        }),
    }
}

/// Walks a tar stream (plain, or already decompressed by the caller).
pub fn tar<V: Visitor>(
    reader: Box<dyn Read + '_>,
    budget: &Budget,
    visitor: &V,
) -> Walked<V::Output> {
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            return Walked {
                members: 0,
                outputs: Vec::new(),
                error: Some(InputErrorKind::from_io(&e)),
            }
        }
    };
    // Results arrive out of order when members are handed off; each carries
    // its member's index, so the outputs keep the archive's order.
    let done: Mutex<Vec<(u64, V::Output)>> = Mutex::new(Vec::new());
    let handoff = Handoff::new(visitor.parallel());
    let mut members = 0u64;
    let mut index = 0u64;
    let mut error = None;
    rayon::in_place_scope(|scope| {
        for entry in entries {
            if budget.cancelled() {
                error = Some(InputErrorKind::Cancelled);
                break;
            }
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    error = Some(match InputErrorKind::from_io(&e) {
                        InputErrorKind::Io(m) => InputErrorKind::Syntax(format!(
                            "damaged or truncated tar archive after {members} members: {m}"
                        )),
                        other => other,
                    });
                    break;
                }
            };
            let this = index;
            index += 1;
            let finish = |out: V::Output| done.lock().expect("no panics hold it").push((this, out));
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let header = entry.header();
            let ty = header.entry_type();
            if ty.is_dir() {
                continue;
            }
            members += 1;
            let mode = header.mode().ok();
            let mtime = header.mtime().ok();
            let size = entry.size();
            let member = |content| Member {
                unsafe_name: unsafe_name(&name),
                name: name.clone(),
                index: this,
                size: Some(size),
                mode,
                mtime,
                content,
            };
            if ty.is_symlink() || ty.is_hard_link() {
                finish(visitor.member(member(Content::Link {
                    hard: ty.is_hard_link(),
                })));
                continue;
            }
            if !(ty.is_file() || ty.is_contiguous()) {
                // Devices, FIFOs, PAX and GNU metadata: nothing to read.
                members -= 1;
                continue;
            }
            let mut guarded = Guard::new(
                entry,
                Checks {
                    member: true,
                    decompressed: None,
                },
                budget,
            );
            // Only compressed members are worth a thread of their own: a
            // plain log scans faster than it could be copied to another.
            let mut head = Vec::with_capacity(4);
            if let Err(e) = (&mut guarded).take(4).read_to_end(&mut head) {
                let replay = Replay::new(head, Some(e));
                finish(visitor.member(member(Content::File(Box::new(replay)))));
                continue;
            }
            let ticket = if is_compressed(&head) {
                handoff.take(size)
            } else {
                None
            };
            match ticket {
                Some(ticket) => {
                    let rest = guarded.read_to_end(&mut head).err();
                    let replay = Replay::new(head, rest);
                    // The member is made on the thread that visits it: only
                    // its plain parts and the bytes cross over.
                    let (name, unsafe_name) = (name.clone(), unsafe_name(&name));
                    let (done, handoff) = (&done, &handoff);
                    scope.spawn(move |_| {
                        let out = visitor.member(Member {
                            name,
                            index: this,
                            unsafe_name,
                            size: Some(size),
                            mode,
                            mtime,
                            content: Content::File(Box::new(replay)),
                        });
                        handoff.give_back(ticket);
                        done.lock().expect("no panics hold it").push((this, out));
                    });
                }
                None => {
                    let whole = io::Cursor::new(head).chain(guarded);
                    finish(visitor.member(member(Content::File(Box::new(whole)))));
                }
            }
        }
    });
    let mut done = done.into_inner().expect("no panics hold it");
    done.sort_unstable_by_key(|(index, _)| *index);
    Walked {
        members,
        outputs: done.into_iter().map(|(_, o)| o).collect(),
        error,
    }
}

/// Compressed tar members (rotated `.gz` logs, nested archives) up to this
/// size may be read into memory and visited on another thread, while this
/// one goes on reading the tar stream; larger ones, and plain members (a
/// plain log scans faster than it could be handed over), are read in place.
const HANDOFF_MAX_MEMBER: u64 = 16 << 20;

/// At most this many bytes of handed-off members are held at once, per tar
/// stream: memory stays bounded however fast the stream inflates.
const HANDOFF_MAX_BYTES: u64 = 32 << 20;

/// Decides which tar members are handed off to other threads.
///
/// It never waits: when the budget is spent (or there is no other thread),
/// the member is read in place on the tar's own thread. Waiting could
/// deadlock a pool whose every thread reads a tar.
struct Handoff {
    enabled: bool,
    held: AtomicU64,
}

impl Handoff {
    fn new(parallel: bool) -> Self {
        Handoff {
            enabled: parallel && rayon::current_num_threads() > 1,
            held: AtomicU64::new(0),
        }
    }

    /// Reserves room for a member of `size` bytes, or `None` to read it in place.
    fn take(&self, size: u64) -> Option<u64> {
        if !self.enabled || size > HANDOFF_MAX_MEMBER {
            return None;
        }
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                (held + size <= HANDOFF_MAX_BYTES).then_some(held + size)
            })
            .ok()
            .map(|_| size)
    }

    fn give_back(&self, ticket: u64) {
        self.held.fetch_sub(ticket, Ordering::AcqRel);
    }
}

/// Whether a member starts like gzip or zip data.
fn is_compressed(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b]) || head.starts_with(b"PK\x03\x04")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names() {
        assert_eq!(unsafe_name("../x.log"), Some("has a '..' component"));
        assert_eq!(unsafe_name("a/../../x.log"), Some("has a '..' component"));
        assert_eq!(unsafe_name("a\\..\\x.log"), Some("has a '..' component"));
        assert_eq!(unsafe_name("/etc/x.log"), Some("is an absolute path"));
        assert_eq!(unsafe_name("C:\\x.log"), Some("is an absolute path"));
        assert_eq!(unsafe_name("pool/node/..hidden/x.log"), None);
        assert_eq!(unsafe_name("pool/node/x.log"), None);
    }

    #[test]
    fn safe_names_cannot_climb() {
        assert_eq!(safe_name("../../x/agent-debug.log"), "x/agent-debug.log");
        assert_eq!(safe_name("/etc/passwd"), "etc/passwd");
        assert_eq!(safe_name("C:\\logs\\a.log"), "logs/a.log");
        assert_eq!(safe_name("a\\..\\b\x07.log"), "a/b_.log");
        assert_eq!(safe_name(".."), "unnamed");
        assert_eq!(safe_name("p/n/u/agent-debug.log"), "p/n/u/agent-debug.log");
        for n in ["../../x", "/a", "C:/b", "..\\..\\c"] {
            assert_eq!(unsafe_name(&safe_name(n)), None, "{n}");
        }
    }

    #[test]
    fn handoff_holds_at_most_its_budget() {
        let h = Handoff {
            enabled: true,
            held: AtomicU64::new(0),
        };
        assert_eq!(h.take(HANDOFF_MAX_MEMBER + 1), None, "too large a member");
        let a = h.take(HANDOFF_MAX_MEMBER).unwrap();
        let b = h.take(HANDOFF_MAX_BYTES - HANDOFF_MAX_MEMBER).unwrap();
        assert_eq!(h.take(1), None, "budget spent: read in place");
        h.give_back(a);
        assert!(h.take(1).is_some());
        h.give_back(b);
        let off = Handoff {
            enabled: false,
            held: AtomicU64::new(0),
        };
        assert_eq!(off.take(1), None, "one thread: always in place");
    }

    struct Names;
    impl Visitor for Names {
        type Output = (String, Option<&'static str>, String);
        fn member(&self, mut m: Member<'_>) -> Self::Output {
            let body = match &mut m.content {
                Content::File(r) => {
                    let mut s = String::new();
                    let _ = r.read_to_string(&mut s);
                    s
                }
                Content::Link { hard } => format!("link hard={hard}"),
                Content::Unreadable(why) => why.clone(),
            };
            (m.name, m.unsafe_name, body)
        }
    }

    #[test]
    fn hostile_names_are_visited_with_their_reason() {
        let mut tar = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        // The tar crate refuses `..` through its path setters: write the raw name.
        h.as_old_mut().name[..16].copy_from_slice(b"../../x/evil.log");
        h.set_size(5);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append(&h, &b"hello"[..]).unwrap();
        let bytes = tar.into_inner().unwrap();
        let w = self::tar(Box::new(io::Cursor::new(bytes)), &Budget::default(), &Names);
        assert!(w.error.is_none());
        assert_eq!(
            w.outputs,
            vec![(
                "../../x/evil.log".to_string(),
                Some("has a '..' component"),
                "hello".to_string()
            )]
        );
    }
}
