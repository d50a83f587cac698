//! # batchdiag-parser
//!
//! Turns the files of an Azure Batch support bundle into typed [`Evidence`].
//!
//! Brief overview:
//! - [`read_sources`] takes the paths a user named (files, directories, `-`
//!   for stdin), detects each input by its content, reads them in parallel and
//!   returns one [`InputReport`] per input plus all evidence.
//! - [`har::read_har`] streams one HAR capture from any reader with memory
//!   bounded by the largest entry, not the file.
//! - [`arm`] knows Azure Resource Manager shapes: resource ids, the error
//!   envelope and the portal's `/batch` bodies.
//!
//! Parsers never print and never panic on input: whatever cannot be read
//! becomes an [`InputError`] naming the file, entry or line and byte offset,
//! and everything else is still returned.
//!
//! ```
//! use batchdiag_parser::{har, Location, Fact};
//! let capture = br#"{"log":{"version":"1.2","entries":[{"startedDateTime":"2024-05-01T10:00:00Z",
//!   "request":{"method":"PUT","url":"https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/1"},
//!   "response":{"status":409,"content":{"mimeType":"application/json",
//!     "text":"{\"error\":{\"code\":\"AutoStorageNoPermission\",\"message\":\"m\",\"target\":\"BatchAccount\"}}"}}}]}}"#;
//! let result = har::read_har(&capture[..], &Location::file("x.har"), &Default::default());
//! assert!(result.error.is_none());
//! let e = result.evidence[0].fact.as_arm_error().unwrap();
//! assert_eq!(e.code.as_deref(), Some("AutoStorageNoPermission"));
//! ```
#![deny(missing_docs)]
#![deny(clippy::unwrap_used)]

pub mod agent;
pub mod archive;
pub mod arm;
pub mod content;
pub mod error;
pub mod evidence;
pub mod har;
pub mod http;
pub mod jwt;
pub mod limits;
pub mod location;
pub mod probe;
mod readbuf;
pub mod resource;
pub mod sanitize;
pub mod secrets;
pub mod source;
pub mod time;
pub mod utf16;

pub use content::{InputKind, InputReport, LogStats, ReadOptions};
pub use error::{InputError, InputErrorKind};
pub use evidence::{
    AccountConfig, ArmError, AutoStorage, CodeMessage, Envelope, ErrorDetail, Evidence, Fact,
    HealthReport, IdentityRef, IdentitySelector, ImdsToken, JoinLoop, NodeStatus, PoolConfig,
    ResourceFile, StorageRequest, TaskFailure, TaskResult,
};
pub use location::Location;
pub use source::{read_sources, Bundle};
