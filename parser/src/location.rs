//! Where a piece of evidence or an error came from.

use serde::{Deserialize, Serialize};

/// A position inside the inputs: the file (or virtual path inside an
/// archive), and as much of member, HAR entry, line and byte offset as applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The input's path as the user named it (or its virtual path inside an archive).
    pub path: String,
    /// The archive member, when the input is inside an archive.
    #[serde(default)]
    pub member: Option<String>,
    /// Index of the HAR entry in `log.entries`, from 0.
    #[serde(default)]
    pub entry: Option<u64>,
    /// Line number, from 1, for line-oriented inputs.
    #[serde(default)]
    pub line: Option<u64>,
    /// Byte offset from the start of the (decompressed) input.
    #[serde(default)]
    pub offset: Option<u64>,
}

impl Location {
    /// A location naming only a path.
    pub fn file(path: impl Into<String>) -> Self {
        Location {
            path: path.into(),
            ..Location::default()
        }
    }

    /// The same location at a byte offset.
    pub fn at_offset(&self, offset: u64) -> Self {
        Location {
            offset: Some(offset),
            ..self.clone()
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path)?;
        if let Some(m) = &self.member {
            write!(f, "!/{m}")?;
        }
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(e) = self.entry {
            write!(f, " log.entries[{e}]")?;
        }
        if let Some(o) = self.offset {
            write!(f, " (byte {o})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_every_part() {
        let l = Location {
            path: "b.zip".into(),
            member: Some("p/n/agent-debug.log".into()),
            entry: None,
            line: Some(12),
            offset: Some(400),
        };
        assert_eq!(l.to_string(), "b.zip!/p/n/agent-debug.log:12 (byte 400)");
        let h = Location {
            entry: Some(3),
            ..Location::file("x.har")
        };
        assert_eq!(h.to_string(), "x.har log.entries[3]");
    }
}
