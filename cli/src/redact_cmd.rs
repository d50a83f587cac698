//! `batchdiag redact`: a copy of a capture, log or archive without
//! credentials, or (`--check`) a gate that says whether one still holds any.

use std::io::{self, Write};

use anyhow::Context as _;

use crate::args::RedactArgs;
use crate::{say, EXIT_CLEAN, EXIT_INPUT_ERROR};

/// Exit code of `redact --check`: the input still holds secrets.
const EXIT_SECRETS_FOUND: u8 = 1;

/// Runs `redact`.
pub(crate) fn run(a: RedactArgs) -> anyhow::Result<u8> {
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
