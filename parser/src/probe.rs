//! Hand-made probes saved as text: `curl -v` transcripts (`> ` request
//! lines, `< ` response lines, then the body), raw HTTP responses
//! (`HTTP/1.1 403 ...`, headers, blank line, body) and bare Storage XML
//! error bodies. Each exchange is read by [`crate::http::interpret`].

use crate::evidence::Evidence;
use crate::http::{interpret, Exchange, IMDS_HOST};
use crate::location::Location;

/// True when `head` looks like a probe transcript or a Storage error body.
pub fn looks_like_probe(head: &[u8]) -> bool {
    let t = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    let trimmed = t.trim_start();
    trimmed.starts_with("<?xml") && t.contains("<Error>")
        || trimmed.starts_with("<Error>")
        || trimmed.starts_with("HTTP/1.") && trimmed.contains('\n')
        || t.lines().any(|l| {
            l.starts_with("> GET ")
                || l.starts_with("> PUT ")
                || l.starts_with("> POST ")
                || l.starts_with("> HEAD ")
        })
}

struct Parsed {
    method: Option<String>,
    url: Option<String>,
    request: Option<Vec<(String, String)>>,
    status: Option<u16>,
    response: Vec<(String, String)>,
    body: Vec<u8>,
    line: u64,
}

fn split_header(l: &str) -> Option<(String, String)> {
    let (n, v) = l.split_once(':')?;
    (!n.trim().is_empty() && !n.contains(' ')).then(|| (n.trim().to_string(), v.trim().to_string()))
}

fn status_of(line: &str) -> Option<u16> {
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads every exchange of a probe file.
pub fn read_probe(bytes: &[u8], loc: &Location) -> Vec<Evidence> {
    let text = String::from_utf8_lossy(bytes);
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut cur: Option<Parsed> = None;
    let mut host: Option<String> = None;
    let mut in_body = false;
    let new = |line: u64| Parsed {
        method: None,
        url: None,
        request: None,
        status: None,
        response: Vec::new(),
        body: Vec::new(),
        line,
    };
    for (n, raw) in text.lines().enumerate() {
        let l = raw.trim_end_matches('\r');
        let line_no = n as u64 + 1;
        // curl marks the end of request and response headers with a bare '>' or '<'.
        if l.trim() == ">" {
            continue;
        }
        if l.trim() == "<" {
            in_body = true;
            continue;
        }
        if let Some(req) = l.strip_prefix("> ") {
            let mut parts = req.split_whitespace();
            if let (Some(m), Some(path)) = (parts.next(), parts.next()) {
                if m.chars().all(|c| c.is_ascii_uppercase()) && path.starts_with('/')
                    || path.starts_with("http")
                {
                    parsed.extend(cur.take());
                    let mut p = new(line_no);
                    p.method = Some(m.to_string());
                    p.url = Some(path.to_string());
                    p.request = Some(Vec::new());
                    cur = Some(p);
                    host = None;
                    in_body = false;
                    continue;
                }
            }
            if let (Some(p), Some((k, v))) = (cur.as_mut(), split_header(req)) {
                if k.eq_ignore_ascii_case("host") {
                    host = Some(v.clone());
                }
                p.request.get_or_insert_with(Vec::new).push((k, v));
                if let (Some(h), Some(u)) = (&host, p.url.as_mut()) {
                    if u.starts_with('/') {
                        let scheme = if h.starts_with(IMDS_HOST) {
                            "http"
                        } else {
                            "https"
                        };
                        *u = format!("{scheme}://{h}{u}");
                    }
                }
            }
            continue;
        }
        if let Some(resp) = l.strip_prefix("< ") {
            let p = cur.get_or_insert_with(|| new(line_no));
            if resp.starts_with("HTTP/") {
                p.status = status_of(resp);
            } else if let Some(h) = split_header(resp) {
                p.response.push(h);
            } else if resp.trim().is_empty() {
                in_body = true;
            }
            continue;
        }
        if l.starts_with("HTTP/1.") || l.starts_with("HTTP/2") {
            // A raw response without curl's prefixes.
            parsed.extend(cur.take());
            let mut p = new(line_no);
            p.status = status_of(l);
            cur = Some(p);
            in_body = false;
            continue;
        }
        if l.starts_with("* ") || l.starts_with("{ [") || l.starts_with("} [") || l.starts_with('%')
        {
            continue;
        }
        let p = cur.get_or_insert_with(|| new(line_no));
        if p.status.is_some() && !in_body && p.response.is_empty() && p.method.is_none() {
            if let Some(h) = split_header(l) {
                p.response.push(h);
                continue;
            }
        } else if p.status.is_some() && !in_body && p.method.is_none() {
            if l.trim().is_empty() {
                in_body = true;
                continue;
            }
            if let Some(h) = split_header(l) {
                p.response.push(h);
                continue;
            }
        }
        p.body.extend_from_slice(l.as_bytes());
        p.body.push(b'\n');
    }
    parsed.extend(cur);
    parsed
        .iter()
        .filter_map(|p| {
            let x = Exchange {
                method: p.method.as_deref(),
                url: p.url.as_deref().filter(|u| !u.starts_with('/')),
                request_headers: p
                    .request
                    .as_ref()
                    .map(|h| h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()),
                status: p.status,
                response_headers: p
                    .response
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
                body: (!p.body.iter().all(u8::is_ascii_whitespace))
                    .then_some(p.body.as_slice())
                    .map(<[u8]>::trim_ascii),
            };
            interpret(&x).map(|fact| Evidence {
                source: Location {
                    line: Some(p.line),
                    ..loc.clone()
                },
                time: None,
                fact,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Fact;

    #[test]
    fn curl_transcript_of_a_blob_read() {
        let t = "*   Trying 20.60.1.1:443...\n> GET /inputs/scene.blend HTTP/1.1\r\n> Host: sa.blob.core.windows.net\r\n> Authorization: Bearer eyJ0eXAi.eyJvaWQiOiJvMSJ9.c2ln\r\n> User-Agent: curl/7.81.0\r\n>\r\n< HTTP/1.1 403 This request is not authorized to perform this operation using this permission.\r\n< x-ms-error-code: AuthorizationPermissionMismatch\r\n<\r\n<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.\nRequestId:x</Message></Error>\n";
        assert!(looks_like_probe(t.as_bytes()));
        let ev = read_probe(t.as_bytes(), &Location::file("probe.txt"));
        let Fact::StorageRequest(s) = &ev[0].fact else {
            panic!("{ev:?}")
        };
        assert_eq!(
            s.url.as_deref(),
            Some("https://sa.blob.core.windows.net/inputs/scene.blend")
        );
        assert_eq!(
            (s.status, s.error_code.as_deref()),
            (Some(403), Some("AuthorizationPermissionMismatch"))
        );
        assert!(s.bearer && s.x_ms_version.is_none() && s.request_known);
        assert_eq!(s.claims.as_ref().and_then(|c| c.oid.as_deref()), Some("o1"));
        assert_eq!(ev[0].source.line, Some(2));
    }

    #[test]
    fn imds_transcript_with_several_identities() {
        let t = "> GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/ HTTP/1.1\n> Host: 169.254.169.254\n> Metadata: true\n>\n< HTTP/1.1 400 Bad Request\n< Content-Type: application/json; charset=utf-8\n<\n{\"error\":\"invalid_request\",\"error_description\":\"Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request\"}\n";
        let ev = read_probe(t.as_bytes(), &Location::file("imds.txt"));
        let Fact::ImdsToken(i) = &ev[0].fact else {
            panic!()
        };
        assert_eq!((i.status, i.requested.as_ref()), (Some(400), None));
        assert!(i
            .error_description
            .as_deref()
            .unwrap()
            .starts_with("Multiple user assigned identities exist"));
    }

    #[test]
    fn bare_xml_and_raw_response() {
        let x = "<?xml version=\"1.0\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>m</Message></Error>";
        let ev = read_probe(x.as_bytes(), &Location::file("e.xml"));
        assert!(
            matches!(&ev[0].fact, Fact::StorageRequest(s) if s.error_code.as_deref() == Some("AuthorizationPermissionMismatch"))
        );
        let raw = "HTTP/1.1 403 Server failed to authenticate the request.\r\nx-ms-error-code: AuthenticationFailed\r\n\r\n<Error><Code>AuthenticationFailed</Code><AuthenticationErrorDetail>Authentication scheme Bearer is not supported in this version.</AuthenticationErrorDetail></Error>";
        let ev = read_probe(raw.as_bytes(), &Location::file("r.txt"));
        let Fact::StorageRequest(s) = &ev[0].fact else {
            panic!("{ev:?}")
        };
        assert_eq!(s.status, Some(403));
        assert!(s.auth_detail.as_deref().unwrap().contains("Bearer"));
    }
}

#[cfg(test)]
mod props {
    proptest::proptest! {
        #[test]
        fn any_text_is_safe(t in "(> |< |HTTP/1.1 |<Error>|\\{|[a-zA-Z0-9 :/?=&\\n\\r.-]){0,60}") {
            let _ = super::read_probe(t.as_bytes(), &crate::location::Location::file("p"));
            let _ = super::looks_like_probe(t.as_bytes());
        }
    }
}
