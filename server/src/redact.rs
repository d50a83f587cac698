//! The sanitized copy (`POST /api/v1/redact`). [`copy`] is the one place
//! that calls the copier, so moving to another copier changes one function.

use std::io::{Read, Write};
use std::sync::Arc;

use batchdiag_parser::Limits;
use batchdiag_redact::{Copier, CopyOptions, Input, Outcome};

use crate::spool::Upload;

/// Why no copy could be made.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The copier could not read the upload or write the answer.
    #[error("{name}: {source}")]
    Copy {
        /// The input's name.
        name: String,
        /// Why.
        source: batchdiag_redact::CopyError,
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
    let safe = safe.as_str();
    format!(
        "sanitized-{}",
        if safe.is_empty() { "upload" } else { safe }
    )
}

/// Writes a copy of `upload` (named `name`) without credentials to `out`,
/// with the same copier as `batchdiag redact`: every container written back
/// as the same kind, HAR stays HAR, what cannot be read is left out and
/// listed in the outcome. A spooled zip is read in place, by positional
/// reads, as `batchdiag redact` reads a local zip; `limits` are the
/// reader's (a zip nested in the upload is held in memory up to
/// `max_in_memory_bytes`).
pub fn copy<R: Read>(
    name: &str,
    upload: Upload<R>,
    out: &mut (dyn Write + Send),
    limits: Limits,
) -> Result<Outcome, CopyError> {
    let opts = CopyOptions {
        limits,
        ..CopyOptions::default()
    };
    let input = match upload {
        Upload::Stream(s) => Input::Reader(Box::new(s)),
        Upload::Spooled(f) => Input::File(Arc::new(f)),
    };
    Copier::new(opts)
        .copy(name, input, out)
        .map_err(|source| CopyError::Copy {
            name: name.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::{prepare, SpoolOptions};

    fn small_memory() -> Limits {
        Limits {
            max_in_memory_bytes: 16,
            ..Limits::default()
        }
    }

    fn spool_opts() -> SpoolOptions {
        SpoolOptions {
            dir: None,
            max_bytes: 1 << 20,
        }
    }

    #[test]
    fn text_loses_its_sas_signature() {
        let log = b"GET https://a.blob.core.windows.net/c?sv=2022-11-02&sig=AbCdEfGh1234567890abcdefghijklmnopqrstu%3D x\n";
        let (up, _) = prepare("agent.log", &log[..], &spool_opts()).unwrap();
        let mut out = Vec::new();
        let outcome = copy("agent.log", up, &mut out, Limits::default()).unwrap();
        assert!(outcome.findings.secrets > 0);
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("AbCdEfGh1234567890"), "{out}");
    }

    /// A zip upload was held in memory up to the spool limit to be copied;
    /// spooled, it is read in place, so a zip far over the in-memory limit
    /// is copied whole and clean.
    #[test]
    fn a_spooled_zip_is_copied_in_place_over_the_in_memory_limit() {
        let log = b"2024-05-01T10:00:00Z get https://sa.blob.core.windows.net/c?sv=1&sig=ZIPLOGCANARY1234567890abcdefghij%3D x\n";
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file(
            "n/agent-debug.log",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(log).unwrap();
        let zip = zip.finish().unwrap().into_inner();
        assert!(zip.len() > 16);
        let (up, spooled) = prepare("x.zip", &zip[..], &spool_opts()).unwrap();
        assert!(matches!(up, Upload::Spooled(_)) && spooled == zip.len() as u64);
        let mut out = Vec::new();
        let o = copy("x.zip", up, &mut out, small_memory()).unwrap();
        assert_eq!(o.findings.unread, 0, "{:?}", o.findings);
        assert!(o.findings.secrets > 0);
        let mut back = zip::ZipArchive::new(std::io::Cursor::new(out)).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut back.by_index(0).unwrap(), &mut text).unwrap();
        assert!(text.contains("sa.blob.core.windows.net"), "{text}");
        assert!(!text.contains("ZIPLOGCANARY"), "{text}");
    }

    #[test]
    fn a_zip_from_a_stream_over_the_in_memory_limit_is_left_out_and_listed() {
        let zip = b"PK\x03\x04 and more bytes";
        let up = Upload::Stream(std::io::Cursor::new(Vec::new()).chain(&zip[..]));
        let mut out = Vec::new();
        let o = copy("x.zip", up, &mut out, small_memory()).unwrap();
        assert!(out.is_empty() && o.findings.unread == 1, "{:?}", o.findings);
    }

    #[test]
    fn copy_names_are_tame() {
        assert_eq!(
            copy_name("a/b/portal \"x\".har"),
            "sanitized-portal__x_.har"
        );
        assert_eq!(copy_name("logs.log.gz"), "sanitized-logs.log.gz");
        assert_eq!(copy_name(""), "sanitized-upload");
    }
}
