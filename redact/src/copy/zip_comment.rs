//! A zip's archive comment: free text at the very end of the file that the
//! copy never carries (a new zip is written without one), but that `--check`
//! must still judge, or the gate would pass an original whose comment holds
//! a credential.

use std::io::{self, Read, Seek, SeekFrom};

use batchdiag_parser::walk::ZipSource;

use crate::findings::Findings;

/// The end-of-central-directory record: its signature, its fixed size, and
/// the largest comment it can announce (APPNOTE 4.3.16).
const EOCD_SIGNATURE: &[u8; 4] = b"PK\x05\x06";
const EOCD_LEN: usize = 22;
const MAX_COMMENT: usize = u16::MAX as usize;

/// The comment of the zip whose last bytes are `tail`, if it has one.
fn comment(tail: &[u8]) -> Option<&[u8]> {
    // The record is searched from the end: a comment may itself hold the
    // signature, and only the last record whose length fits is the real one.
    let last = tail.len().checked_sub(EOCD_LEN)?;
    (0..=last).rev().find_map(|at| {
        let rec = &tail[at..];
        if &rec[..4] != EOCD_SIGNATURE {
            return None;
        }
        let len = usize::from(u16::from_le_bytes([rec[20], rec[21]]));
        (rec.len() == EOCD_LEN + len && len > 0).then(|| &rec[EOCD_LEN..])
    })
}

/// The last bytes of `source` that can hold the record and its comment.
fn tail(source: &ZipSource<'_>) -> io::Result<Vec<u8>> {
    let window = (EOCD_LEN + MAX_COMMENT) as u64;
    match source {
        ZipSource::Bytes(b) => Ok(b[b.len().saturating_sub(window as usize)..].to_vec()),
        ZipSource::Path(p) => tail_of(std::fs::File::open(p)?, window),
        // The clone shares the file's offset, which the walk's positional
        // reads never use, so seeking it disturbs no other reader.
        ZipSource::File(f) => tail_of(f.try_clone()?, window),
    }
}

fn tail_of(mut f: std::fs::File, window: u64) -> io::Result<Vec<u8>> {
    let len = f.seek(SeekFrom::End(0))?;
    f.seek(SeekFrom::Start(len.saturating_sub(window)))?;
    let mut out = Vec::new();
    f.take(window).read_to_end(&mut out)?;
    Ok(out)
}

/// Records each secret in the zip's comment as a finding at `place`. The
/// comment is left out of the copy either way; one that cannot be read is
/// no finding (the walk reports a zip it cannot read).
pub(super) fn check(source: &ZipSource<'_>, place: &str, f: &mut Findings) {
    let Ok(tail) = tail(source) else { return };
    let Some(text) = comment(&tail) else { return };
    let text = String::from_utf8_lossy(text);
    let _ = crate::vocabulary::redact_noting(&text, &mut |kind| {
        f.secret(|| format!("{place} (archive comment)"), kind)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_with(comment: &str) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.set_comment(comment.to_string()).unwrap();
        w.start_file("a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"ok\n").unwrap();
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn a_secret_in_the_comment_is_a_finding_without_its_value() {
        let token = format!("ghp_{}", "c".repeat(36));
        let z = zip_with(&format!("uploaded with {token} PK\x05\x06 inside"));
        let mut f = Findings::default();
        check(&ZipSource::Bytes(&z), "b.zip", &mut f);
        assert_eq!(f.secrets, 1);
        let shown = f.listed[0].to_string();
        assert_eq!(shown, "b.zip (archive comment): github-token");
    }

    #[test]
    fn no_comment_or_a_clean_one_is_no_finding() {
        for z in [zip_with(""), zip_with("made by the node agent")] {
            let mut f = Findings::default();
            check(&ZipSource::Bytes(&z), "b.zip", &mut f);
            assert!(!f.any());
        }
        assert_eq!(comment(b"PK\x05\x06"), None, "shorter than a record");
    }
}
