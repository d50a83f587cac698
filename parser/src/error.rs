//! Errors reading an input. Each names where it happened; none stops the other inputs.

use crate::location::Location;

/// Something in one input could not be read. The input's other evidence is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct InputError {
    /// Where: the file, member, entry or line, and byte offset.
    pub location: Location,
    /// What went wrong.
    pub kind: InputErrorKind,
}

/// The kinds of input errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputErrorKind {
    /// The operating system refused (open, read, directory walk).
    #[error("cannot read: {0}")]
    Io(String),
    /// A compressed stream is corrupt or cut short.
    #[error("cannot decompress: {0}")]
    Decompress(String),
    /// The bytes are not the format they claimed to be, or end early.
    #[error("{0}")]
    Syntax(String),
    /// Some records could not be read; the rest were.
    #[error("{count} of {total} entries could not be read; the first: {first}")]
    Records {
        /// How many records failed.
        count: u64,
        /// How many records were framed.
        total: u64,
        /// The first failure, with its location.
        first: String,
    },
    /// A safety limit stopped reading (decompressed size, ratio, nesting).
    #[error("{0}")]
    Limit(String),
    /// An archive member that is not read, and why (unsafe name, link, encryption...).
    #[error("{0}")]
    Member(String),
    /// The input's format is not one batchdiag reads.
    #[error("not a recognized input: {0}")]
    Unrecognized(String),
    /// A known format batchdiag does not read (xz, zstd, bzip2, 7-Zip, RAR).
    #[error("not a recognized input: {0}")]
    Unsupported(String),
    /// The caller cancelled the read (a client went away); what was read so far is kept.
    #[error("reading was cancelled")]
    Cancelled,
}

/// The class of an input error, as the report's `inputs[].error_kind` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorClass {
    /// The operating system refused.
    Io,
    /// A compressed stream is corrupt or cut short.
    Decompress,
    /// The bytes are not the format they claimed to be, or end early.
    Syntax,
    /// Some records could not be read.
    Records,
    /// A safety limit stopped reading.
    Limit,
    /// An archive member that is not read.
    Member,
    /// Not a format batchdiag reads.
    Unrecognized,
    /// A known format batchdiag does not read.
    Unsupported,
    /// The read was cancelled.
    Cancelled,
}

impl InputErrorKind {
    /// Its class, without the details.
    pub fn class(&self) -> ErrorClass {
        match self {
            InputErrorKind::Io(_) => ErrorClass::Io,
            InputErrorKind::Decompress(_) => ErrorClass::Decompress,
            InputErrorKind::Syntax(_) => ErrorClass::Syntax,
            InputErrorKind::Records { .. } => ErrorClass::Records,
            InputErrorKind::Limit(_) => ErrorClass::Limit,
            InputErrorKind::Member(_) => ErrorClass::Member,
            InputErrorKind::Unrecognized(_) => ErrorClass::Unrecognized,
            InputErrorKind::Unsupported(_) => ErrorClass::Unsupported,
            InputErrorKind::Cancelled => ErrorClass::Cancelled,
        }
    }

    /// The kind a read error stands for: a safety limit, a damaged
    /// compressed stream, or any other I/O failure.
    pub fn from_io(e: &std::io::Error) -> Self {
        if let Some(l) = crate::limits::limit_of(e) {
            if *l == crate::limits::LimitExceeded::Cancelled {
                return InputErrorKind::Cancelled;
            }
            return InputErrorKind::Limit(l.to_string());
        }
        match e.kind() {
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof => {
                InputErrorKind::Decompress(e.to_string())
            }
            _ => InputErrorKind::Io(e.to_string()),
        }
    }
}

impl InputError {
    /// Builds an error at a location.
    pub fn new(location: Location, kind: InputErrorKind) -> Self {
        InputError { location, kind }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_the_place() {
        let e = InputError::new(
            Location::file("a.har").at_offset(42),
            InputErrorKind::Syntax("unexpected end of input".into()),
        );
        assert_eq!(e.to_string(), "a.har (byte 42): unexpected end of input");
    }
}
