//! Evidence from one HAR entry: ARM errors, whether direct or hidden in the
//! portal's `/batch` envelope behind an outer HTTP 200.

use std::collections::HashMap;

use crate::arm::{
    self, ArmResourceId, BatchRequests, BatchResponses, ErrorBody, ErrorEnvelope, InnerRequest,
};
use crate::evidence::{ArmError, Envelope, Evidence, Fact};
use crate::har::calls::{CallRecord, InnerFailure};
use crate::har::entry::{decode_body, Entry, Response};
use crate::har::prefilter;
use crate::location::Location;
use crate::time::normalize_timestamp;

/// The path of the portal's Resource Manager batch endpoint (compared without case).
pub const BATCH_PATH: &str = "/batch";

/// What one entry contributed.
#[derive(Debug, Default)]
pub struct EntryOutcome {
    /// Evidence found in the entry.
    pub evidence: Vec<Evidence>,
    /// Inner requests seen in a `/batch` call.
    pub inner_requests: u64,
    /// The `/batch` call for the timeline: set exactly when the entry was a
    /// portal `/batch` call.
    pub call: Option<CallRecord>,
    /// A `/batch` call whose response body the capture did not keep.
    pub batch_without_response: bool,
    /// A problem worth a warning that did not stop the entry (e.g. a body that is not JSON).
    pub warning: Option<String>,
    /// A `/batch` response body that is there but cannot be read: what it
    /// held (perhaps the failing inner answer) is lost, so the entry counts
    /// as not read.
    pub unreadable: Option<String>,
}

/// Parses one entry's bytes and extracts its evidence. `loc` gives the
/// location (entry index and offset) for each evidence item. An `Err` is a message for an entry whose
/// structure is not a HAR entry at all.
pub fn extract_entry(bytes: &[u8], loc: &dyn Fn() -> Location) -> Result<EntryOutcome, String> {
    let entry: Entry = serde_json::from_slice(bytes)
        .map_err(|e| format!("entry is not a valid HAR entry: {e}"))?;
    let mut out = EntryOutcome::default();
    // Most entries give no evidence: their time is only read when one does.
    let time = || entry.started.as_deref().map(normalize_timestamp);
    let url: &str = &entry.request.url;
    // Every extractor below is keyed on the URL; the prefilter skips whole
    // entries on that promise, so a gate that is not in its table must not
    // be added below this line.
    if !prefilter::url_may_matter(url) {
        return Ok(out);
    }
    let host = arm::host_of(url).unwrap_or("");
    let path = arm::strip_to_path(url);
    let path_only = path.split(['?', '#']).next().unwrap_or("");
    let Some(response) = entry.response.as_ref() else {
        return Ok(out);
    };

    let is_batch = entry.request.method.eq_ignore_ascii_case("POST")
        && (arm::is_arm_host(host) || host.is_empty())
        && path_only.eq_ignore_ascii_case(BATCH_PATH);
    if is_batch {
        out.call = Some(CallRecord {
            // Parsed from the borrowed text: no allocation.
            time_ms: entry
                .started
                .as_deref()
                .and_then(|s| s.trim().parse::<jiff::Timestamp>().ok())
                .map(|t| t.as_millisecond()),
            status: response.status,
            ..CallRecord::default()
        });
        batch_envelope(&entry, response, url, &time, loc, &mut out);
    }
    // IMDS token requests and Storage requests (node-plane probes captured in a HAR).
    if crate::http::wants(url) {
        let body_bytes = response
            .content
            .as_ref()
            .and_then(|c| decode_body(c.text, c.encoding.as_deref()).ok().flatten());
        let exchange = crate::http::Exchange {
            method: Some(&entry.request.method),
            url: Some(url),
            request_headers: Some(
                entry
                    .request
                    .headers
                    .iter()
                    .map(|h| (h.name.as_ref(), h.value.as_ref()))
                    .collect(),
            ),
            status: Some(response.status),
            response_headers: response
                .headers
                .iter()
                .map(|h| (h.name.as_ref(), h.value.as_ref()))
                .collect(),
            body: body_bytes.as_deref(),
        };
        if let Some(fact) = crate::http::interpret(&exchange) {
            out.evidence.push(Evidence {
                source: loc(),
                time: time(),
                fact,
            });
        }
        return Ok(out);
    }
    if response.status >= 400 && (arm::is_arm_host(host) || ArmResourceId::parse(url).is_some()) {
        // A direct ARM call (or a failed /batch POST itself).
        if let Some((err, body_warning)) = direct_error(response) {
            out.evidence.push(Evidence {
                source: loc(),
                time: time(),
                fact: Fact::ArmError(arm_error(
                    Some(entry.request.method.to_string()),
                    Some(url.to_string()),
                    response.status,
                    err.as_ref(),
                    None,
                )),
            });
            if out.warning.is_none() {
                out.warning = body_warning;
            }
        }
    }
    Ok(out)
}

fn direct_error(response: &Response) -> Option<(Option<ErrorBody>, Option<String>)> {
    let content = response.content.as_ref();
    let body = content
        .map(|c| decode_body(c.text, c.encoding.as_deref()))
        .transpose();
    match body {
        Ok(Some(Some(bytes))) => match serde_json::from_slice::<ErrorEnvelope>(&bytes) {
            Ok(env) => Some((Some(env.error), None)),
            // A non-JSON error page from ARM still says the call failed.
            Err(_) => Some((None, None)),
        },
        Ok(_) => Some((None, None)),
        Err(e) => Some((None, Some(format!("response body: {e}")))),
    }
}

fn arm_error(
    method: Option<String>,
    url: Option<String>,
    status: u16,
    err: Option<&ErrorBody>,
    envelope: Option<Envelope>,
) -> ArmError {
    ArmError {
        resource: url.as_deref().and_then(ArmResourceId::parse),
        method,
        url,
        status,
        code: err.and_then(|e| e.code.clone()),
        message: err.and_then(|e| e.message.clone()),
        target: err.and_then(|e| e.target.clone()),
        details: err.map(ErrorBody::detail_items).unwrap_or_default(),
        envelope,
    }
}

fn batch_envelope(
    entry: &Entry,
    response: &Response,
    outer_url: &str,
    time: &dyn Fn() -> Option<String>,
    loc: &dyn Fn() -> Location,
    out: &mut EntryOutcome,
) {
    let requests: Vec<InnerRequest> = match entry
        .request
        .post_data
        .as_ref()
        .map(|p| decode_body(p.text, None))
        .transpose()
    {
        Ok(Some(Some(bytes))) => match serde_json::from_slice::<BatchRequests>(&bytes) {
            Ok(r) => r.requests,
            Err(e) => {
                out.warning = Some(format!("/batch request body is not a batch request: {e}"));
                Vec::new()
            }
        },
        _ => Vec::new(),
    };
    out.inner_requests = requests.len() as u64;

    let body = match response
        .content
        .as_ref()
        .map(|c| decode_body(c.text, c.encoding.as_deref()))
        .transpose()
    {
        Ok(Some(Some(b))) => b,
        Ok(_) => {
            out.batch_without_response = true;
            return;
        }
        Err(e) => {
            out.unreadable = Some(format!("/batch response body cannot be decoded: {e}"));
            return;
        }
    };
    let responses = match serde_json::from_slice::<BatchResponses>(&body) {
        Ok(r) => r.responses,
        Err(e) => {
            if response.status < 400 {
                out.unreadable = Some(format!("/batch response body is not a batch response: {e}"));
            }
            return;
        }
    };
    out.inner_requests = out.inner_requests.max(responses.len() as u64);
    let mut failed = 0u64;
    let mut first_failure = None;

    // Pair by name: the service does not promise to answer in order.
    let by_name: HashMap<&str, &InnerRequest> = requests
        .iter()
        .filter_map(|r| r.name.as_deref().map(|n| (n, r)))
        .collect();
    let all_unnamed =
        requests.iter().all(|r| r.name.is_none()) && responses.iter().all(|r| r.name.is_none());
    for (i, inner) in responses.iter().enumerate() {
        let Some(status) = inner.status() else {
            continue;
        };
        if status < 400 {
            continue;
        }
        failed += 1;
        let err = inner.error();
        if first_failure.is_none() {
            first_failure = Some(InnerFailure {
                status,
                code: err.as_ref().and_then(|e| e.code.clone()),
            });
        }
        let request = match inner.name.as_deref() {
            Some(n) => by_name.get(n).copied(),
            // Without names, position is the only pairing left.
            None if all_unnamed && requests.len() == responses.len() => requests.get(i),
            None => None,
        };
        out.evidence.push(Evidence {
            source: loc(),
            time: time(),
            fact: Fact::ArmError(arm_error(
                request.and_then(|r| r.http_method.clone()),
                request.and_then(|r| r.url.clone()),
                status,
                err.as_ref(),
                Some(Envelope {
                    url: outer_url.to_string(),
                    status: response.status,
                    name: inner.name.clone(),
                }),
            )),
        });
    }
    if let Some(c) = out.call.as_mut() {
        c.responses = responses.len() as u64;
        c.failed = failed;
        c.first_failure = first_failure;
    }
}

#[cfg(test)]
mod tests;
