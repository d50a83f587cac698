//! The keyword arguments every analysis takes, checked as the CLI checks its
//! flags (same names, same defaults, in bytes and seconds).

use batchdiag_analyzer::Settings;
use batchdiag_parser::{HarOptions, Limits, ReadOptions};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// More threads only cost memory (as `batchdiag analyze --jobs`).
pub const MAX_THREADS: usize = 64;

/// The limits of one call.
#[derive(Debug, Clone)]
pub struct Options {
    limits: Limits,
    max_entry_bytes: usize,
    join_threshold_secs: i64,
}

/// The keywords accepted, for the error naming an unknown one.
const KNOWN: &[&str] = &[
    "max_member_size",
    "max_total_size",
    "max_ratio",
    "max_depth",
    "max_in_memory",
    "max_entry_size",
    "join_threshold",
];

impl Options {
    /// The options from `**limits`: each a positive int; unknown names are a TypeError.
    pub fn from_kwargs(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut o = Options {
            limits: Limits::default(),
            max_entry_bytes: HarOptions::default().max_entry_bytes,
            join_threshold_secs: Settings::default().join_threshold_secs,
        };
        let Some(kwargs) = kwargs else {
            return Ok(o);
        };
        for (k, v) in kwargs.iter() {
            let key: String = k.extract()?;
            if !KNOWN.contains(&key.as_str()) {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument {key:?}; limits are {}",
                    KNOWN.join(", ")
                )));
            }
            if v.is_instance_of::<pyo3::types::PyBool>() {
                return Err(PyTypeError::new_err(format!(
                    "{key} must be an int, not a bool"
                )));
            }
            let n: u64 = v.extract().map_err(|_| {
                PyValueError::new_err(format!("{key} must be a positive int, got {v}"))
            })?;
            if n == 0 {
                return Err(PyValueError::new_err(format!(
                    "{key} must be positive, got 0"
                )));
            }
            match key.as_str() {
                "max_member_size" => o.limits.max_member_bytes = n,
                "max_total_size" => o.limits.max_total_bytes = n,
                "max_ratio" => o.limits.max_ratio = n,
                "max_depth" => {
                    o.limits.max_depth = u32::try_from(n).map_err(|_| {
                        PyValueError::new_err(format!("max_depth {n} is out of range"))
                    })?
                }
                "max_in_memory" => o.limits.max_in_memory_bytes = n,
                "max_entry_size" => {
                    o.max_entry_bytes = usize::try_from(n).map_err(|_| {
                        PyValueError::new_err(format!("max_entry_size {n} is out of range"))
                    })?
                }
                _ => {
                    o.join_threshold_secs = i64::try_from(n)
                        .ok()
                        .filter(|&s| s <= 366 * 86_400)
                        .ok_or_else(|| {
                            PyValueError::new_err(format!(
                                "join_threshold {n} is out of range: at most 366 days"
                            ))
                        })?
                }
            }
        }
        Ok(o)
    }

    /// The reader's options.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            limits: self.limits.clone(),
            har: HarOptions {
                max_entry_bytes: self.max_entry_bytes,
                ..Default::default()
            },
            log: Default::default(),
        }
    }

    /// The analyzer's settings.
    pub fn settings(&self) -> Settings {
        Settings {
            join_threshold_secs: self.join_threshold_secs,
        }
    }
}

/// A thread count: 0 is one per core; above [`MAX_THREADS`] is refused.
pub fn threads(asked: usize) -> PyResult<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match asked {
        0 => Ok(cores.min(MAX_THREADS)),
        n if n > MAX_THREADS => Err(PyValueError::new_err(format!(
            "threads={n} is more than the maximum of {MAX_THREADS}"
        ))),
        n => Ok(n),
    }
}
