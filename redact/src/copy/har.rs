//! HAR copies: streamed entry by entry through the reader's framing (memory
//! bounded by the largest entry), each entry cleaned as JSON, so the copy
//! is valid HAR that `analyze` still reads.
//!
//! Credential headers and cookies are blanked by name, query-string and
//! form pairs by name and value, every other string goes through the
//! vocabulary, and encoded content is decoded first: base64 bodies, gzip
//! inside them, and binary WebSocket frames (`_webSocketMessages`, opcode
//! 2). A body that cannot be decoded is blanked (and listed), never copied
//! unread. A capture cut short still gives a valid file, with a `_batchdiag`
//! note of where it was cut.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Read, Write};

use base64::Engine as _;
use batchdiag_parser::har::framing::LogField;
use batchdiag_parser::har::stream::{Part, Parts};
use serde_json::Value;

use super::har_fast;
use super::ordered::Ordered;
use crate::findings::Findings;
use crate::vocabulary::{
    candidates_in, redact_among, redact_noting, secret_header, secret_pair, REDACTED,
};

/// Largest decompressed gzip body read inside an entry.
const MAX_INNER_BODY: u64 = 64 << 20;

/// Copies a HAR capture from `reader` to `out`, cleaned, with entries
/// cleaned on one thread per core.
pub fn copy<R: Read>(
    reader: R,
    place: &str,
    out: &mut dyn Write,
    f: &mut Findings,
    max_entry_bytes: usize,
) -> io::Result<()> {
    copy_threaded(reader, place, out, f, max_entry_bytes, 0)
}

/// [`copy`] with `threads` cleaning threads (0: one per core; 1: all on
/// the calling thread). The copy is the same whatever the count.
pub fn copy_threaded<R: Read>(
    reader: R,
    place: &str,
    out: &mut dyn Write,
    f: &mut Findings,
    max_entry_bytes: usize,
    threads: usize,
) -> io::Result<()> {
    let how = How {
        max_entry_bytes,
        chunk_bytes: 4 << 20,
        threads,
        batch_bytes: BATCH_BYTES,
        fast: true,
    };
    copy_how(reader, place, out, f, &how)
}

/// [`copy`] with an explicit read size (tests use small ones).
pub fn copy_with<R: Read>(
    reader: R,
    place: &str,
    out: &mut dyn Write,
    f: &mut Findings,
    max_entry_bytes: usize,
    chunk_bytes: usize,
) -> io::Result<()> {
    let how = How {
        max_entry_bytes,
        chunk_bytes,
        threads: 0,
        batch_bytes: BATCH_BYTES,
        fast: true,
    };
    copy_how(reader, place, out, f, &how)
}

/// Entries go to the cleaning threads in batches of about this many bytes:
/// large enough that handing them over costs nothing next to cleaning them.
const BATCH_BYTES: usize = 1 << 20;

/// Bytes of entries handed to the cleaning threads and not yet written
/// (what pipelining adds to memory, beyond one entry larger than this).
const IN_FLIGHT_BYTES: usize = 8 << 20;

/// How a capture is copied.
pub(crate) struct How {
    pub(crate) max_entry_bytes: usize,
    pub(crate) chunk_bytes: usize,
    pub(crate) threads: usize,
    pub(crate) batch_bytes: usize,
    /// Entries the tape reads are copied by [`har_fast`] (tests turn it
    /// off to hold it to the slow path).
    pub(crate) fast: bool,
}

/// Entries in a row, as the framing gave them, to be cleaned together.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    items: Vec<Item>,
}

enum Item {
    Entry { index: u64, end: usize },
    Skipped { index: u64, len: u64 },
}

/// A batch cleaned: the written entries end to end, and their findings.
struct Cleaned {
    out: Vec<u8>,
    ends: Vec<usize>,
    findings: Findings,
}

/// Cleans a batch as the one-thread copy would, entry by entry.
fn clean_batch(batch: Batch, place: &str, how: &How) -> io::Result<Cleaned> {
    let max_entry_bytes = how.max_entry_bytes;
    let mut c = Cleaned {
        out: Vec::with_capacity(batch.bytes.len()),
        ends: Vec::with_capacity(batch.items.len()),
        findings: Findings::default(),
    };
    let f = &mut c.findings;
    let mut scratch = har_fast::Scratch::default();
    let mut start = 0;
    for item in batch.items {
        match item {
            Item::Entry { index, end } => {
                let bytes = &batch.bytes[start..end];
                start = end;
                let entry_place = || format!("{place}: log.entries[{index}]");
                if how.fast && har_fast::clean(bytes, &entry_place, &mut c.out, f, &mut scratch)? {
                    c.ends.push(c.out.len());
                    f.entries += 1;
                    continue;
                }
                let mut v: Value = match serde_json::from_slice(bytes) {
                    Ok(v) => v,
                    Err(e) => {
                        f.unread(entry_place, format!("not valid JSON: {e}"), false);
                        continue;
                    }
                };
                clean_entry(&mut v, &entry_place(), f);
                write_keeping_numbers(&mut c.out, &v, bytes)?;
                c.ends.push(c.out.len());
                f.entries += 1;
            }
            Item::Skipped { index, len } => f.unread(
                || format!("{place}: log.entries[{index}]"),
                format!("an entry of {len} bytes, over the {max_entry_bytes} byte limit"),
                false,
            ),
        }
    }
    Ok(c)
}

/// Where cleaned batches are written, in order.
struct Sink<'o, 'f> {
    out: &'o mut dyn Write,
    f: &'f mut Findings,
    written: u64,
}

impl Sink<'_, '_> {
    fn emit(&mut self, cleaned: io::Result<Cleaned>) -> io::Result<()> {
        let c = cleaned?;
        let mut start = 0;
        for &end in &c.ends {
            self.out
                .write_all(if self.written > 0 { b",\n" } else { b"\n" })?;
            self.out.write_all(&c.out[start..end])?;
            start = end;
            self.written += 1;
        }
        self.f.extend(c.findings);
        Ok(())
    }
}

pub(crate) fn copy_how<R: Read>(
    reader: R,
    place: &str,
    out: &mut dyn Write,
    f: &mut Findings,
    how: &How,
) -> io::Result<()> {
    let threads = match how.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let work = |b: Batch| clean_batch(b, place, how);
    std::thread::scope(|scope| {
        let mut pool = Ordered::new(scope, &work, threads, IN_FLIGHT_BYTES);
        let mut sink = Sink { out, f, written: 0 };
        let mut parts = Parts::new(reader, how.max_entry_bytes, how.chunk_bytes);
        let mut fields: Vec<(LogField, Vec<u8>)> = Vec::new();
        let mut batch = Batch::default();
        let mut opened = false;
        let mut cut = None;
        loop {
            let part = match parts.next_part() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) => {
                    cut = Some(e);
                    break;
                }
            };
            match part {
                Part::Field { field, value } => {
                    // A field after entries (rare) keeps its findings after theirs.
                    if !batch.items.is_empty() {
                        let b = std::mem::take(&mut batch);
                        let weight = b.bytes.len();
                        pool.submit(b, weight, &mut |c| sink.emit(c))?;
                    }
                    pool.finish(&mut |c| sink.emit(c))?;
                    let mut v: Value = serde_json::from_slice(value).unwrap_or(Value::Null);
                    let mut path = format!("log.{field:?}").to_ascii_lowercase();
                    scrub_strings(&mut v, &mut path, place, sink.f);
                    let mut bytes = Vec::new();
                    write_keeping_numbers(&mut bytes, &v, value)?;
                    fields.push((field, bytes));
                }
                Part::Entry { index, bytes, .. } => {
                    if !opened {
                        open(sink.out, &fields)?;
                        opened = true;
                    }
                    batch.bytes.extend_from_slice(bytes);
                    batch.items.push(Item::Entry {
                        index,
                        end: batch.bytes.len(),
                    });
                }
                Part::Skipped { index, len, .. } => batch.items.push(Item::Skipped { index, len }),
            }
            if batch.bytes.len() >= how.batch_bytes {
                let b = std::mem::take(&mut batch);
                let weight = b.bytes.len();
                pool.submit(b, weight, &mut |c| sink.emit(c))?;
            }
        }
        if !batch.items.is_empty() {
            let weight = batch.bytes.len();
            pool.submit(batch, weight, &mut |c| sink.emit(c))?;
        }
        pool.finish(&mut |c| sink.emit(c))?;
        let written = sink.written;
        let (out, f) = (sink.out, sink.f);
        if !opened {
            open(out, &fields)?;
        }
        out.write_all(b"\n]")?;
        if let Some(e) = cut {
            let at = e.offset().map_or_else(
                || format!("after {} bytes", parts.bytes_read()),
                |o| format!("at byte {o}"),
            );
            let why = format!(
                "the capture is cut or damaged {at} ({e}); {written} entries before it are in the copy"
            );
            write!(out, ",\"_batchdiag\":")?;
            serde_json::to_writer(&mut *out, &why).map_err(io::Error::other)?;
            f.unread(|| place.to_string(), why, false);
        }
        out.write_all(b"}}\n")?;
        Ok(())
    })
}

fn open(out: &mut dyn Write, fields: &[(LogField, Vec<u8>)]) -> io::Result<()> {
    let get = |f: LogField| fields.iter().find(|(k, _)| *k == f).map(|(_, v)| &v[..]);
    out.write_all(b"{\"log\":{\"version\":")?;
    out.write_all(get(LogField::Version).unwrap_or(b"\"1.2\""))?;
    out.write_all(b",\"creator\":")?;
    match get(LogField::Creator) {
        Some(c) => out.write_all(c)?,
        None => write!(
            out,
            "{}",
            serde_json::json!({"name": "batchdiag redact", "version": env!("CARGO_PKG_VERSION")})
        )?,
    }
    if let Some(b) = get(LogField::Browser) {
        out.write_all(b",\"browser\":")?;
        out.write_all(b)?;
    }
    write!(
        out,
        ",\"comment\":\"sanitized by batchdiag redact\",\"entries\":["
    )
}

/// Writes the cleaned `v` as JSON with its numbers copied byte for byte
/// from `raw`, the text it was parsed from: a number read as a float and
/// written back can change its last digit (`0.30000000000000004`), and
/// `1e3` would come back as `1000.0`. Cleaning replaces strings only, and
/// objects keep their order, so the numbers of `v` are those of `raw` in
/// the same order; when the counts differ (a duplicated key), serde's own
/// writing is used.
fn write_keeping_numbers(out: &mut Vec<u8>, v: &Value, raw: &[u8]) -> io::Result<()> {
    let spans = number_spans(raw);
    if spans.len() != count_numbers(v) {
        return serde_json::to_writer(out, v).map_err(io::Error::other);
    }
    let mut next = spans.iter();
    write_value(out, v, raw, &mut next)
}

fn count_numbers(v: &Value) -> usize {
    match v {
        Value::Number(_) => 1,
        Value::Array(a) => a.iter().map(count_numbers).sum(),
        Value::Object(o) => o.values().map(count_numbers).sum(),
        _ => 0,
    }
}

fn write_value(
    out: &mut Vec<u8>,
    v: &Value,
    raw: &[u8],
    next: &mut std::slice::Iter<'_, (usize, usize)>,
) -> io::Result<()> {
    match v {
        Value::Number(n) => match next.next() {
            Some(&(s, e)) => out.extend_from_slice(&raw[s..e]),
            None => out.extend_from_slice(n.to_string().as_bytes()),
        },
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, x, raw, next)?;
            }
            out.push(b']');
        }
        Value::Object(o) => {
            out.push(b'{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, k).map_err(io::Error::other)?;
                out.push(b':');
                write_value(out, x, raw, next)?;
            }
            out.push(b'}');
        }
        other => serde_json::to_writer(&mut *out, other).map_err(io::Error::other)?,
    }
    Ok(())
}

/// Where the numbers of a JSON text are, in order (strings skipped).
fn number_spans(raw: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'"' => {
                i += 1;
                while let Some(j) = memchr::memchr2(b'"', b'\\', &raw[i..]) {
                    if raw[i + j] == b'\\' {
                        i += j + 2;
                    } else {
                        i += j + 1;
                        break;
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < raw.len()
                    && matches!(raw[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                spans.push((start, i));
            }
            _ => i += 1,
        }
    }
    spans
}

/// Cleans one HAR entry in place; `place` names it in findings.
pub fn clean_entry(entry: &mut Value, place: &str, f: &mut Findings) {
    for side in ["request", "response"] {
        if let Some(part) = entry.get_mut(side) {
            blank_headers(part.get_mut("headers"), place, side, f);
            blank_cookies(part.get_mut("cookies"), place, side, f);
            blank_pairs(
                part.get_mut("queryString"),
                place,
                &format!("{side}.queryString"),
                f,
            );
            blank_pairs(
                part.get_mut("postData").and_then(|d| d.get_mut("params")),
                place,
                &format!("{side}.postData.params"),
                f,
            );
        }
    }
    if let Some(content) = entry.get_mut("response").and_then(|r| r.get_mut("content")) {
        let encoded = content
            .get("encoding")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
        if encoded {
            if let Some(text) = content.get_mut("text") {
                clean_encoded(text, place, "response.content.text", f);
            }
        }
    }
    if let Some(frames) = entry
        .get_mut("_webSocketMessages")
        .and_then(Value::as_array_mut)
    {
        for (i, frame) in frames.iter_mut().enumerate() {
            // Opcode 2 is a binary frame, which HAR writers store as base64.
            if frame.get("opcode").and_then(Value::as_u64) == Some(2) {
                if let Some(data) = frame.get_mut("data") {
                    clean_encoded(data, place, &format!("_webSocketMessages[{i}].data"), f);
                }
            }
        }
    }
    // Encoded bodies were decoded and cleaned above; read as text, random
    // base64 would now and then look like a key, and a rewrite would break it.
    let mut encoded = take_encoded(entry);
    let mut path = String::new();
    scrub_strings(entry, &mut path, place, f);
    put_back_encoded(entry, &mut encoded);
}

/// The encoded strings of an entry (a base64 body, binary frames), taken out.
fn take_encoded(entry: &mut Value) -> Vec<String> {
    encoded_slots(entry)
        .into_iter()
        .filter_map(|slot| match slot {
            Value::String(s) => Some(std::mem::take(s)),
            _ => None,
        })
        .collect()
}

fn put_back_encoded(entry: &mut Value, taken: &mut Vec<String>) {
    let mut it = taken.drain(..);
    for slot in encoded_slots(entry) {
        if let (Value::String(s), Some(t)) = (slot, it.next()) {
            *s = t;
        }
    }
}

/// The base64 body and binary frames of an entry, in a fixed order.
fn encoded_slots(entry: &mut Value) -> Vec<&mut Value> {
    let mut slots = Vec::new();
    let Value::Object(o) = entry else {
        return slots;
    };
    let mut body = None;
    let mut frames = None;
    for (k, v) in o.iter_mut() {
        match k.as_str() {
            "response" => body = v.get_mut("content"),
            "_webSocketMessages" => frames = v.as_array_mut(),
            _ => {}
        }
    }
    if let Some(content) = body {
        let encoded = content
            .get("encoding")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
        if let Some(t) = content.get_mut("text").filter(|t| encoded && t.is_string()) {
            slots.push(t);
        }
    }
    for frame in frames.into_iter().flatten() {
        if frame.get("opcode").and_then(Value::as_u64) == Some(2) {
            if let Some(d) = frame.get_mut("data").filter(|d| d.is_string()) {
                slots.push(d);
            }
        }
    }
    slots
}

/// Every string of `v` through the vocabulary; `path` is the JSON path so far.
fn scrub_strings(v: &mut Value, path: &mut String, place: &str, f: &mut Findings) {
    match v {
        Value::String(s) => {
            let mut hits: Vec<&'static str> = Vec::new();
            if let std::borrow::Cow::Owned(o) = redact_noting(s, &mut |k| hits.push(k)) {
                *s = o;
            }
            for k in hits {
                f.secret(|| format!("{place} {}", path.trim_start_matches('.')), k);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                let len = path.len();
                // Written in place: a path per array element was an allocation each.
                let _ = write!(path, "[{i}]");
                scrub_strings(x, path, place, f);
                path.truncate(len);
            }
        }
        Value::Object(o) => {
            // Keys are text the copy writes too (a custom field named by a
            // signed URL): a key that changes is written cleaned.
            if o.keys().any(|k| !key_is_clean(k.as_bytes())) {
                for (k, x) in std::mem::take(o) {
                    let mut hits: Vec<&'static str> = Vec::new();
                    let k = redact_noting(&k, &mut |h| hits.push(h)).into_owned();
                    for h in hits {
                        f.secret(
                            || format!("{place} {}.{k} (its key)", path.trim_start_matches('.')),
                            h,
                        );
                    }
                    o.insert(k, x);
                }
            }
            for (k, x) in o.iter_mut() {
                let len = path.len();
                path.push('.');
                path.push_str(k);
                scrub_strings(x, path, place, f);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn blank_headers(headers: Option<&mut Value>, place: &str, side: &str, f: &mut Findings) {
    for h in headers.and_then(Value::as_array_mut).into_iter().flatten() {
        let Some(name) = h.get("name").and_then(Value::as_str).map(str::to_string) else {
            continue;
        };
        let has_value = h
            .get("value")
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty() && v != REDACTED);
        if secret_header(&name) && has_value {
            h["value"] = Value::String(REDACTED.into());
            f.secret(
                || format!("{place} {side}.headers[{name}]"),
                "credential-header",
            );
        }
    }
}

fn blank_cookies(cookies: Option<&mut Value>, place: &str, side: &str, f: &mut Findings) {
    for c in cookies.and_then(Value::as_array_mut).into_iter().flatten() {
        if c.get("value")
            .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty() && s != REDACTED))
        {
            c["value"] = Value::String(REDACTED.into());
            let name = c
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            f.secret(|| format!("{place} {side}.cookies[{name}]"), "cookie");
        }
    }
}

/// `[{name, value}]` lists (query strings, form parameters).
fn blank_pairs(pairs: Option<&mut Value>, place: &str, field: &str, f: &mut Findings) {
    for p in pairs.and_then(Value::as_array_mut).into_iter().flatten() {
        let (Some(name), Some(value)) = (
            p.get("name").and_then(Value::as_str),
            p.get("value").and_then(Value::as_str),
        ) else {
            continue;
        };
        if secret_pair(name, value) {
            let name = name.to_string();
            p["value"] = Value::String(REDACTED.into());
            f.secret(|| format!("{place} {field}[{name}]"), "secret-parameter");
        }
    }
}

/// A base64 string (a body, a binary frame): decoded, inflated when it is
/// gzip, cleaned as text, and encoded again when something changed. What
/// cannot be decoded is blanked: bytes that were not read are not copied.
fn clean_encoded(text: &mut Value, place: &str, field: &str, f: &mut Findings) {
    let Some(encoded) = text.as_str() else { return };
    if let Some(new) = clean_encoded_text(encoded, place, field, f) {
        *text = Value::String(new);
    }
}

/// [`clean_encoded`] of the string `encoded`: its new text, or `None` when
/// it stays as it is.
pub(super) fn clean_encoded_text(
    encoded: &str,
    place: &str,
    field: &str,
    f: &mut Findings,
) -> Option<String> {
    if encoded.is_empty() {
        return None;
    }
    let Some(bytes) = decode_base64(encoded) else {
        f.unread(
            || format!("{place} {field}"),
            "a base64 body that does not decode; blanked",
            false,
        );
        return Some(String::new());
    };
    let (plain, gzipped) = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut inner = Vec::new();
        let read = flate2::read::MultiGzDecoder::new(&bytes[..])
            .take(MAX_INNER_BODY + 1)
            .read_to_end(&mut inner);
        if read.is_err() || inner.len() as u64 > MAX_INNER_BODY {
            f.unread(
                || format!("{place} {field}"),
                "a gzip body that does not inflate (or is too large); blanked",
                false,
            );
            return Some(String::new());
        }
        (inner, true)
    } else {
        (bytes, false)
    };
    let mut hits: Vec<&'static str> = Vec::new();
    let clean = match std::str::from_utf8(&plain) {
        Ok(s) => redact_noting(s, &mut |k| hits.push(k)),
        // Bytes that are not UTF-8 (an image, mostly): only read as text
        // when they hold a hint of a credential; then the credential wins
        // over keeping the bytes exact. The hints are ASCII, so the bytes
        // hold the same ones as their lossy text: found once, on the bytes.
        Err(_) => {
            let set = candidates_in(&plain);
            if set == 0 {
                return None;
            }
            let lossy = String::from_utf8_lossy(&plain);
            match redact_among(&lossy, set, &mut |k| hits.push(k)) {
                Cow::Owned(o) => Cow::Owned(o),
                // Nothing replaced, so nothing found.
                Cow::Borrowed(_) => return None,
            }
        }
    };
    if hits.is_empty() {
        return None;
    }
    for k in hits {
        f.secret(|| format!("{place} {field}"), k);
    }
    let clean = clean.into_owned().into_bytes();
    let bytes = if gzipped {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&clean).ok()?;
        enc.finish().ok()?
    } else {
        clean
    };
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Browsers write standard base64; proxies and tools also wrap lines or
/// use the URL-safe alphabet, with or without padding. Every form is read.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    // Browsers never wrap lines: only a wrapped body is copied without its breaks.
    let compact: Cow<'_, str> = if text.bytes().any(|b| b.is_ascii_whitespace()) {
        Cow::Owned(text.chars().filter(|c| !c.is_ascii_whitespace()).collect())
    } else {
        Cow::Borrowed(text)
    };
    let compact = &*compact;
    let trimmed = compact.trim_end_matches('=');
    [&STANDARD, &URL_SAFE]
        .iter()
        .find_map(|e| e.decode(compact).ok())
        .or_else(|| {
            [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD]
                .iter()
                .find_map(|e| e.decode(trimmed).ok())
        })
}

/// Most keys [`key_is_clean`] remembers per thread: a capture's keys are its
/// schema's few names.
const CLEAN_KEYS_MAX: usize = 512;

/// False when `key` (an object key) holds a secret. Hints alone are common
/// in keys (every header has a `value`), so a key found clean is remembered
/// and run through the vocabulary once per thread, not once per entry.
pub(super) fn key_is_clean(key: &[u8]) -> bool {
    use std::cell::RefCell;
    use std::collections::HashSet;
    thread_local! {
        static CLEAN: RefCell<HashSet<Box<[u8]>>> = RefCell::new(HashSet::new());
    }
    if candidates_in(key) == 0 {
        return true;
    }
    if CLEAN.with(|c| c.borrow().contains(key)) {
        return true;
    }
    let clean = std::str::from_utf8(key)
        .is_ok_and(|k| matches!(redact_noting(k, &mut |_| {}), Cow::Borrowed(_)));
    if clean {
        CLEAN.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() < CLEAN_KEYS_MAX {
                c.insert(key.into());
            }
        });
    }
    clean
}

#[cfg(test)]
mod number_tests {
    use super::*;

    #[test]
    fn numbers_are_copied_byte_for_byte() {
        let raw = br#"{"time":0.30000000000000004,"n":1e3,"big":123456789012345678901234567890,"s":"a\"1.5","t":[-0.0,2.50]}"#;
        let v: Value = serde_json::from_slice(raw).unwrap();
        let mut out = Vec::new();
        write_keeping_numbers(&mut out, &v, raw).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            String::from_utf8(raw.to_vec()).unwrap()
        );
    }

    #[test]
    fn a_har_copy_keeps_every_number() {
        let har = r#"{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"pages":[{"pageTimings":{"onLoad":1234.5670000000001}}],"entries":[{"startedDateTime":"2024-05-01T10:00:00Z","time":0.27399999999999997,"request":{"method":"GET","url":"https://a/?sig=NUMCANARY","headers":[],"headersSize":-1,"bodySize":0},"response":{"status":200,"headers":[],"content":{"size":1E2,"mimeType":"text/plain","text":"x"}},"timings":{"wait":12.300000000000001}}]}}"#;
        let mut out = Vec::new();
        let mut f = Findings::default();
        copy(har.as_bytes(), "n.har", &mut out, &mut f, 1 << 20).unwrap();
        let text = String::from_utf8(out).unwrap();
        for n in ["0.27399999999999997", "1E2", "12.300000000000001", "-1"] {
            assert!(text.contains(n), "{n} changed: {text}");
        }
        assert!(!text.contains("NUMCANARY"));
        serde_json::from_str::<Value>(&text).unwrap();
    }
}

#[cfg(test)]
mod thread_tests {
    use super::*;

    /// A capture whose entries span many batches, with an entry over the
    /// limit, one that is not JSON and a `log` field after the entries.
    fn capture() -> String {
        let mut entries = Vec::new();
        for i in 0..300 {
            entries.push(match i % 50 {
                7 => format!(r#"{{"big":"{}"}}"#, "x".repeat(3000)),
                13 => r#"{"broken": tru}"#.to_string(),
                _ => format!(
                    r#"{{"time":{i}.10000000000000001,"request":{{"url":"https://sa/c?sv=1&sig=THREADCANARY{i}","headers":[{{"name":"Authorization","value":"Bearer abcdefghijklmnopqrstuvwxyz{i}"}}]}},"response":{{"content":{{"text":"ok {i}"}}}}}}"#
                ),
            });
        }
        format!(
            r#"{{"log":{{"version":"1.2","entries":[{}],"creator":{{"name":"late ?sig=FIELDCANARY"}}}}}}"#,
            entries.join(",")
        )
    }

    fn run(doc: &str, threads: usize, batch_bytes: usize) -> (Vec<u8>, Vec<String>, u64) {
        let how = How {
            max_entry_bytes: 2048,
            chunk_bytes: 1000,
            threads,
            batch_bytes,
            fast: true,
        };
        let mut out = Vec::new();
        let mut f = Findings::default();
        copy_how(doc.as_bytes(), "t.har", &mut out, &mut f, &how).unwrap();
        let listed = f.listed.iter().map(|x| x.to_string()).collect();
        (out, listed, f.entries)
    }

    #[test]
    fn the_copy_is_the_same_on_any_number_of_threads() {
        let doc = capture();
        let one = run(&doc, 1, 1 << 20);
        assert!(one.2 > 250 && one.1.len() > 500, "{}", one.1.len());
        assert!(!String::from_utf8_lossy(&one.0).contains("CANARY"));
        assert!(one.1.iter().any(|l| l.contains("over the 2048 byte limit")));
        assert!(one.1.iter().any(|l| l.contains("not valid JSON")));
        for (threads, batch) in [(2, 1), (2, 700), (3, 4096), (8, 50_000)] {
            assert_eq!(
                run(&doc, threads, batch),
                one,
                "{threads} threads, batches of {batch}"
            );
        }
    }
}
