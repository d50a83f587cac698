//! What a copy removed, and what it could not read: the findings `redact`
//! prints and `redact --check` judges by. A finding names its place (file,
//! member, entry, line, field) and its kind, never the value.

use serde::Serialize;

/// One thing a copy found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Where: `path[!/member]` then the entry, line or field.
    pub place: String,
    /// What.
    pub kind: FindingKind,
}

/// The kinds of findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum FindingKind {
    /// A credential of this kind (a vocabulary pattern's kind, or the
    /// header or field that carried it), replaced in the copy.
    Secret {
        /// The credential's kind.
        kind: &'static str,
    },
    /// A part that could not be read, so could not be cleaned; it is left
    /// out of the copy unless unread parts were kept on purpose.
    Unread {
        /// Why.
        why: String,
        /// The part was copied as it was (`--keep-unread`).
        kept: bool,
    },
}

/// Everything one copy found, with counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    /// The findings, in the order met, up to [`Findings::MAX_LISTED`].
    pub listed: Vec<Finding>,
    /// Secrets replaced.
    pub secrets: u64,
    /// Parts not read (left out, or kept with `--keep-unread`).
    pub unread: u64,
    /// Findings beyond the listed ones.
    pub not_listed: u64,
    /// HAR entries written.
    pub entries: u64,
    /// Text lines written.
    pub lines: u64,
    /// Archive members written.
    pub members: u64,
}

impl Findings {
    /// At most this many findings are kept with their place; the rest are counted.
    pub const MAX_LISTED: usize = 1000;

    /// Records a secret at `place`.
    pub fn secret(&mut self, place: impl FnOnce() -> String, kind: &'static str) {
        self.secrets += 1;
        self.push(place, FindingKind::Secret { kind });
    }

    /// Records a part that was not read.
    pub fn unread(&mut self, place: impl FnOnce() -> String, why: impl Into<String>, kept: bool) {
        self.unread += 1;
        self.push(
            place,
            FindingKind::Unread {
                why: why.into(),
                kept,
            },
        );
    }

    fn push(&mut self, place: impl FnOnce() -> String, kind: FindingKind) {
        if self.listed.len() < Self::MAX_LISTED {
            self.listed.push(Finding {
                place: place(),
                kind,
            });
        } else {
            self.not_listed += 1;
        }
    }

    /// Anything at all: a secret, or a part that was not read. `--check`
    /// fails on either, so "no secrets found" is never said of unread bytes.
    pub fn any(&self) -> bool {
        self.secrets + self.unread > 0
    }

    /// Adds another copy's findings.
    pub fn extend(&mut self, other: Findings) {
        self.secrets += other.secrets;
        self.unread += other.unread;
        self.entries += other.entries;
        self.lines += other.lines;
        self.members += other.members;
        self.not_listed += other.not_listed;
        for f in other.listed {
            if self.listed.len() < Self::MAX_LISTED {
                self.listed.push(f);
            } else {
                self.not_listed += 1;
            }
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            FindingKind::Secret { kind } => write!(f, "{}: {kind}", self.place),
            FindingKind::Unread { why, kept: false } => {
                write!(f, "{}: not read ({why}); left out of the copy", self.place)
            }
            FindingKind::Unread { why, kept: true } => {
                write!(f, "{}: not read ({why}); copied unchanged", self.place)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_caps() {
        let mut f = Findings::default();
        assert!(!f.any());
        for _ in 0..Findings::MAX_LISTED + 5 {
            f.secret(|| "a.har: entry 1 request.url".into(), "sas-signature");
        }
        f.unread(
            || "a.zip!/x.bin".into(),
            "binary content of no known format",
            false,
        );
        assert!(f.any());
        assert_eq!(f.listed.len(), Findings::MAX_LISTED);
        assert_eq!(f.not_listed, 6);
        assert_eq!(
            f.listed[0].to_string(),
            "a.har: entry 1 request.url: sas-signature"
        );
    }
}
