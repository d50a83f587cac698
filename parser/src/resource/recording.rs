//! Azure SDK test-proxy recordings: `{"Entries": [{"RequestUri",
//! "RequestMethod", "RequestHeaders", "RequestBody", "StatusCode",
//! "ResponseHeaders", "ResponseBody"}, ...], "Variables": {...}}`, the
//! format the test proxy of Azure/azure-sdk-tools (`tools/test-proxy`,
//! <https://github.com/Azure/azure-sdk-tools/blob/main/tools/test-proxy/Azure.Sdk.Tools.TestProxy/README.md>)
//! writes for every SDK's recorded tests, and what a customer running the
//! SDK through it leaves behind.
//!
//! Each entry is one HTTP exchange, read as a HAR entry would be: IMDS and
//! Storage requests through [`crate::http`], failed ARM and Batch calls as
//! their error bodies, and successful answers as the resources they return.
//! A node answered with a `Date` header was seen at that time: that is the
//! snapshot's own time, which decides whether a `starting` node is stuck.

use serde_json::Value;

use super::{classify, error_of, ResourceResult};
use crate::evidence::{Evidence, Fact};
use crate::input::Shape;
use crate::location::Location;

/// The entries of a recording, when the document is one.
pub fn entries_of(doc: &Value) -> Option<&Vec<Value>> {
    let entries = doc.get("Entries")?.as_array()?;
    let first = entries.first()?;
    (first.get("RequestUri").is_some() && first.get("RequestMethod").is_some()).then_some(entries)
}

/// Headers as the test proxy writes them: a map of name to a string (or,
/// in older recordings, to an array of strings, of which the first counts).
fn headers(v: Option<&Value>) -> Vec<(&str, &str)> {
    let Some(map) = v.and_then(Value::as_object) else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.as_str(),
                Value::Array(a) => a.first()?.as_str()?,
                _ => return None,
            };
            Some((k.as_str(), v))
        })
        .collect()
}

/// The response `Date` (RFC 9110 IMF-fixdate) as RFC 3339 UTC.
fn date_of(h: &[(&str, &str)]) -> Option<jiff::Timestamp> {
    let d = h
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("date"))
        .map(|(_, v)| *v)?;
    jiff::fmt::rfc2822::parse(d.trim())
        .ok()
        .map(|z| z.timestamp())
}

/// Reads every exchange of a recording.
pub fn read(entries: &[Value], loc: &Location) -> ResourceResult {
    let mut out = ResourceResult {
        shapes: vec![Shape::HttpRecording],
        ..ResourceResult::default()
    };
    for (i, e) in entries.iter().enumerate() {
        out.objects += 1;
        let at = Location {
            entry: Some(i as u64),
            ..loc.clone()
        };
        let before = out.evidence.len();
        exchange(e, &at, &mut out.evidence);
        if out.evidence.len() == before {
            // A healthy exchange is still an exchange understood.
            out.understood += 1;
        }
    }
    out
}

fn exchange(e: &Value, loc: &Location, out: &mut Vec<Evidence>) {
    let url = e.get("RequestUri").and_then(Value::as_str).unwrap_or("");
    let method = e.get("RequestMethod").and_then(Value::as_str);
    let status = e.get("StatusCode").and_then(crate::arm::status_value);
    let response_headers = headers(e.get("ResponseHeaders"));
    let date = date_of(&response_headers);
    let time = date.map(|t| t.to_string());
    let body = e.get("ResponseBody").filter(|b| !b.is_null());
    let push = |out: &mut Vec<Evidence>, fact: Fact| {
        out.push(Evidence {
            source: loc.clone(),
            time: time.clone(),
            fact,
        })
    };

    if crate::http::wants(url) {
        // Storage answers are XML kept as a string; JSON answers as objects.
        let bytes: Option<std::borrow::Cow<'_, [u8]>> = body.map(|b| match b {
            Value::String(s) => s.as_bytes().into(),
            other => other.to_string().into_bytes().into(),
        });
        let x = crate::http::Exchange {
            method,
            url: Some(url),
            // Only an exchange the HTTP reader wants needs them.
            request_headers: Some(headers(e.get("RequestHeaders"))),
            status,
            response_headers,
            body: bytes.as_deref(),
        };
        if let Some(fact) = crate::http::interpret(&x) {
            push(out, fact);
        }
        return;
    }
    let Some(body) = body else { return };
    // A body the proxy kept as text may still be JSON.
    let parsed;
    let body = match body {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => return,
        },
        other => other,
    };
    if status.is_some_and(|s| s >= 400) {
        if let Some(mut fact) = error_of(body, status) {
            if let Fact::ArmError(a) = &mut fact {
                a.method = method.map(str::to_string);
                a.resource = crate::arm::ArmResourceId::parse(url);
                a.url = Some(url.to_string());
            }
            push(out, fact);
        }
        return;
    }
    let items: Vec<&Value> = match body {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => match o.get("value") {
            Some(Value::Array(a)) => a.iter().collect(),
            _ => vec![body],
        },
        _ => Vec::new(),
    };
    for item in items {
        let Some(mut fact) = classify(item) else {
            continue;
        };
        if let Fact::NodeStatus(n) = &mut fact {
            // The answer's own time: the node was in its state then.
            let seen = n.observed();
            if let Some(d) = date.filter(|d| seen.is_none_or(|s| *d > s)) {
                n.observed_at = Some(d.to_string());
            }
        }
        push(out, fact);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(s: &str) -> ResourceResult {
        let doc: Value = serde_json::from_str(s).unwrap();
        read(entries_of(&doc).unwrap(), &Location::file("rec.json"))
    }

    #[test]
    fn a_starting_node_answered_later_is_seen_at_the_answers_date() {
        let r = read_str(
            r#"{"Entries":[{"RequestUri":"https://acct.westus.batch.azure.com/pools/p1/nodes?api-version=2024-07-01.20.0",
            "RequestMethod":"GET","RequestHeaders":{},"RequestBody":null,"StatusCode":200,
            "ResponseHeaders":{"Date":"Tue, 14 Mar 2023 02:10:00 GMT"},
            "ResponseBody":{"value":[{"id":"tvm-1_1-20230314t014200z","url":"https://acct.westus.batch.azure.com/pools/p1/nodes/tvm-1_1-20230314t014200z",
              "state":"starting","stateTransitionTime":"2023-03-14T01:42:30Z","allocationTime":"2023-03-14T01:42:00Z"}]}}],"Variables":{}}"#,
        );
        let n = r.evidence[0].fact.as_node().unwrap();
        assert_eq!(n.observed_at.as_deref(), Some("2023-03-14T02:10:00Z"));
        assert_eq!(n.in_state_seconds(), Some(1650));
        assert_eq!(r.evidence[0].source.entry, Some(0));
    }

    #[test]
    fn failed_arm_and_storage_calls_are_evidence_and_healthy_ones_understood() {
        let r = read_str(
            r#"{"Entries":[
            {"RequestUri":"https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/1.0?api-version=2024-07-01",
             "RequestMethod":"PUT","RequestHeaders":{"Authorization":"Sanitized"},"StatusCode":409,"ResponseHeaders":{},
             "ResponseBody":{"error":{"code":"AutoStorageNoPermission","message":"m","target":"BatchAccount"}}},
            {"RequestUri":"https://sa.blob.core.windows.net/c/b","RequestMethod":"GET",
             "RequestHeaders":{"Authorization":"Bearer Sanitized","x-ms-version":"2023-11-03"},"StatusCode":403,
             "ResponseHeaders":{"x-ms-error-code":"AuthorizationPermissionMismatch"},
             "ResponseBody":"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>no</Message></Error>"},
            {"RequestUri":"https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/pools/p?api-version=2024-07-01",
             "RequestMethod":"GET","RequestHeaders":{},"StatusCode":"200","ResponseHeaders":{},"ResponseBody":{"weird":true}}
            ],"Variables":{}}"#,
        );
        let arm = r.evidence[0].fact.as_arm_error().unwrap();
        assert_eq!(arm.status, 409);
        assert_eq!(arm.method.as_deref(), Some("PUT"));
        assert!(arm.resource.is_some());
        let st = r.evidence[1].fact.as_storage().unwrap();
        assert!(st.bearer);
        assert_eq!(st.error_code.as_deref(), Some("AuthorizationPermissionMismatch"));
        assert_eq!(r.evidence.len(), 2);
        assert_eq!(r.understood, 1);
    }

    #[test]
    fn a_document_without_request_fields_is_not_a_recording() {
        let doc: Value = serde_json::from_str(r#"{"Entries":[{"a":1}]}"#).unwrap();
        assert!(entries_of(&doc).is_none());
        let doc: Value = serde_json::from_str(r#"{"Entries":[]}"#).unwrap();
        assert!(entries_of(&doc).is_none());
    }
}
