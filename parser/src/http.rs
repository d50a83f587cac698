//! One HTTP exchange, wherever it was captured (a HAR entry, a `curl -v`
//! transcript, a saved response body), read as node-plane evidence: IMDS
//! token requests and Azure Storage requests.

use crate::evidence::{Fact, IdentityParam, IdentitySelector, ImdsToken, StorageRequest};
use crate::jwt;

/// What is known of an exchange; any part may be missing.
#[derive(Debug, Default)]
pub struct Exchange<'a> {
    /// Request method.
    pub method: Option<&'a str>,
    /// Request URL (absolute, or a path when only the request line is known).
    pub url: Option<&'a str>,
    /// Request headers, when the request was captured.
    pub request_headers: Option<Vec<(&'a str, &'a str)>>,
    /// Response status.
    pub status: Option<u16>,
    /// Response headers.
    pub response_headers: Vec<(&'a str, &'a str)>,
    /// Response body.
    pub body: Option<&'a [u8]>,
}

/// The IMDS address.
pub const IMDS_HOST: &str = "169.254.169.254";

/// The path of IMDS's token endpoint (compared in lowercase).
pub const IMDS_TOKEN_PATH: &str = "/metadata/identity/oauth2/token";

/// What a Storage host contains (compared in lowercase): blob, Data Lake,
/// and the DNS-zone endpoints.
pub const STORAGE_HOST_MARKERS: [&str; 3] = [".blob.core.", ".dfs.core.", ".blob.storage.azure.net"];

fn header<'a>(h: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// Decodes `%XX` escapes and `+` in a query value.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_params(url: &str) -> Vec<(String, String)> {
    let Some((_, q)) = url.split_once('?') else {
        return Vec::new();
    };
    q.split('#')
        .next()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        })
        .collect()
}

fn is_imds(url: &str) -> bool {
    let host = crate::arm::host_of(url).unwrap_or("");
    let path = crate::arm::strip_to_path(url).to_ascii_lowercase();
    (host == IMDS_HOST || host.is_empty()) && path.starts_with(IMDS_TOKEN_PATH)
}

fn is_storage(url: &str) -> bool {
    let host = crate::arm::host_of(url).unwrap_or("").to_ascii_lowercase();
    STORAGE_HOST_MARKERS
        .iter()
        .any(|s| host.contains(s))
}

/// True for a URL whose exchanges [`interpret`] reads (IMDS or Storage):
/// callers skip decoding bodies of everything else.
pub fn wants(url: &str) -> bool {
    is_imds(url) || is_storage(url)
}

/// Reads an exchange as IMDS or Storage evidence, if it is either.
pub fn interpret(x: &Exchange) -> Option<Fact> {
    match x.url {
        Some(url) if is_imds(url) => Some(Fact::ImdsToken(imds(x, Some(url)))),
        Some(url) if is_storage(url) => storage(x, Some(url)).map(Fact::StorageRequest),
        Some(_) => None,
        None => body_only(x),
    }
}

fn imds(x: &Exchange, url: Option<&str>) -> ImdsToken {
    let params = url.map(query_params).unwrap_or_default();
    let requested = IdentityParam::ALL.iter().find_map(|&k| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k.as_str()))
            .map(|(_, v)| IdentitySelector {
                by: k,
                value: v.clone(),
            })
    });
    let resource = params
        .iter()
        .find(|(n, _)| n == "resource")
        .map(|(_, v)| v.clone());
    let body: Option<serde_json::Value> = x.body.and_then(|b| serde_json::from_slice(b).ok());
    let get = |k: &str| {
        body.as_ref()
            .and_then(|v| v.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    ImdsToken {
        requested,
        resource: resource.or_else(|| get("resource")),
        status: x.status,
        client_id: get("client_id"),
        error: get("error"),
        error_description: get("error_description"),
        claims: get("access_token").as_deref().and_then(jwt::claims),
    }
}

/// The text of `<tag>` in an XML body.
fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].trim().to_string())
}

fn storage(x: &Exchange, url: Option<&str>) -> Option<StorageRequest> {
    let body = x.body.map(String::from_utf8_lossy).unwrap_or_default();
    let auth = x
        .request_headers
        .as_ref()
        .and_then(|h| header(h, "authorization"));
    let bearer = auth.is_some_and(|a| a.trim_start().to_ascii_lowercase().starts_with("bearer"));
    let version = x
        .request_headers
        .as_ref()
        .and_then(|h| header(h, "x-ms-version"))
        .map(str::to_string);
    let failed =
        x.status.is_some_and(|s| s >= 400) || (x.status.is_none() && body.contains("<Error>"));
    let versionless_bearer = bearer && x.request_headers.is_some() && version.is_none();
    if !failed && !versionless_bearer {
        return None;
    }
    let code = header(&x.response_headers, "x-ms-error-code")
        .map(str::to_string)
        .or_else(|| xml_text(&body, "Code"));
    Some(StorageRequest {
        method: x.method.map(str::to_string),
        url: url.map(str::to_string),
        status: x.status,
        error_code: code,
        message: xml_text(&body, "Message")
            .map(|m| m.lines().next().unwrap_or("").trim().to_string()),
        auth_detail: xml_text(&body, "AuthenticationErrorDetail"),
        bearer,
        x_ms_version: version,
        request_known: x.request_headers.is_some(),
        claims: auth.and_then(jwt::claims),
    })
}

/// A saved response body without its request: an IMDS token or error, or a Storage error.
fn body_only(x: &Exchange) -> Option<Fact> {
    let body = x.body?;
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let is_token = v.get("access_token").is_some()
            && (v.get("client_id").is_some() || v.get("token_type").is_some());
        let is_error =
            v.get("error").is_some_and(|e| e.is_string()) && v.get("error_description").is_some();
        return (is_token || is_error).then(|| Fact::ImdsToken(imds(x, None)));
    }
    let text = String::from_utf8_lossy(body);
    text.contains("<Error>")
        .then(|| storage(x, None))
        .flatten()
        .map(Fact::StorageRequest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imds_request_and_answer() {
        let url = "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/&mi_res_id=%2Fsubscriptions%2Fs%2Fu";
        let body = br#"{"error":"invalid_request","error_description":"Identity not found"}"#;
        let x = Exchange {
            url: Some(url),
            status: Some(400),
            body: Some(body),
            ..Exchange::default()
        };
        let Some(Fact::ImdsToken(t)) = interpret(&x) else {
            panic!()
        };
        assert_eq!(
            t.requested,
            Some(IdentitySelector {
                by: IdentityParam::MiResId,
                value: "/subscriptions/s/u".into()
            })
        );
        assert_eq!(t.resource.as_deref(), Some("https://storage.azure.com/"));
        assert_eq!(t.error_description.as_deref(), Some("Identity not found"));
    }

    #[test]
    fn storage_bearer_without_version() {
        let body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:1\nTime:2</Message><AuthenticationErrorDetail>Authentication scheme Bearer is not supported in this version.</AuthenticationErrorDetail></Error>";
        let x = Exchange {
            method: Some("GET"),
            url: Some("https://sa.blob.core.windows.net/c/b.txt"),
            request_headers: Some(vec![("Authorization", "Bearer a.b.c")]),
            status: Some(403),
            body: Some(body),
            ..Exchange::default()
        };
        let Some(Fact::StorageRequest(s)) = interpret(&x) else {
            panic!()
        };
        assert!(s.bearer && s.request_known && s.x_ms_version.is_none());
        assert_eq!(s.error_code.as_deref(), Some("AuthenticationFailed"));
        assert_eq!(
            s.message.as_deref(),
            Some("Server failed to authenticate the request.")
        );
        assert!(s.auth_detail.unwrap().contains("Bearer is not supported"));
    }

    #[test]
    fn successful_storage_calls_with_a_version_are_not_evidence() {
        let x = Exchange {
            url: Some("https://sa.blob.core.windows.net/c/b"),
            request_headers: Some(vec![
                ("Authorization", "Bearer x"),
                ("x-ms-version", "2021-08-06"),
            ]),
            status: Some(200),
            ..Exchange::default()
        };
        assert!(interpret(&x).is_none());
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%2Fb+c%"), "a/b c%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("é%é%41"), "é%éA");
    }
}
