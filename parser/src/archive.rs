//! Archives: zip (members inflated in parallel) and tar (one stream, members
//! in order; compressed members are inflated on other threads while the
//! stream goes on, and reported in order). Nothing is extracted: each member is streamed, under the
//! limits of [`crate::limits`], into [`read_item`] as an input of its own
//! with the virtual path `archive!/member`.
//!
//! Members that are not read get an input error naming them: unsafe names
//! (`..`, absolute paths), symbolic and hard links, encrypted members,
//! unsupported compression methods.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use zip::result::ZipError;
use zip::ZipArchive;

use crate::content::{error_kind, read_item, Ctx, Found, InputKind, InputReport, Item, Replay};
use crate::error::{InputError, InputErrorKind};
use crate::limits::{human, Checks, Compressed, Guard};
use crate::location::Location;

/// The location of a member of the archive at `archive`.
fn member_loc(archive: &Location, name: &str) -> Location {
    let member = match &archive.member {
        Some(outer) => format!("{outer}!/{name}"),
        None => name.to_string(),
    };
    Location {
        path: archive.path.clone(),
        member: Some(member),
        ..Location::default()
    }
}

/// Why a member name is unsafe to honour, if it is.
fn unsafe_name(name: &str) -> Option<&'static str> {
    let p = Path::new(name);
    if name.starts_with('/')
        || name.starts_with('\\')
        || p.has_root()
        || name.get(1..3) == Some(":\\")
        || name.get(1..3) == Some(":/")
    {
        return Some("an absolute path");
    }
    if p.components().any(|c| matches!(c, Component::ParentDir))
        || name.split(['/', '\\']).any(|s| s == "..")
    {
        return Some("a '..' component");
    }
    None
}

fn member_error(loc: &Location, kind: InputKind, msg: String) -> Found {
    let mut f = Found::default();
    f.inputs
        .push(InputReport::failed(loc, kind, InputErrorKind::Member(msg)));
    f
}

/// Reads a zip archive. Zip needs random access: a local file is reopened by
/// each worker; anything else (stdin, a nested zip) is first read into
/// memory, up to `--max-in-memory`.
pub fn read_zip(
    loc: Location,
    mut reader: Box<dyn Read + '_>,
    disk_path: Option<PathBuf>,
    depth: u32,
    ctx: &Ctx,
) -> Found {
    let mut report = InputReport::new(&loc, InputKind::Zip);
    if let Some(path) = disk_path {
        drop(reader);
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
        return walk_zip(loc, report, open, rewind, depth, ctx);
    }
    let limit = ctx.budget.limits.max_in_memory_bytes;
    let mut bytes = Vec::new();
    if let Err(e) = (&mut reader).take(limit + 1).read_to_end(&mut bytes) {
        report.error = Some(InputError::new(loc, error_kind(&e)).to_string());
        return Found {
            inputs: vec![report],
            ..Found::default()
        };
    }
    if bytes.len() as u64 > limit {
        report.error = Some(
            InputError::new(
                loc,
                InputErrorKind::Limit(format!(
                    "a zip that is not a local file must be held in memory to be read, and this one is larger than {} (--max-in-memory)",
                    human(limit)
                )),
            )
            .to_string(),
        );
        return Found {
            inputs: vec![report],
            ..Found::default()
        };
    }
    let open = || ZipArchive::new(io::Cursor::new(&bytes[..]));
    let rewind = || Some(Box::new(io::Cursor::new(&bytes[..])) as Box<dyn Read>);
    walk_zip(loc, report, open, rewind, depth, ctx)
}

fn walk_zip<'r, R, F>(
    loc: Location,
    report: InputReport,
    open: F,
    rewind: impl FnOnce() -> Option<Box<dyn Read + 'r>>,
    depth: u32,
    ctx: &Ctx,
) -> Found
where
    R: Read + Seek,
    F: Fn() -> zip::result::ZipResult<ZipArchive<R>> + Sync + Send,
{
    let mut report = report;
    let count = match open() {
        Ok(a) => a.len(),
        Err(e) => return salvage_zip(loc, report, e, rewind(), depth, ctx),
    };
    report.members = Some(count as u64);
    let results: Vec<Found> = (0..count)
        .into_par_iter()
        .map_init(open, |archive, i| match archive {
            Ok(a) => zip_member(a, i, &loc, depth, ctx),
            Err(e) => member_error(
                &loc,
                InputKind::Unreadable,
                format!("cannot reopen the archive: {e}"),
            ),
        })
        .collect();
    let mut found = Found {
        inputs: vec![report],
        ..Found::default()
    };
    for r in results {
        found.extend(r);
    }
    found
}

fn zip_member<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    i: usize,
    loc: &Location,
    depth: u32,
    ctx: &Ctx,
) -> Found {
    let (name, is_dir, is_link, encrypted, compressed) = match archive.by_index_raw(i) {
        Ok(f) => (
            f.name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("member #{i}")),
            f.is_dir(),
            f.is_symlink(),
            f.encrypted(),
            f.compressed_size(),
        ),
        Err(e) => {
            return member_error(
                &member_loc(loc, &format!("member #{i}")),
                InputKind::Unreadable,
                format!("unreadable zip member header: {e}"),
            )
        }
    };
    let mloc = member_loc(loc, &name);
    if is_dir {
        return Found::default();
    }
    if let Some(why) = unsafe_name(&name) {
        return member_error(
            &mloc,
            InputKind::Unreadable,
            format!("member name is {why}; not read"),
        );
    }
    if is_link {
        return member_error(
            &mloc,
            InputKind::Symlink,
            "symbolic link member; not followed".into(),
        );
    }
    if encrypted {
        return member_error(
            &mloc,
            InputKind::Unreadable,
            "encrypted member (a password is required); not read".into(),
        );
    }
    let file = match archive.by_index(i) {
        Ok(f) => f,
        Err(ZipError::UnsupportedArchive(what)) => {
            return member_error(
                &mloc,
                InputKind::Unreadable,
                format!("unsupported zip member: {what}"),
            )
        }
        Err(ZipError::CompressionMethodNotSupported(m)) => {
            return member_error(
                &mloc,
                InputKind::Unreadable,
                format!("compression method {m} is not supported; not read"),
            )
        }
        Err(e) => {
            return member_error(
                &mloc,
                InputKind::Unreadable,
                format!("cannot read member: {e}"),
            )
        }
    };
    let checks = Checks {
        member: true,
        decompressed: Some(Compressed::Known(compressed)),
    };
    read_member(
        mloc,
        Box::new(Guard::new(file, checks, ctx.budget)),
        depth,
        ctx,
    )
}

/// A zip without a readable central directory (a download or upload cut
/// short) still holds its members' local headers: they are read in order
/// from the start, until the data ends. The archive keeps an error that
/// says so; every member read is analysed.
fn salvage_zip<'r>(
    loc: Location,
    mut report: InputReport,
    cause: ZipError,
    reader: Option<Box<dyn Read + 'r>>,
    depth: u32,
    ctx: &Ctx,
) -> Found {
    let mut found = Found::default();
    let mut members = 0u64;
    let mut stop = None;
    if let Some(mut reader) = reader {
        loop {
            let file = match zip::read::read_zipfile_from_stream(&mut reader) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            };
            members += 1;
            let name = file
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("member #{members}"));
            let mloc = member_loc(&loc, &name);
            if file.is_dir() {
                continue;
            }
            if let Some(why) = unsafe_name(&name) {
                found.extend(member_error(
                    &mloc,
                    InputKind::Unreadable,
                    format!("member name is {why}; not read"),
                ));
                continue;
            }
            if file.encrypted() {
                found.extend(member_error(
                    &mloc,
                    InputKind::Unreadable,
                    "encrypted member (a password is required); not read".into(),
                ));
                continue;
            }
            let checks = Checks {
                member: true,
                decompressed: Some(Compressed::Known(file.compressed_size())),
            };
            found.extend(read_member(
                mloc,
                Box::new(Guard::new(file, checks, ctx.budget)),
                depth,
                ctx,
            ));
        }
    }
    let msg = if members == 0 {
        format!("not a readable zip archive: {cause}")
    } else {
        report.members = Some(members);
        format!(
            "not a complete zip archive ({cause}): cut or damaged; {members} member{} read from their local headers{}",
            if members == 1 { "" } else { "s" },
            stop.map(|e| format!(", then: {e}")).unwrap_or_default()
        )
    };
    report.error = Some(InputError::new(loc, InputErrorKind::Syntax(msg)).to_string());
    let mut all = Found {
        inputs: vec![report],
        ..Found::default()
    };
    all.extend(found);
    all
}

/// Reads one archive member's content as an input of its own, one level deeper.
fn read_member(loc: Location, reader: Box<dyn Read + '_>, depth: u32, ctx: &Ctx) -> Found {
    read_item(
        Item {
            loc,
            reader,
            explicit: false,
            depth: depth + 1,
            compression: None,
            disk_path: None,
        },
        ctx,
    )
}

/// Reads a tar stream (plain, or already decompressed by the caller) member by member.
pub fn read_tar(
    loc: Location,
    reader: Box<dyn Read + '_>,
    compression: Option<String>,
    depth: u32,
    ctx: &Ctx,
) -> Found {
    let mut report = InputReport::new(&loc, InputKind::Tar);
    report.compression = compression;
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            report.error = Some(InputError::new(loc, error_kind(&e)).to_string());
            return Found {
                inputs: vec![report],
                ..Found::default()
            };
        }
    };
    // Results arrive out of order when members are handed off; each carries
    // its member's index, so the report keeps the archive's order.
    let done: Mutex<Vec<(u64, Found)>> = Mutex::new(Vec::new());
    let handoff = Handoff::new();
    let mut members = 0u64;
    rayon::in_place_scope(|scope| {
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let kind = match error_kind(&e) {
                        InputErrorKind::Io(m) => InputErrorKind::Syntax(format!(
                            "damaged or truncated tar archive after {members} members: {m}"
                        )),
                        other => other,
                    };
                    report.error = Some(InputError::new(loc.clone(), kind).to_string());
                    break;
                }
            };
            members += 1;
            let index = members;
            let finish =
                |found: Found| done.lock().expect("no panics hold it").push((index, found));
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let mloc = member_loc(&loc, &name);
            let ty = entry.header().entry_type();
            if ty.is_dir() {
                continue;
            }
            if let Some(why) = unsafe_name(&name) {
                finish(member_error(
                    &mloc,
                    InputKind::Unreadable,
                    format!("member name is {why}; not read"),
                ));
                continue;
            }
            if ty.is_symlink() || ty.is_hard_link() {
                finish(member_error(
                    &mloc,
                    InputKind::Symlink,
                    "link member; not followed".into(),
                ));
                continue;
            }
            if !(ty.is_file() || ty.is_contiguous()) {
                continue;
            }
            let size = entry.size();
            let mut guarded = Guard::new(
                entry,
                Checks {
                    member: true,
                    decompressed: None,
                },
                ctx.budget,
            );
            // Only compressed members are worth a thread of their own: a
            // plain log scans faster than it could be copied to another.
            let mut head = Vec::with_capacity(4);
            if let Err(e) = (&mut guarded).take(4).read_to_end(&mut head) {
                let replay = Replay::new(head, Some(e));
                finish(read_member(mloc, Box::new(replay), depth, ctx));
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
                    let (done, handoff) = (&done, &handoff);
                    scope.spawn(move |_| {
                        let found = read_member(mloc, Box::new(replay), depth, ctx);
                        handoff.give_back(ticket);
                        done.lock().expect("no panics hold it").push((index, found));
                    });
                }
                None => {
                    let whole = io::Cursor::new(head).chain(guarded);
                    finish(read_member(mloc, Box::new(whole), depth, ctx));
                }
            }
        }
    });
    let mut done = done.into_inner().expect("no panics hold it");
    done.sort_unstable_by_key(|(index, _)| *index);
    let mut found = Found::default();
    for (_, f) in done {
        found.extend(f);
    }
    report.members = Some(members);
    let mut all = Found {
        inputs: vec![report],
        ..Found::default()
    };
    all.extend(found);
    all
}

/// Compressed tar members (rotated `.gz` logs, nested archives) up to this
/// size may be read into memory and inflated on another thread, while this
/// one goes on inflating the tar stream; larger members are read in place.
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
    fn new() -> Self {
        Handoff {
            enabled: rayon::current_num_threads() > 1,
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
mod tests;
