use super::*;
use serde_json::json;

fn entry(
    method: &str,
    url: &str,
    post: Option<&str>,
    status: u16,
    body: Option<&str>,
    base64: bool,
) -> Vec<u8> {
    let mut content = json!({"size": 10, "mimeType": "application/json"});
    if let Some(b) = body {
        if base64 {
            use base64::Engine as _;
            content["text"] = json!(base64::engine::general_purpose::STANDARD.encode(b));
            content["encoding"] = json!("base64");
        } else {
            content["text"] = json!(b);
        }
    }
    let mut request =
        json!({"method": method, "url": url, "headers": [], "httpVersion": "http/2.0"});
    if let Some(p) = post {
        request["postData"] = json!({"mimeType": "application/json", "text": p});
    }
    serde_json::to_vec(&json!({
        "startedDateTime": "2024-05-01T12:00:00.000+02:00",
        "request": request,
        "response": {"status": status, "statusText": "", "headers": [], "content": content},
    }))
    .unwrap()
}

const PKG: &str = "https://management.azure.com/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Batch/batchAccounts/acct1/applications/app1/versions/2.0?api-version=2024-07-01";

fn batch_bodies() -> (String, String) {
    let req = json!({"requests": [
        {"httpMethod": "GET", "name": "n-get", "url": "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Batch/batchAccounts/acct1?api-version=2024-07-01"},
        {"httpMethod": "PUT", "name": "n-put", "url": PKG, "content": {}},
    ]});
    // Responses in the opposite order from the requests.
    let resp = json!({"responses": [
        {"name": "n-put", "httpStatusCode": 409, "headers": {}, "content": {"error": {"code": "AutoStorageNoPermission", "message": "The managed identity does not have permission to access auto storage account.", "target": "BatchAccount"}}, "contentLength": 318},
        {"name": "n-get", "httpStatusCode": 200, "content": {"id": "x"}},
    ]});
    (req.to_string(), resp.to_string())
}

fn loc() -> Location {
    Location {
        entry: Some(7),
        offset: Some(100),
        ..Location::file("p.har")
    }
}

#[test]
fn inner_409_behind_outer_200_paired_by_name() {
    let (req, resp) = batch_bodies();
    for b64 in [false, true] {
        let e = entry(
            "POST",
            "https://management.azure.com/batch?api-version=2020-06-01",
            Some(&req),
            200,
            Some(&resp),
            b64,
        );
        let out = extract_entry(&e, &loc).unwrap();
        assert!(out.call.is_some());
        assert_eq!(out.inner_requests, 2);
        assert_eq!(out.evidence.len(), 1);
        let ev = &out.evidence[0];
        assert_eq!(ev.time.as_deref(), Some("2024-05-01T10:00:00Z"));
        assert_eq!(ev.source, loc());
        let a = ev.fact.as_arm_error().unwrap();
        assert_eq!(a.status, 409);
        assert_eq!(a.method.as_deref(), Some("PUT"));
        assert_eq!(a.url.as_deref(), Some(PKG));
        assert_eq!(a.code.as_deref(), Some("AutoStorageNoPermission"));
        assert_eq!(a.target.as_deref(), Some("BatchAccount"));
        let r = a.resource.as_ref().unwrap();
        assert_eq!(r.name_of("applications"), Some("app1"));
        let env = a.envelope.as_ref().unwrap();
        assert_eq!(env.status, 200);
        assert_eq!(env.name.as_deref(), Some("n-put"));
        let c = out.call.as_ref().expect("the call is recorded");
        assert_eq!((c.status, c.responses, c.failed), (200, 2, 1));
        assert_eq!(c.time_ms, Some(1_714_557_600_000));
        let f = c.first_failure.as_ref().unwrap();
        assert_eq!(
            (f.status, f.code.as_deref()),
            (409, Some("AutoStorageNoPermission"))
        );
    }
}

#[test]
fn a_successful_batch_call_is_recorded_with_its_inner_count() {
    let req = r#"{"requests":[{"httpMethod":"GET","name":"a","url":"/subscriptions/s"}]}"#;
    let resp = r#"{"responses":[{"name":"a","httpStatusCode":200,"content":{}}]}"#;
    let e = entry(
        "POST",
        "https://management.azure.com/batch?api-version=2020-06-01",
        Some(req),
        200,
        Some(resp),
        false,
    );
    let out = extract_entry(&e, &loc).unwrap();
    assert!(out.evidence.is_empty());
    let c = out.call.expect("recorded");
    assert_eq!((c.status, c.responses, c.failed), (200, 1, 0));
    assert!(c.first_failure.is_none());
    // Any other entry records nothing.
    let other = entry("GET", PKG, None, 200, Some("{}"), false);
    assert!(extract_entry(&other, &loc).unwrap().call.is_none());
}

#[test]
fn batch_without_bodies_is_counted_not_guessed() {
    let e = entry(
        "POST",
        "https://management.azure.com/batch?api-version=2020-06-01",
        None,
        200,
        None,
        false,
    );
    let out = extract_entry(&e, &loc).unwrap();
    assert!(out.call.is_some() && out.batch_without_response);
    assert!(out.evidence.is_empty());
    assert_eq!(out.call.map(|c| (c.responses, c.failed)), Some((0, 0)));
}

#[test]
fn unpaired_inner_error_keeps_status_and_code() {
    let (_, resp) = batch_bodies();
    let e = entry(
        "POST",
        "https://management.azure.com/batch?api-version=2020-06-01",
        None,
        200,
        Some(&resp),
        false,
    );
    let out = extract_entry(&e, &loc).unwrap();
    let a = out.evidence[0].fact.as_arm_error().unwrap();
    assert_eq!(a.url, None);
    assert_eq!(a.code.as_deref(), Some("AutoStorageNoPermission"));
}

#[test]
fn direct_arm_error_outside_an_envelope() {
    let body = r#"{"error":{"code":"AutoStorageNoPermission","message":"m","target":"BatchAccount","details":[{"code":"Inner","message":"d"}]}}"#;
    let e = entry("PUT", PKG, None, 409, Some(body), false);
    let out = extract_entry(&e, &loc).unwrap();
    assert!(out.call.is_none());
    let a = out.evidence[0].fact.as_arm_error().unwrap();
    assert_eq!(a.envelope, None);
    assert_eq!(a.details[0].code.as_deref(), Some("Inner"));
}

#[test]
fn unrelated_failures_and_successes_are_not_evidence() {
    let e = entry(
        "GET",
        "https://portal.azure.com/Content/missing.png",
        None,
        404,
        Some("nope"),
        false,
    );
    assert!(extract_entry(&e, &loc).unwrap().evidence.is_empty());
    let e = entry("PUT", PKG, None, 200, Some("{}"), false);
    assert!(extract_entry(&e, &loc).unwrap().evidence.is_empty());
}

#[test]
fn arm_error_without_json_body_is_still_evidence() {
    let e = entry(
        "GET",
        PKG,
        None,
        502,
        Some("<html>Bad gateway</html>"),
        false,
    );
    let out = extract_entry(&e, &loc).unwrap();
    let a = out.evidence[0].fact.as_arm_error().unwrap();
    assert_eq!((a.status, a.code.as_deref()), (502, None));
}

#[test]
fn not_an_entry_is_an_error() {
    assert!(extract_entry(b"{\"request\": 5}", &loc)
        .unwrap_err()
        .contains("not a valid HAR entry"));
    assert!(extract_entry(b"[]", &loc).is_err());
}

#[test]
fn broken_batch_bodies_request_warns_response_is_unread() {
    let e = entry(
        "POST",
        "https://management.azure.com/batch",
        Some("{"),
        200,
        Some("{\"x\":1}"),
        false,
    );
    let out = extract_entry(&e, &loc).unwrap();
    assert!(out.warning.is_some(), "the request body is only a warning");
    assert!(
        out.unreadable.is_some(),
        "a response body that is not a batch response may hide the failure"
    );
    assert!(out.evidence.is_empty());
    let broken_base64 = entry(
        "POST",
        "https://management.azure.com/batch",
        None,
        200,
        Some("httpStatusCode:409!!not base64"),
        true,
    );
    let out = extract_entry(&broken_base64, &loc).unwrap();
    assert!(out.unreadable.is_some(), "{out:?}");
}

/// URL fragments: every literal of the prefilter's table, in odd cases and
/// cut short, and the rest of a URL's usual parts.
fn url_piece() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let mut pieces: Vec<String> = Vec::new();
    for lit in prefilter::url_literals() {
        pieces.push(lit.to_string());
        pieces.push(lit.to_ascii_uppercase());
        pieces.push(lit[..lit.len() / 2].to_string());
        pieces.push(lit[lit.len() / 2..].to_string());
    }
    for p in [
        "https://",
        "http://",
        "/",
        "//",
        "?",
        "#",
        "&",
        "=",
        ":443",
        "@",
        "user@",
        "s1",
        "rg",
        "resourceGroups",
        "providers",
        "Microsoft.Batch",
        "169.254.169.254",
        "portal.azure.com",
        "x",
        "%2F",
        "batch",
        "Batch",
        ".",
        "-",
    ] {
        pieces.push(p.to_string());
    }
    proptest::collection::vec(proptest::sample::select(pieces), 0..8).prop_map(|v| v.concat())
}

proptest::proptest! {
    /// Every gate an extractor sits behind implies a literal of the table:
    /// the gate in `extract_entry` changes nothing, and the prefilter's
    /// promise holds.
    #[test]
    fn every_extractor_gate_needs_a_literal_of_the_table(url in url_piece()) {
        let host = arm::host_of(&url).unwrap_or("");
        let path = arm::strip_to_path(&url);
        let path_only = path.split(['?', '#']).next().unwrap_or("");
        let gated = path_only.eq_ignore_ascii_case(BATCH_PATH)
            || crate::http::wants(&url)
            || arm::is_arm_host(host)
            || ArmResourceId::parse(&url).is_some();
        if gated {
            proptest::prop_assert!(prefilter::url_may_matter(&url), "{url}");
            proptest::prop_assert!(prefilter::raw_url_may_matter(url.as_bytes()), "{url}");
        }
    }
}
