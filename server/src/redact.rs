//! The sanitized copy (`POST /api/v1/redact`). [`copy`] is the one place
//! that calls the copier, so moving to another copier changes one function.

use std::io::{Read, Write};

use batchdiag_redact::{Copier, CopyOptions, Input, Outcome};

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

/// Writes a copy of `reader` (named `name`) without credentials to `out`,
/// with the same copier as `batchdiag redact`: every container written back
/// as the same kind (a zip is held in memory up to `max_zip` bytes to be
/// read, and streamed out), HAR stays HAR, what cannot be read is left out
/// and listed in the outcome.
pub fn copy(
    name: &str,
    reader: impl Read,
    out: &mut (dyn Write + Send),
    max_zip: u64,
) -> Result<Outcome, CopyError> {
    let mut opts = CopyOptions::default();
    opts.limits.max_in_memory_bytes = max_zip;
    Copier::new(opts)
        .copy(name, Input::Reader(Box::new(reader)), out)
        .map_err(|source| CopyError::Copy {
            name: name.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_loses_its_sas_signature() {
        let log = b"GET https://a.blob.core.windows.net/c?sv=2022-11-02&sig=AbCdEfGh1234567890abcdefghijklmnopqrstu%3D x\n";
        let mut out = Vec::new();
        let outcome = copy("agent.log", &log[..], &mut out, 1 << 20).unwrap();
        assert!(outcome.findings.secrets > 0);
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("AbCdEfGh1234567890"), "{out}");
    }

    #[test]
    fn a_zip_over_the_in_memory_limit_is_left_out_and_listed() {
        let mut out = Vec::new();
        let o = copy("x.zip", &b"PK\x03\x04 and more bytes"[..], &mut out, 4).unwrap();
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
