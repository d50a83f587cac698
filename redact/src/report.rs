//! The one redaction layer every writer goes through.
//!
//! A [`Redacted`] report can only be made by [`redact`], and writers accept
//! nothing else, so no output path can skip it. Redaction walks every string
//! of the serialized report (field added tomorrow included) through
//! [`crate::vocabulary::redact_str`].

use batchdiag_analyzer::Report;
use serde::Deserialize as _;
use serde_json::Value;

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::vocabulary::{redact_str, REDACTED};

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
    // Read from the tree in place: a clone of it cost as much as the read.
    let report = Report::deserialize(&value)?;
    Ok(Redacted { report, value })
}

/// Redacts a free-standing message (an error printed to stderr).
pub fn redact_message(s: &str) -> String {
    redact_str(s).into_owned()
}

fn scrub(v: &mut Value) {
    match v {
        Value::String(s) => {
            // Report strings are short: each path segment is checked too.
            let clean = match crate::vocabulary::redact_path_noting(s, &mut |_| {}) {
                Cow::Owned(o) => Cow::Owned(blank_foreign_queries(&o).into_owned()),
                Cow::Borrowed(b) => blank_foreign_queries(b),
            };
            if let Cow::Owned(o) = clean {
                *s = o;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(scrub),
        Value::Object(o) => o.values_mut().for_each(scrub),
        _ => {}
    }
}

/// Hosts whose URLs the evidence is about: Azure's resource, identity and
/// metadata endpoints (every cloud). Their query strings are read by the
/// vocabulary; any other host's are unknown.
const AZURE_HOST_SUFFIXES: &[&str] = &[
    ".windows.net",
    ".azure.com",
    ".azure.net",
    ".azurecr.io",
    "microsoftonline.com",
    "graph.microsoft.com",
    "login.microsoft.com",
    ".azure.cn",
    ".chinacloudapi.cn",
    ".usgovcloudapi.net",
    ".azure.us",
    "169.254.169.254",
    "168.63.129.16",
    "localhost",
    "127.0.0.1",
];

/// Query parameters whose values say how, never who: kept on any host.
const SAFE_PARAMETERS: &[&str] = &[
    "api-version",
    "comp",
    "restype",
    "timeout",
    "resource",
    "client_id",
    "object_id",
    "mi_res_id",
    "msi_res_id",
    "sv",
    "se",
    "st",
    "sp",
    "sr",
    "spr",
    "ss",
    "srt",
    "format",
];

/// The query-string values of URLs on hosts outside Azure's endpoints,
/// blanked (a tracking id, a token of a service the vocabulary does not
/// know): the report needs where a request went, not what it carried.
pub fn blank_foreign_queries(s: &str) -> Cow<'_, str> {
    static URL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)(?-u:\b)(https?://(?:[^/\s?#"'<>@]*@)?([^/\s?#"'<>:]+)(?::\d+)?[^\s?#"'<>]*\?)([^\s#"'<>]+)"#)
            .expect("constant")
    });
    if !s.contains("://") || !s.contains('?') {
        return Cow::Borrowed(s);
    }
    URL.replace_all(s, |c: &regex::Captures| {
        let whole = c.get(0).map_or("", |m| m.as_str());
        let host = c.get(2).map_or("", |m| m.as_str()).to_ascii_lowercase();
        if AZURE_HOST_SUFFIXES
            .iter()
            .any(|h| host == h.trim_start_matches('.') || host.ends_with(h))
        {
            return whole.to_string();
        }
        let query = c.get(3).map_or("", |m| m.as_str());
        let blanked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value))
                    if !value.is_empty()
                        && value != REDACTED
                        && !SAFE_PARAMETERS.iter().any(|p| p.eq_ignore_ascii_case(name)) =>
                {
                    format!("{name}={REDACTED}")
                }
                _ => pair.to_string(),
            })
            .collect();
        format!(
            "{}{}",
            c.get(1).map_or("", |m| m.as_str()),
            blanked.join("&")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_query_values_are_blanked_azure_ones_kept() {
        assert_eq!(
            blank_foreign_queries(
                "fetch https://artifacts.contoso.com/s.tgz?api-version=1&t=OPAQUE1&x= failed"
            ),
            "fetch https://artifacts.contoso.com/s.tgz?api-version=1&t=[REDACTED]&x= failed"
        );
        let kept = "https://sa.blob.core.windows.net/c/b?sv=2022-11-02&comp=list and https://management.azure.com/x?api-version=2024-07-01&$filter=a";
        assert_eq!(blank_foreign_queries(kept), kept);
        let imds = "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/";
        assert_eq!(blank_foreign_queries(imds), imds);
        assert_eq!(
            blank_foreign_queries("https://evil.example.net.attacker.io/?id=1"),
            "https://evil.example.net.attacker.io/?id=[REDACTED]"
        );
    }
}
