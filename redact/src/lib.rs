//! # batchdiag-redact
//!
//! The trust boundary: everything batchdiag writes passes through here.
//!
//! Brief overview:
//! - [`vocabulary`] is the one credential vocabulary: every shape of
//!   secret batchdiag knows (patterns with their kinds, header names, the
//!   literals that gate the patterns). Nothing else decides what a secret is.
//! - [`redact`] turns a report into a [`Redacted`] one, the only kind the
//!   writers of `batchdiag-render` accept: no output path can skip it.
//! - [`Copier`] writes a bundle again without its credentials, walking it
//!   with the reader's own detection and archive walk, at any depth, and
//!   failing closed: what it cannot read is left out and listed as a
//!   [`Finding`], so `redact --check` never calls unread bytes clean.
//!
//! ```
//! use batchdiag_redact::{Copier, CopyOptions, Input};
//! let log = b"2024-05-01T10:00:00Z GET https://sa.blob.core.windows.net/c/b?sv=2022-11-02&sig=abc123SECRET\n";
//! let mut copy = Vec::new();
//! let outcome = Copier::new(CopyOptions::default())
//!     .copy("agent-debug.log", Input::Reader(Box::new(&log[..])), &mut copy)
//!     .unwrap();
//! assert!(String::from_utf8(copy).unwrap().contains("sig=[REDACTED]"));
//! assert_eq!(outcome.findings.secrets, 1);
//! ```
#![deny(missing_docs)]

pub mod copy;
pub mod findings;
pub mod report;
pub mod vocabulary;

pub use copy::{Copier, CopyError, CopyOptions, Input, Out, Outcome};
pub use findings::{Finding, FindingKind, Findings};
pub use report::{redact, redact_message, RedactError, Redacted};
pub use vocabulary::{contains_secret, redact_str, REDACTED};
