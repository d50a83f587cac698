//! Input generators for batchdiag's corpus and benchmarks.
//!
//! - [`har_gen`] builds realistic Azure portal HAR captures entry by entry.
//! - [`corpus`] writes the sample bundles under `corpus/`.
//! - [`fleet`] writes a labelled fleet of one-file bundles for the Spark job.
//! - [`inflate`] is the floor of reading a `.tar.gz`: inflating it alone.
//! - [`large`] writes the multi-hundred-megabyte inputs the benchmarks use.
#![allow(missing_docs)]

pub mod corpus;
pub mod fleet;
pub mod har_gen;
pub mod inflate;
pub mod large;
pub mod log_gen;
pub mod resources_gen;
