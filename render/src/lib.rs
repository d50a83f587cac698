//! `batchdiag-render`: every way a batchdiag report is written, behind one
//! [`Sink`] interface that the CLI, the server and the Python package share.
//!
//! - [`view`] turns a redacted report into plain data in words (diagnoses,
//!   described evidence, inputs, what was checked, the summary); the text
//!   and Markdown writers both read it, so they say the same things.
//! - [`describe`] puts each kind of evidence into words, in one place.
//! - [`text`], [`json`], [`markdown`] and [`html`] are the writers; [`sink()`] picks
//!   one and handles what a run of several bundles adds (`--each`).
//! - [`Tally`] counts the bundles of a run; its verdict is the exit code.
//!
//! Only a [`Redacted`] report can be written, so no output skips the
//! secret filter.
//!
//! ```
//! use batchdiag_redact::redact;
//! use batchdiag_render::{sink, Format, SinkOptions};
//!
//! // A bundle with nothing in it: a report that says so.
//! let report = batchdiag_analyzer::analyze(Vec::new(), Vec::new(), &Default::default());
//! let redacted = redact(&report).expect("redactable");
//! let mut out = Vec::new();
//! let mut s = sink(Format::Markdown, Box::new(&mut out), SinkOptions::default());
//! s.begin()?;
//! s.report(&redacted)?;
//! s.finish()?;
//! let exit = s.tally().verdict().exit_code();
//! drop(s);
//! assert!(String::from_utf8_lossy(&out).starts_with("# batchdiag report\n"));
//! assert_eq!(exit, 3, "nothing could be analysed");
//! # Ok::<(), std::io::Error>(())
//! ```

#![deny(missing_docs)]

pub mod describe;
pub mod html;
pub mod json;
pub mod markdown;
pub mod sink;
pub mod tally;
pub mod text;
pub mod view;

pub use batchdiag_analyzer::report::Verdict;
pub use batchdiag_redact::Redacted;
pub use sink::{sink, Format, Sink, SinkOptions};
pub use tally::Tally;
