//! A zip's archive comment: free text at the very end of the file that the
//! copy never carries (a new zip is written without one), but that `--check`
//! must still judge, or the gate would pass an original whose comment holds
//! a credential.

use crate::findings::Findings;

/// Records each secret in the zip's comment (as the walk read it) as a
/// finding at `place`. The comment is left out of the copy either way.
pub(super) fn check(comment: &[u8], place: &str, f: &mut Findings) {
    if comment.is_empty() {
        return;
    }
    let text = String::from_utf8_lossy(comment);
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

    /// The comment as the walk sees it: what the zip crate reads.
    fn comment_of(z: &[u8]) -> Vec<u8> {
        zip::ZipArchive::new(std::io::Cursor::new(z))
            .unwrap()
            .comment()
            .to_vec()
    }

    #[test]
    fn a_secret_in_the_comment_is_a_finding_without_its_value() {
        let token = format!("ghp_{}", "c".repeat(36));
        let z = zip_with(&format!("uploaded with {token} PK\x05\x06 inside"));
        let mut f = Findings::default();
        check(&comment_of(&z), "b.zip", &mut f);
        assert_eq!(f.secrets, 1);
        let shown = f.listed[0].to_string();
        assert_eq!(shown, "b.zip (archive comment): github-token");
    }

    #[test]
    fn no_comment_or_a_clean_one_is_no_finding() {
        for z in [zip_with(""), zip_with("made by the node agent")] {
            let mut f = Findings::default();
            check(&comment_of(&z), "b.zip", &mut f);
            assert!(!f.any());
        }
    }
}
