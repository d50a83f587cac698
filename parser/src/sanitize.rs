//! Sanitized copies of captures, so a bundle can be shared: `batchdiag redact`.
//!
//! A HAR is streamed entry by entry through the same framer the analyzer
//! uses (memory bounded by the largest entry): credential headers and
//! cookies are blanked, every string goes through
//! [`crate::secrets::redact_str`] (URLs keep everything but their signatures,
//! nested JSON bodies lose their tokens), and base64 text bodies are decoded,
//! redacted and encoded again. Error codes, statuses, URLs and identity ids
//! stay, so `analyze` on the copy finds what it finds on the original. Text
//! files (logs, JSON exports, probes) are redacted line by line.

use std::io::{self, BufRead, Read, Write};

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use crate::har::drop_front;
use crate::har::framing::{Event, Framer, LogField};
use crate::readbuf::fill;
use crate::secrets::{contains_secret, redact_str, REDACTED};

/// What was removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// HAR entries written.
    pub entries: u64,
    /// Credential headers blanked.
    pub headers: u64,
    /// Cookies blanked.
    pub cookies: u64,
    /// Strings (URLs, bodies, values) in which a secret was replaced.
    pub strings: u64,
    /// Text lines in which a secret was replaced.
    pub lines: u64,
    /// HAR entries left out because they were larger than the entry limit.
    pub entries_dropped: u64,
    /// Archive members written sanitized.
    pub members: u64,
    /// Archive members copied unchanged (binary, nested archives): review them by hand.
    pub members_unchanged: u64,
    /// Archive members left out (links, encrypted, unreadable, too large).
    pub members_dropped: u64,
}

impl Stats {
    /// Anything removed at all.
    pub fn found_any(&self) -> bool {
        self.headers + self.cookies + self.strings + self.lines > 0
    }

    fn add(&mut self, o: &Stats) {
        self.entries += o.entries;
        self.entries_dropped += o.entries_dropped;
        self.headers += o.headers;
        self.cookies += o.cookies;
        self.strings += o.strings;
        self.lines += o.lines;
    }
}

/// A seekable writer that keeps nothing: `--check` on a zip writes its copy here.
#[derive(Debug, Default)]
pub struct Discard {
    pos: u64,
    len: u64,
}

impl Write for Discard {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pos += buf.len() as u64;
        self.len = self.len.max(self.pos);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Seek for Discard {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let base = |b: u64, d: i64| {
            b.checked_add_signed(d)
                .ok_or_else(|| io::Error::other("seek before start"))
        };
        self.pos = match to {
            io::SeekFrom::Start(p) => p,
            io::SeekFrom::End(d) => base(self.len, d)?,
            io::SeekFrom::Current(d) => base(self.pos, d)?,
        };
        Ok(self.pos)
    }
}

/// Largest archive member held in memory while it is sanitized (a tar header needs the new size).
pub const MAX_MEMBER_BYTES: u64 = 512 << 20;

/// Sanitizes one member's bytes by content: HAR, text, or (binary) unchanged.
/// Returns the new bytes and whether they were sanitized.
fn sanitize_member(
    name: &str,
    bytes: &[u8],
    stats: &mut Stats,
) -> Result<(Vec<u8>, bool), SanitizeError> {
    let head = &bytes[..bytes.len().min(4096)];
    if let Some(endian) = crate::utf16::bom(head) {
        // UTF-16 text is sanitized, and written, as UTF-8.
        let mut utf8 = Vec::new();
        crate::utf16::Utf16ToUtf8::new(&bytes[2..], endian).read_to_end(&mut utf8)?;
        return sanitize_member(name, &utf8, stats);
    }
    let mut out = Vec::with_capacity(bytes.len());
    if crate::detect::looks_like_har(head) || name.to_ascii_lowercase().ends_with(".har") {
        let s = sanitize_har(bytes, &mut out)?;
        stats.add(&s);
        return Ok((out, true));
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        // A rotated log (`agent-debug.log.2.gz`): sanitize what is inside, compress again.
        let mut inner = Vec::new();
        let decoded = flate2::read::MultiGzDecoder::new(bytes)
            .take(MAX_MEMBER_BYTES + 1)
            .read_to_end(&mut inner);
        if decoded.is_ok() && inner.len() as u64 <= MAX_MEMBER_BYTES {
            let (clean, sanitized) = sanitize_member(name.trim_end_matches(".gz"), &inner, stats)?;
            if sanitized {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(&clean)?;
                return Ok((enc.finish()?, true));
            }
        }
        return Ok((bytes.to_vec(), false));
    }
    // Text as the analyzer judges it (NUL runs allowed), so that nothing it
    // reads as a log is copied unread.
    let binary = !crate::detect::looks_textual(head) || head.starts_with(b"PK");
    if binary {
        return Ok((bytes.to_vec(), false));
    }
    let s = sanitize_text(bytes, &mut out)?;
    stats.add(&s);
    Ok((out, true))
}

fn read_member<R: Read>(r: R, stats: &mut Stats) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    match r.take(MAX_MEMBER_BYTES + 1).read_to_end(&mut bytes) {
        Ok(n) if n as u64 <= MAX_MEMBER_BYTES => Some(bytes),
        _ => {
            stats.members_dropped += 1;
            None
        }
    }
}

/// Reads one member and sanitizes it, counting it as sanitized, unchanged or dropped.
fn clean_member<R: Read>(
    r: R,
    name: &str,
    stats: &mut Stats,
) -> Result<Option<Vec<u8>>, SanitizeError> {
    let Some(bytes) = read_member(r, stats) else {
        return Ok(None);
    };
    let (clean, sanitized) = sanitize_member(name, &bytes, stats)?;
    if sanitized {
        stats.members += 1;
    } else {
        stats.members_unchanged += 1;
    }
    Ok(Some(clean))
}

/// Streams a sanitized copy of a tar (optionally gzip-compressed) archive.
/// Member names lose their secrets too; links are left out.
pub fn sanitize_tar<R: Read, W: Write>(reader: R, out: W) -> Result<Stats, SanitizeError> {
    let mut stats = Stats::default();
    let mut archive = tar::Archive::new(reader);
    let mut builder = tar::Builder::new(out);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let ty = entry.header().entry_type();
        if !(ty.is_file() || ty.is_contiguous()) {
            if !ty.is_dir() {
                stats.members_dropped += 1;
            }
            continue;
        }
        let name = redact_str(&String::from_utf8_lossy(&entry.path_bytes())).into_owned();
        let Some(clean) = clean_member(&mut entry, &name, &mut stats)? else {
            continue;
        };
        let mut h = tar::Header::new_gnu();
        h.set_size(clean.len() as u64);
        h.set_mode(entry.header().mode().unwrap_or(0o644));
        h.set_mtime(entry.header().mtime().unwrap_or(0));
        h.set_cksum();
        builder.append_data(&mut h, &name, &clean[..])?;
    }
    builder.into_inner()?.flush()?;
    Ok(stats)
}

/// Writes a sanitized copy of a zip archive (the output must be seekable).
pub fn sanitize_zip<R: Read + io::Seek, W: Write + io::Seek>(
    reader: R,
    out: W,
) -> Result<Stats, SanitizeError> {
    let zerr = |e: zip::result::ZipError| SanitizeError::Syntax {
        offset: 0,
        message: format!("not a readable zip archive: {e}"),
    };
    let mut stats = Stats::default();
    let mut archive = zip::ZipArchive::new(reader).map_err(zerr)?;
    let mut writer = zip::ZipWriter::new(out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let Ok(file) = archive.by_index(i) else {
            stats.members_dropped += 1;
            continue;
        };
        if file.is_dir() || file.is_symlink() {
            if file.is_symlink() {
                stats.members_dropped += 1;
            }
            continue;
        }
        let name = redact_str(
            &file
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("member-{i}")),
        )
        .into_owned();
        let Some(clean) = clean_member(file, &name, &mut stats)? else {
            continue;
        };
        writer.start_file(name, opts).map_err(zerr)?;
        writer.write_all(&clean)?;
    }
    writer.finish().map_err(zerr)?;
    Ok(stats)
}

/// Why a copy could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SanitizeError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The HAR is damaged at this byte offset; nothing after it was written.
    #[error("byte {offset}: {message}")]
    Syntax {
        /// Byte offset.
        offset: u64,
        /// What was wrong.
        message: String,
    },
}

const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-ms-authorization-auxiliary",
    "ocp-apim-subscription-key",
    "x-functions-key",
    "x-ms-encryption-key",
    "x-identity-header",
    "x-csrf-token",
    "x-xsrf-token",
];

fn secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_HEADERS.contains(&n.as_str())
        || n.starts_with("x-ms-token")
        || n.contains("api-key")
        || n.ends_with("-secret")
}

fn scrub_strings(v: &mut Value, stats: &mut Stats) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(o) = redact_str(s) {
                *s = o;
                stats.strings += 1;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| scrub_strings(x, stats)),
        Value::Object(o) => o.values_mut().for_each(|x| scrub_strings(x, stats)),
        _ => {}
    }
}

fn blank_headers(headers: Option<&mut Value>, stats: &mut Stats) {
    for h in headers.and_then(Value::as_array_mut).into_iter().flatten() {
        let secret = h
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(secret_header);
        if secret && h.get("value").and_then(Value::as_str) != Some(REDACTED) {
            h["value"] = Value::String(REDACTED.into());
            stats.headers += 1;
        }
    }
}

fn blank_cookies(cookies: Option<&mut Value>, stats: &mut Stats) {
    for c in cookies.and_then(Value::as_array_mut).into_iter().flatten() {
        if c.get("value").is_some_and(|v| v.as_str() != Some(REDACTED)) {
            c["value"] = Value::String(REDACTED.into());
            stats.cookies += 1;
        }
    }
}

/// Decodes a base64 text body, redacts it, and encodes it again when something changed.
fn scrub_base64_body(content: &mut Value, stats: &mut Stats) {
    let is_b64 = content
        .get("encoding")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    let Some(text) = content
        .get("text")
        .and_then(Value::as_str)
        .filter(|_| is_b64)
    else {
        return;
    };
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    // Browsers write standard base64; proxies and tools also wrap lines or
    // use the URL-safe alphabet. Every form is read so none hides a token.
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let trimmed = compact.trim_end_matches('=');
    let Some(bytes) = [&STANDARD, &URL_SAFE]
        .iter()
        .find_map(|e| e.decode(&compact).ok())
        .or_else(|| URL_SAFE_NO_PAD.decode(trimmed).ok())
    else {
        return;
    };
    match String::from_utf8(bytes) {
        Ok(body) => {
            if let std::borrow::Cow::Owned(o) = redact_str(&body) {
                content["text"] = Value::String(STANDARD.encode(o));
                stats.strings += 1;
            }
        }
        // Bytes that are not UTF-8 (an image, or text with one stray byte):
        // left as they are unless they hold a credential, which wins over
        // keeping the bytes exact.
        Err(e) => {
            // Images are most of these: only bytes with a hint of a
            // credential are read as text at all.
            if !CREDENTIAL_HINTS.is_match(e.as_bytes()) {
                return;
            }
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            if let std::borrow::Cow::Owned(o) = redact_str(&lossy) {
                content["text"] = Value::String(STANDARD.encode(o));
                stats.strings += 1;
            }
        }
    }
}

/// Literals every credential pattern of [`crate::secrets`] needs one of.
static CREDENTIAL_HINTS: std::sync::LazyLock<aho_corasick::AhoCorasick> =
    std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "eyJ",
                "sig",
                "%73",
                "token",
                "secret",
                "key",
                "passw",
                "bearer",
                "basic",
                "cookie",
                "authorization",
                "code=",
                "signature",
                "value",
                "primary",
                "secondary",
                "x-identity",
            ])
            .expect("constant literals")
    });

/// `[{name, value}]` lists (query strings, form parameters): a value whose
/// name makes it a credential (`sig`, `access_token`, `passwd`, ...) is
/// blanked, by asking the same patterns about `?name=value`.
fn blank_secret_pairs(pairs: Option<&mut Value>, stats: &mut Stats) {
    for p in pairs.and_then(Value::as_array_mut).into_iter().flatten() {
        let (Some(name), Some(value)) = (
            p.get("name").and_then(Value::as_str),
            p.get("value").and_then(Value::as_str),
        ) else {
            continue;
        };
        if value == REDACTED || value.is_empty() {
            continue;
        }
        let secret = contains_secret(&format!("?{name}={value}"));
        if secret {
            p["value"] = Value::String(REDACTED.into());
            stats.strings += 1;
        }
    }
}

/// Sanitizes one HAR entry in place.
pub fn sanitize_entry(entry: &mut Value, stats: &mut Stats) {
    for side in ["request", "response"] {
        if let Some(part) = entry.get_mut(side) {
            blank_headers(part.get_mut("headers"), stats);
            blank_cookies(part.get_mut("cookies"), stats);
            blank_secret_pairs(part.get_mut("queryString"), stats);
            blank_secret_pairs(
                part.get_mut("postData").and_then(|d| d.get_mut("params")),
                stats,
            );
        }
    }
    if let Some(content) = entry.get_mut("response").and_then(|r| r.get_mut("content")) {
        scrub_base64_body(content, stats);
    }
    scrub_strings(entry, stats);
}

/// Streams a sanitized copy of a HAR from `reader` to `out`, with the
/// analyzer's limits: an entry over 64 MiB is left out (and counted), never buffered.
pub fn sanitize_har<R: Read, W: Write + ?Sized>(
    reader: R,
    out: &mut W,
) -> Result<Stats, SanitizeError> {
    let defaults = crate::har::HarOptions::default();
    sanitize_har_with(reader, out, defaults.max_entry_bytes, defaults.chunk_bytes)
}

/// [`sanitize_har`] with an explicit entry limit and read size.
pub fn sanitize_har_with<R: Read, W: Write + ?Sized>(
    mut reader: R,
    out: &mut W,
    max_entry_bytes: usize,
    chunk_bytes: usize,
) -> Result<Stats, SanitizeError> {
    let mut stats = Stats::default();
    let mut framer = Framer::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut base = 0u64;
    let mut eof = false;
    let mut fields: Vec<(LogField, Value)> = Vec::new();
    let mut opened = false;
    let open = |out: &mut W, fields: &[(LogField, Value)]| -> io::Result<()> {
        let get = |f: LogField| fields.iter().find(|(k, _)| *k == f).map(|(_, v)| v.clone());
        let creator = get(LogField::Creator).unwrap_or_else(|| serde_json::json!({"name": "batchdiag redact", "version": env!("CARGO_PKG_VERSION")}));
        write!(
            out,
            "{{\"log\":{{\"version\":{},\"creator\":{}",
            get(LogField::Version).unwrap_or_else(|| "1.2".into()),
            creator
        )?;
        if let Some(b) = get(LogField::Browser) {
            write!(out, ",\"browser\":{b}")?;
        }
        write!(
            out,
            ",\"comment\":\"sanitized by batchdiag redact\",\"entries\":["
        )
    };
    loop {
        match framer.next(&buf, base, eof) {
            Ok(Event::Field { field, start, end }) => {
                let mut v: Value =
                    serde_json::from_slice(&buf[(start - base) as usize..(end - base) as usize])
                        .unwrap_or(Value::Null);
                scrub_strings(&mut v, &mut stats);
                fields.push((field, v));
            }
            Ok(Event::Entry { index, start, end }) => {
                if !opened {
                    open(out, &fields)?;
                    opened = true;
                }
                let bytes = &buf[(start - base) as usize..(end - base) as usize];
                let mut v: Value =
                    serde_json::from_slice(bytes).map_err(|e| SanitizeError::Syntax {
                        offset: start,
                        message: format!("entry {index} is not valid JSON: {e}"),
                    })?;
                sanitize_entry(&mut v, &mut stats);
                if stats.entries > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(b"\n")?;
                serde_json::to_writer(&mut *out, &v).map_err(io::Error::other)?;
                stats.entries += 1;
            }
            // Left out of the copy: nothing of it can leak.
            Ok(Event::Discarded { .. }) => stats.entries_dropped += 1,
            Ok(Event::NeedMore) => {
                drop_front(&mut buf, &mut base, framer.keep_from());
                if buf.len() >= max_entry_bytes {
                    if !framer.in_value() {
                        return Err(SanitizeError::Syntax {
                            offset: base,
                            message: format!(
                                "a single token is larger than the {max_entry_bytes} byte limit"
                            ),
                        });
                    }
                    framer.discard_current();
                    drop_front(&mut buf, &mut base, framer.keep_from());
                }
                if fill(&mut reader, &mut buf, chunk_bytes.max(1))? == 0 {
                    eof = true;
                }
            }
            Ok(Event::End) => break,
            Err(e) => {
                return Err(SanitizeError::Syntax {
                    offset: e.offset,
                    message: e.message,
                })
            }
        }
    }
    if !opened {
        open(out, &fields)?;
    }
    out.write_all(b"\n]}}\n")?;
    out.flush()?;
    Ok(stats)
}

/// Streams a sanitized copy of a text file, line by line.
pub fn sanitize_text<R: BufRead, W: Write + ?Sized>(
    mut reader: R,
    out: &mut W,
) -> Result<Stats, SanitizeError> {
    let mut stats = Stats::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        // Lines are bounded: a longer one is handled in pieces (a secret cut across two pieces may survive).
        let n = (&mut reader).take(1 << 20).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        match redact_str(&text) {
            std::borrow::Cow::Owned(o) => {
                stats.lines += 1;
                out.write_all(o.as_bytes())?;
            }
            std::borrow::Cow::Borrowed(_) => out.write_all(&line)?,
        }
    }
    out.flush()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJvMSJ9.U0lHQ0FOQVJZ";

    fn capture() -> String {
        let inner = serde_json::json!({"responses": [{"name": "n", "httpStatusCode": 409, "content": {"error": {"code": "AutoStorageNoPermission", "message": "m"}}}]}).to_string();
        let token = serde_json::json!({"access_token": JWT, "client_id": "c"}).to_string();
        serde_json::json!({"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "pages": [{"title": "https://x/?sig=PAGESIG"}], "entries": [
            {"startedDateTime": "2024-05-01T10:00:00Z",
             "request": {"method": "POST", "url": "https://management.azure.com/batch?api-version=2020-06-01", "headers": [{"name": "Authorization", "value": format!("Bearer {JWT}")}, {"name": "Accept", "value": "*/*"}], "cookies": [{"name": "s", "value": "COOKIECANARY"}]},
             "response": {"status": 200, "headers": [{"name": "Set-Cookie", "value": "t=SETCOOKIECANARY"}], "content": {"mimeType": "application/json", "text": base64::engine::general_purpose::STANDARD.encode(inner), "encoding": "base64"}}},
            {"startedDateTime": "2024-05-01T10:00:01Z",
             "request": {"method": "GET", "url": "https://sa.blob.core.windows.net/c/b?sv=1&sig=SASCANARY", "headers": []},
             "response": {"status": 200, "content": {"mimeType": "application/json", "text": token}}}
        ]}}).to_string()
    }

    #[test]
    fn utf16_and_nul_led_members_are_sanitized_not_copied() {
        let line = format!("2024-05-01T10:00:00Z token {JWT} health=Status.Ok\n");
        let mut utf16 = vec![0xff, 0xfe];
        for u in line.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let mut nul_led = vec![0u8; 64];
        nul_led.extend_from_slice(line.as_bytes());
        for bytes in [utf16, nul_led] {
            let mut stats = Stats::default();
            let (clean, sanitized) =
                sanitize_member("agent-debug.log", &bytes, &mut stats).unwrap();
            assert!(sanitized);
            let text = String::from_utf8_lossy(&clean);
            assert!(!text.contains("eyJ0eXAi"), "{text}");
            assert!(text.contains("health=Status.Ok"), "{text}");
        }
    }

    #[test]
    fn name_value_lists_and_loose_base64_are_scrubbed() {
        use base64::Engine as _;
        let token_body = format!("{{\"access_token\":\"{JWT}\",\"client_id\":\"c\"}}");
        let url_safe = base64::engine::general_purpose::URL_SAFE.encode(&token_body);
        let mut not_utf8 = token_body.clone().into_bytes();
        not_utf8.push(0xff);
        let wrapped: String = base64::engine::general_purpose::STANDARD
            .encode(&not_utf8)
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned() + "\n")
            .collect();
        let har = serde_json::json!({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [
            {"startedDateTime": "2024-05-01T10:00:00Z", "time": 1,
             "request": {"method": "POST", "url": "https://login.example/x", "headers": [{"name": "x-ms-encryption-key", "value": "EKCANARY"}],
                "queryString": [{"name": "sig", "value": "QSCANARY"}, {"name": "sv", "value": "2022-11-02"}],
                "postData": {"mimeType": "application/x-www-form-urlencoded", "params": [{"name": "passwd", "value": "PWCANARY"}, {"name": "login", "value": "user@contoso.com"}]}},
             "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json", "text": url_safe, "encoding": "base64"}}},
            {"startedDateTime": "2024-05-01T10:00:01Z", "time": 1,
             "request": {"method": "GET", "url": "http://169.254.169.254/metadata/identity/oauth2/token", "headers": []},
             "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json", "text": wrapped, "encoding": "base64"}}}
        ]}});
        let mut out = Vec::new();
        sanitize_har(har.to_string().as_bytes(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for canary in ["EKCANARY", "QSCANARY", "PWCANARY"] {
            assert!(!text.contains(canary), "{canary} left in {text}");
        }
        let v: Value = serde_json::from_str(&text).unwrap();
        for i in 0..2 {
            let b64 = v["log"]["entries"][i]["response"]["content"]["text"]
                .as_str()
                .unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains("eyJ0eXAi"),
                "entry {i} still holds the token"
            );
        }
        assert!(text.contains("user@contoso.com"), "other values stay");
        assert!(text.contains("2022-11-02"));
    }

    #[test]
    fn copy_is_valid_har_without_secrets() {
        let mut out = Vec::new();
        let stats = sanitize_har(capture().as_bytes(), &mut out).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        for canary in [
            "U0lHQ0FOQVJZ",
            "COOKIECANARY",
            "SETCOOKIECANARY",
            "SASCANARY",
            "PAGESIG",
            JWT,
        ] {
            assert!(!text.contains(canary), "{canary} left in {text}");
        }
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["log"]["entries"].as_array().unwrap().len(), 2);
        assert_eq!(
            v["log"]["entries"][0]["request"]["headers"][1]["value"],
            "*/*"
        );
        assert!(v["log"]["entries"][1]["request"]["url"]
            .as_str()
            .unwrap()
            .contains("sig=[REDACTED]"));
        assert_eq!((stats.entries, stats.headers, stats.cookies), (2, 2, 1));
        // The analyzer still finds the inner 409 in the copy.
        let r = crate::har::read_har(
            &out[..],
            &crate::Location::file("copy.har"),
            &Default::default(),
        );
        assert_eq!(
            r.evidence[0].fact.as_arm_error().unwrap().code.as_deref(),
            Some("AutoStorageNoPermission")
        );
        // A sanitized copy is clean.
        let again = sanitize_har(&out[..], &mut io::sink()).unwrap();
        assert!(!again.found_any(), "{again:?}");
    }

    #[test]
    fn text_lines() {
        let mut out = Vec::new();
        let s = sanitize_text(
            &b"ok line\nurl https://a/b?sig=XYZSECRET&sp=r\n"[..],
            &mut out,
        )
        .unwrap();
        assert_eq!(s.lines, 1);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ok line\nurl https://a/b?sig=[REDACTED]&sp=r\n"
        );
    }

    #[test]
    fn archives_are_rewritten_without_secrets() {
        let har = capture();
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("p/n/u/capture.har", har.clone().into_bytes()),
            (
                "p/n/u/agent-debug.log",
                b"2024-05-01T10:00:00Z get https://sa.blob.core.windows.net/c?sig=LOGCANARY\n"
                    .to_vec(),
            ),
            ("p/n/u/blob.bin", vec![0u8, 1, 2, 3]),
        ];
        // tar.gz
        let mut tar = tar::Builder::new(Vec::new());
        for (n, b) in &files {
            let mut h = tar::Header::new_gnu();
            h.set_size(b.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, n, &b[..]).unwrap();
        }
        let tar = tar.into_inner().unwrap();
        let mut out = Vec::new();
        let stats = sanitize_tar(&tar[..], &mut out).unwrap();
        assert_eq!((stats.members, stats.members_unchanged), (2, 1));
        let text = String::from_utf8_lossy(&out);
        for c in ["LOGCANARY", "COOKIECANARY", "SASCANARY", "U0lHQ0FOQVJZ"] {
            assert!(!text.contains(c), "{c}");
        }
        // zip
        let mut zw = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (n, b) in &files {
            zw.start_file(*n, zip::write::SimpleFileOptions::default())
                .unwrap();
            zw.write_all(b).unwrap();
        }
        let zip = zw.finish().unwrap().into_inner();
        let mut out = io::Cursor::new(Vec::new());
        let stats = sanitize_zip(io::Cursor::new(&zip[..]), &mut out).unwrap();
        assert_eq!(stats.members, 2);
        let mut check = Discard::default();
        assert!(
            sanitize_zip(io::Cursor::new(out.get_ref().as_slice()), &mut check)
                .map(|s| !s.found_any())
                .unwrap()
        );
        let mut reread = zip::ZipArchive::new(io::Cursor::new(out.into_inner())).unwrap();
        let mut log = String::new();
        reread
            .by_name("p/n/u/agent-debug.log")
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        assert!(log.contains("sig=[REDACTED]"));
    }

    #[test]
    fn an_oversized_entry_is_left_out_not_buffered() {
        let big = "x".repeat(3000);
        let doc = format!(
            r#"{{"log":{{"entries":[{{"request":{{"url":"https://a/?sig=S1","body":"{big}"}}}},{{"request":{{"url":"https://b/?sig=S2"}}}}]}}}}"#
        );
        let mut out = Vec::new();
        let stats = sanitize_har_with(doc.as_bytes(), &mut out, 1024, 256).unwrap();
        assert_eq!((stats.entries, stats.entries_dropped), (1, 1));
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["log"]["entries"][0]["request"]["url"],
            "https://b/?sig=[REDACTED]"
        );
    }

    #[test]
    fn damaged_har_is_an_error_with_offset() {
        let c = capture();
        let e = sanitize_har(&c.as_bytes()[..c.len() - 40], &mut io::sink()).unwrap_err();
        assert!(matches!(e, SanitizeError::Syntax { .. }), "{e}");
    }
}
