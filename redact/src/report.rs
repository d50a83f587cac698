//! The one redaction layer every writer goes through.
//!
//! A [`Redacted`] report can only be made by [`redact`], and writers accept
//! nothing else, so no output path can skip it. Redaction walks every string
//! of the serialized report (field added tomorrow included) through
//! [`crate::vocabulary::redact_str`].

use batchdiag_analyzer::Report;
use serde_json::Value;

use crate::vocabulary::redact_str;

/// A report whose every string has been through the secret filter.
#[derive(Debug, Clone)]
pub struct Redacted {
    report: Report,
    value: Value,
}

impl Redacted {
    /// The redacted report.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The redacted report as JSON.
    pub fn json(&self) -> &Value {
        &self.value
    }
}

/// The report could not be round-tripped through the filter; nothing is
/// written rather than something unfiltered.
#[derive(Debug, thiserror::Error)]
#[error("internal error while redacting the report: {0}")]
pub struct RedactError(#[from] serde_json::Error);

/// Removes every secret from every string of the report.
pub fn redact(report: &Report) -> Result<Redacted, RedactError> {
    let mut value = serde_json::to_value(report)?;
    scrub(&mut value);
    // The same shape went out and comes back; only string contents changed.
    let report = serde_json::from_value(value.clone())?;
    Ok(Redacted { report, value })
}

/// Redacts a free-standing message (an error printed to stderr).
pub fn redact_message(s: &str) -> String {
    redact_str(s).into_owned()
}

fn scrub(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(o) = redact_str(s) {
                *s = o;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(scrub),
        Value::Object(o) => o.values_mut().for_each(scrub),
        _ => {}
    }
}
