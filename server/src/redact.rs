//! The sanitized copy (`POST /api/v1/redact`). [`copy`] is the one place
//! that calls the copier, so moving to another copier changes one function.

use std::io::{self, BufRead, BufReader, Read, Seek, Write};

use batchdiag_parser::sanitize::{
    sanitize_har, sanitize_tar, sanitize_text, sanitize_zip, SanitizeError, Stats,
};

/// Why no complete copy could be made.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The copier stopped (damaged input, or reading/writing failed).
    #[error("{name}: {source}")]
    Sanitize {
        /// The input's name.
        name: String,
        /// Why.
        source: SanitizeError,
    },
    /// A zip is over the spool limit.
    #[error("{name}: a zip is read with random access and this one is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The input's name.
        name: String,
        /// The limit.
        limit: u64,
    },
}

/// What kind of copy `name` gets: the file name it is sent back as.
pub fn copy_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("upload");
    let safe: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let safe = safe.trim_end_matches(".gz").trim_end_matches(".GZ");
    format!(
        "sanitized-{}",
        if safe.is_empty() { "upload" } else { safe }
    )
}

/// Writes a copy of `reader` (named `name`) without credentials to `out`:
/// HAR stays HAR, tar stays tar (tar.gz stays compressed), `.gz` is
/// decompressed, a zip is spooled to an unlinked temporary file of at most
/// `max_zip` bytes (the zip writer needs random access) and the copy
/// spooled likewise before it is sent, other text line by line.
pub fn copy(
    name: &str,
    reader: impl Read,
    out: &mut dyn Write,
    max_zip: u64,
) -> Result<Stats, CopyError> {
    let fail = |source: SanitizeError| CopyError::Sanitize {
        name: name.to_string(),
        source,
    };
    let io_fail = |e: io::Error| fail(SanitizeError::Io(e));
    let mut reader = BufReader::with_capacity(256 << 10, reader);
    let head = reader.fill_buf().map_err(io_fail)?.to_vec();
    if head.starts_with(b"PK") {
        let mut spool = tempfile::tempfile().map_err(io_fail)?;
        let n = io::copy(&mut (&mut reader).take(max_zip + 1), &mut spool).map_err(io_fail)?;
        if n > max_zip {
            return Err(CopyError::TooLarge {
                name: name.into(),
                limit: max_zip,
            });
        }
        spool.rewind().map_err(io_fail)?;
        let mut copy = tempfile::tempfile().map_err(io_fail)?;
        let stats =
            sanitize_zip(BufReader::new(spool), io::BufWriter::new(&mut copy)).map_err(fail)?;
        copy.rewind().map_err(io_fail)?;
        io::copy(&mut copy, out).map_err(io_fail)?;
        return Ok(stats);
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
    let mut head = reader.fill_buf().map_err(io_fail)?.to_vec();
    if let Some(endian) = batchdiag_parser::utf16::bom(&head) {
        reader.consume(2);
        reader = Box::new(BufReader::with_capacity(
            256 << 10,
            batchdiag_parser::utf16::Utf16ToUtf8::new(reader, endian),
        ));
        head = reader.fill_buf().map_err(io_fail)?.to_vec();
    }
    let lower = name.to_ascii_lowercase();
    if head.get(257..262) == Some(b"ustar") {
        if gz {
            let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::default());
            let s = sanitize_tar(&mut reader, &mut enc).map_err(fail)?;
            enc.try_finish().map_err(io_fail)?;
            return Ok(s);
        }
        return sanitize_tar(&mut reader, out).map_err(fail);
    }
    if batchdiag_parser::detect::looks_like_har(&head)
        || lower.ends_with(".har")
        || lower.ends_with(".har.gz")
    {
        return sanitize_har(&mut reader, out).map_err(fail);
    }
    sanitize_text(&mut reader, out).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_loses_its_sas_signature() {
        let log = b"GET https://a.blob.core.windows.net/c?sv=2022-11-02&sig=AbCdEfGh1234567890abcdefghijklmnopqrstu%3D x\n";
        let mut out = Vec::new();
        let stats = copy("agent.log", &log[..], &mut out, 1 << 20).unwrap();
        assert!(stats.found_any());
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("AbCdEfGh1234567890"), "{out}");
    }

    #[test]
    fn a_zip_over_the_spool_limit_is_refused() {
        let e = copy(
            "x.zip",
            &b"PK\x03\x04 and more bytes"[..],
            &mut Vec::new(),
            4,
        )
        .unwrap_err();
        assert!(matches!(e, CopyError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn copy_names_are_tame() {
        assert_eq!(
            copy_name("a/b/portal \"x\".har"),
            "sanitized-portal__x_.har"
        );
        assert_eq!(copy_name("logs.log.gz"), "sanitized-logs.log");
        assert_eq!(copy_name(""), "sanitized-upload");
    }
}
