//! # batchdiag-parser
//!
//! The reader: turns the files of an Azure Batch support bundle into typed
//! [`Evidence`].
//!
//! Brief overview:
//! - [`Reader`] is the one entry point: [`Reader::read_paths`] (files,
//!   directories, `-` for stdin), [`Reader::read_reader`] (any [`std::io::Read`],
//!   such as an HTTP body) and [`Reader::read_bytes`]. Each input is detected
//!   by its content, inputs are read in parallel, and one [`Bundle`] comes
//!   back: one [`InputReport`] per input plus all evidence. An [`Observer`]
//!   sees progress; a [`Cancel`] flag stops a read early.
//! - [`detect`] is the one detection table (what a file is, how that is
//!   recognized, how it is read) and [`walk`] the archive walk with its one
//!   member policy; the `redact` copier uses both, so it sees a bundle
//!   exactly as the analyzer does.
//! - [`arm`] knows Azure Resource Manager ids.
//!
//! Parsers never print and never panic on input: whatever cannot be read
//! becomes an [`InputError`] naming the file, member, entry or line and byte
//! offset, and everything else is still returned. Nothing is ever written
//! to disk. Modules that only benches and fuzz targets need are public
//! with the `internals` feature.
//!
//! ```
//! use batchdiag_parser::{Fact, Reader, ReadOptions};
//! let capture = br#"{"log":{"version":"1.2","entries":[{"startedDateTime":"2024-05-01T10:00:00Z",
//!   "request":{"method":"PUT","url":"https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/1"},
//!   "response":{"status":409,"content":{"mimeType":"application/json",
//!     "text":"{\"error\":{\"code\":\"AutoStorageNoPermission\",\"message\":\"m\",\"target\":\"BatchAccount\"}}"}}}]}}"#;
//! let bundle = Reader::new(ReadOptions::default()).read_bytes("x.har", capture);
//! assert!(bundle.inputs[0].error.is_none());
//! let e = bundle.evidence[0].fact.as_arm_error().unwrap();
//! assert_eq!(e.code.as_deref(), Some("AutoStorageNoPermission"));
//! ```
#![deny(missing_docs)]
#![deny(clippy::unwrap_used)]

/// Declares modules that are public only with the `internals` feature
/// (benches and fuzz targets reach into them; front ends never do).
macro_rules! internal {
    ($($(#[$m:meta])* mod $name:ident;)*) => {
        $(
            $(#[$m])*
            #[cfg(feature = "internals")]
            pub mod $name;
            $(#[$m])*
            #[cfg(not(feature = "internals"))]
            #[allow(dead_code)]
            mod $name;
        )*
    };
}

pub mod arm;
pub mod detect;
mod dispatch;
pub mod error;
pub mod evidence;
pub mod har;
pub mod input;
pub mod jwt;
pub mod limits;
pub mod location;
mod positioned;
mod reader;
pub mod utf16;
pub mod walk;

internal! {
    /// Node-agent logs.
    mod agent;
    /// ARM and HTTP exchanges.
    mod http;
    /// Probe transcripts.
    mod probe;
    /// Answers as programs print them (PowerShell, .NET, Node.js, logs).
    mod printed;
    /// Reading buffers.
    mod readbuf;
    /// Resource JSON.
    mod resource;
    /// Timestamps.
    mod time;
}

pub use arm::{resource_name, ArmResourceId};
pub use dispatch::ReadOptions;
pub use error::{ErrorClass, InputError, InputErrorKind};
pub use evidence::{
    AccountConfig, ArmError, AutoStorage, CodeMessage, Envelope, ErrorDetail, Evidence, Fact,
    HealthReport, IdentityRef, IdentitySelector, ImdsToken, JoinLoop, NodeStatus, PoolConfig,
    ResourceFile, StorageRequest, TaskFailure, TaskResult,
};
pub use har::{HarOptions, HarSummary};
pub use input::{InputKind, InputReport, LogStats, Shape};
pub use jwt::TokenClaims;
pub use limits::{Cancel, Limits};
pub use location::Location;
pub use positioned::FileAt;
pub use reader::{read_sources, Bundle, Observer, Reader, Session};

/// Log reading options (buffer sizes), part of [`ReadOptions`].
pub use agent::LogOptions;
