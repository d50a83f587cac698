//! Text copies (logs, JSON exports, probes, notes), line by line in
//! bounded memory. A line longer than the limit is cleaned in pieces that
//! overlap, so a credential that straddles a cut is still seen whole.

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::findings::Findings;
use crate::vocabulary::{opens_context, redact_context_value, redact_noting, REDACTED};

/// Lines are read in pieces of at most this many bytes.
const PIECE: usize = 1 << 20;

/// How much of a piece's end is held back and cleaned with the next piece:
/// longer than any credential the vocabulary knows.
const OVERLAP: usize = 16 << 10;

/// Copies text from `reader` to `out` with every secret removed. A read
/// error (a cut `.gz`) ends the copy after the lines before it, and is listed.
pub fn copy<R: Read>(
    reader: R,
    place: &str,
    out: &mut dyn Write,
    f: &mut Findings,
) -> io::Result<()> {
    let mut reader = BufReader::with_capacity(256 << 10, reader);
    let mut line = Vec::new();
    let mut carry: Vec<u8> = Vec::new();
    let mut number = 0u64;
    let mut ctx = Context::default();
    loop {
        line.clear();
        line.extend_from_slice(&carry);
        carry.clear();
        let before = line.len();
        let n = match (&mut reader)
            .take(PIECE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(n) => n,
            Err(e) => {
                // What was read of the line is still written, cleaned.
                if line.len() > before || !line.is_empty() {
                    write_clean(&line, place, number + 1, out, f, &mut ctx)?;
                }
                f.unread(
                    || format!("{place}:{}", number + 1),
                    format!("the text stops here: {e}; the lines before it are in the copy"),
                    false,
                );
                break;
            }
        };
        if n == 0 {
            if !line.is_empty() {
                write_clean(&line, place, number + 1, out, f, &mut ctx)?;
            }
            break;
        }
        let whole = line.ends_with(b"\n");
        let current = number + 1;
        if !whole && line.len() > OVERLAP {
            // A piece of a long line: the tail waits for the next piece, so
            // a secret cut here is cleaned whole there.
            let keep = line.len() - OVERLAP;
            let cut = char_boundary(&line, keep);
            carry.extend_from_slice(&line[cut..]);
            line.truncate(cut);
        } else {
            number += 1;
        }
        write_clean(&line, place, current, out, f, &mut ctx)?;
        if whole {
            f.lines += 1;
        }
    }
    out.flush()
}

/// What earlier lines say about the next ones.
#[derive(Default)]
struct Context {
    /// Inside a PEM private key that began on an earlier line.
    in_private_key: bool,
    /// Lines left in which a `"value"` is a credential (see [`opens_context`]).
    value_lines: u32,
    /// The bracket that ends the context.
    closer: char,
}

fn write_clean(
    line: &[u8],
    place: &str,
    number: u64,
    out: &mut dyn Write,
    f: &mut Findings,
    ctx: &mut Context,
) -> io::Result<()> {
    let text = String::from_utf8_lossy(line);
    if ctx.in_private_key {
        // The key's body lines go whole; its END line stays.
        let end = text.find("-----END");
        ctx.in_private_key = end.is_none();
        f.secret(|| format!("{place}:{number}"), "private-key");
        let newline = if text.ends_with('\n') { "\n" } else { "" };
        let rest = end.map_or(newline, |e| &text[e..]);
        return write!(out, "{REDACTED}{rest}");
    }
    if text.contains("PRIVATE KEY-----")
        && text.contains("-----BEGIN")
        && !text.contains("-----END")
    {
        ctx.in_private_key = true;
    }
    if let Some((n, closer)) = opens_context(&text) {
        ctx.value_lines = n;
        ctx.closer = closer;
    } else if text.trim_start().starts_with(ctx.closer) {
        ctx.value_lines = 0;
    } else if ctx.value_lines > 0 {
        ctx.value_lines -= 1;
        if let Some(clean) = redact_context_value(&text) {
            f.secret(|| format!("{place}:{number}"), "context-value");
            return out.write_all(clean.as_bytes());
        }
    }
    let mut hits: Vec<&'static str> = Vec::new();
    match redact_noting(&text, &mut |k| hits.push(k)) {
        std::borrow::Cow::Owned(o) => {
            for k in hits {
                f.secret(|| format!("{place}:{number}"), k);
            }
            out.write_all(o.as_bytes())
        }
        std::borrow::Cow::Borrowed(_) => out.write_all(line),
    }
}

/// The nearest earlier index that does not split a UTF-8 character.
fn char_boundary(bytes: &[u8], mut i: usize) -> usize {
    while i > 0 && i < bytes.len() && (bytes[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_place() {
        let mut out = Vec::new();
        let mut f = Findings::default();
        copy(
            &b"ok line\nurl https://a/b?sig=XYZSECRET&sp=r\nlast"[..],
            "x.log",
            &mut out,
            &mut f,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "ok line\nurl https://a/b?sig=[REDACTED]&sp=r\nlast"
        );
        assert_eq!(f.secrets, 1);
        assert_eq!(f.listed[0].place, "x.log:2");
    }

    #[test]
    fn a_secret_across_a_long_line_cut_is_still_removed() {
        // The signature straddles the first 1 MiB piece boundary.
        let mut line = "x".repeat(PIECE - 10);
        line.push_str("&sig=LONGLINECANARY0123456789&se=1\n");
        let mut out = Vec::new();
        let mut f = Findings::default();
        copy(line.as_bytes(), "long.log", &mut out, &mut f).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains("LONGLINECANARY"),
            "{}",
            &text[text.len() - 80..]
        );
        assert_eq!(
            text.len(),
            line.len() - "LONGLINECANARY0123456789".len() + "[REDACTED]".len()
        );
    }

    #[test]
    fn a_cut_stream_keeps_what_came_before() {
        struct Cut(&'static [u8]);
        impl Read for Cut {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut"));
                }
                let n = self.0.len().min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        let mut f = Findings::default();
        copy(Cut(b"one\ntwo\nthr"), "c.log", &mut out, &mut f).unwrap();
        assert_eq!(out, b"one\ntwo\nthr");
        assert_eq!(f.unread, 1);
    }

    #[test]
    fn context_across_lines() {
        let text = "-----BEGIN PRIVATE KEY-----\nPEMBODYCANARY1\nPEMBODYCANARY2\n-----END PRIVATE KEY-----\n{\n  \"id\": \"https://kv.vault.azure.net/secrets/db/1\",\n  \"name\": \"db\",\n  \"value\": \"KVLINECANARY\"\n}\n\"adminPassword\": {\n  \"value\": \"ARMLINECANARY\"\n}\n\"environmentSettings\": [\n  {\n    \"name\": \"MODE\",\n    \"value\": \"ENVLINECANARY\"\n  }\n]\n{\"name\": \"FilePath\",\n \"value\": \"/mnt/x\"}\n";
        let mut out = Vec::new();
        let mut f = Findings::default();
        copy(text.as_bytes(), "x.json", &mut out, &mut f).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("CANARY"), "{out}");
        assert!(
            out.contains("-----END PRIVATE KEY-----")
                && out.contains("MODE")
                && out.contains("/mnt/x"),
            "{out}"
        );
        assert_eq!(out.lines().count(), text.lines().count());
    }
}
