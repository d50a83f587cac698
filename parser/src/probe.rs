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
    let lines: Vec<&str> = t.lines().map(|l| l.trim_end_matches('\r')).collect();
    trimmed.starts_with("<?xml") && t.contains("<Error>")
        || trimmed.starts_with("<Error>")
        || lines.iter().any(|l| {
            l.starts_with("> GET ")
                || l.starts_with("> PUT ")
                || l.starts_with("> POST ")
                || l.starts_with("> HEAD ")
        })
        // A curl command and its plain output (no `-v`, no `-i`): the
        // command gives the request, the lines after it the body.
        || lines.iter().position(|l| curl_command(l).is_some()).is_some_and(|at| {
            lines[at + 1..].iter().any(|l| {
                let t = l.trim();
                !t.is_empty() && curl_command(l).is_none() && !t.starts_with('$') && !t.starts_with('#')
            })
        })
        // A raw response (`curl -i`, perhaps after the prompt and command):
        // a status line followed by a header line.
        || lines.windows(2).any(|w| {
            is_status_line(w[0]) && (split_header(w[1]).is_some() || w[1].is_empty())
        })
}

fn is_status_line(l: &str) -> bool {
    (l.starts_with("HTTP/1.") || l.starts_with("HTTP/2")) && status_of(l).is_some()
}

/// The request a `curl` command line makes.
struct CurlRequest {
    method: String,
    url: String,
    /// The headers it sets with `-H`.
    headers: Vec<(String, String)>,
}

/// The request of a line (after any shell prompt) that runs curl.
fn curl_command(line: &str) -> Option<CurlRequest> {
    let at = line.find("curl ")?;
    if at > 0 && !line[..at].ends_with(|c: char| c.is_whitespace() || c == ';' || c == '|') {
        return None;
    }
    let words = shell_words(&line[at + 5..]);
    let mut method = None;
    let mut url = None;
    let mut headers = Vec::new();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "-X" | "--request" => method = it.next().cloned(),
            "-H" | "--header" => {
                if let Some(h) = it.next().and_then(|h| split_header(h)) {
                    headers.push(h);
                }
            }
            w if url.is_none() && (w.starts_with("http://") || w.starts_with("https://")) => {
                url = Some(w.to_string());
            }
            _ => {}
        }
    }
    Some(CurlRequest {
        method: method.unwrap_or_else(|| "GET".into()),
        url: url?,
        headers,
    })
}

/// Splits a shell command into words: quotes ('..', "..") and backslash
/// escapes as a POSIX shell reads them; variables stay as written.
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                cur.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// A JSON body is one value: what follows it on the same line (curl's
/// `* Connection #0 ... left intact`, the shell prompt when the body had
/// no final newline) is not part of it.
fn first_json_value(body: &[u8]) -> &[u8] {
    if !matches!(body.first(), Some(b'{') | Some(b'[')) {
        return body;
    }
    let mut values =
        serde_json::Deserializer::from_slice(body).into_iter::<serde::de::IgnoredAny>();
    match values.next() {
        Some(Ok(_)) => &body[..values.byte_offset()],
        _ => body,
    }
}

struct Parsed {
    /// Made from a `curl` command line: the transcript that follows may
    /// show the request itself, which then replaces it.
    from_command: bool,
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
        from_command: false,
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
                    parsed.extend(
                        cur.take()
                            .filter(|c| !(c.from_command && c.status.is_none())),
                    );
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
        if is_status_line(l) {
            // A raw response without curl's prefixes; it answers the
            // command line just read, if any.
            match cur.as_mut() {
                Some(p) if p.from_command && p.status.is_none() => p.status = status_of(l),
                _ => {
                    parsed.extend(cur.take());
                    let mut p = new(line_no);
                    p.status = status_of(l);
                    cur = Some(p);
                }
            }
            in_body = false;
            continue;
        }
        if let Some(c) = curl_command(l) {
            parsed.extend(cur.take());
            let mut p = new(line_no);
            p.from_command = true;
            p.method = Some(c.method);
            p.url = Some(c.url);
            p.request = Some(c.headers);
            cur = Some(p);
            in_body = false;
            continue;
        }
        if l.starts_with("* ") || l.starts_with("{ [") || l.starts_with("} [") || l.starts_with('%')
        {
            continue;
        }
        let p = cur.get_or_insert_with(|| new(line_no));
        let raw_response = p.method.is_none() || p.from_command;
        if p.status.is_some() && !in_body && p.response.is_empty() && raw_response {
            if let Some(h) = split_header(l) {
                p.response.push(h);
                continue;
            }
        } else if p.status.is_some() && !in_body && raw_response {
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
                    .map(|b| first_json_value(b.trim_ascii())),
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
        let s = storage_of(t);
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
        let ev = read_probe(t.as_bytes(), &Location::file("probe.txt"));
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

    const TOKEN_BODY: &str = r#"{"access_token":"eyJ0eXAiOiJKV1QifQ.eyJvaWQiOiJvMSJ9.c2ln","client_id":"9a8b7c6d-0000-4000-8000-000000000001","expires_in":"86399","resource":"https://storage.azure.com/","token_type":"Bearer"}"#;

    fn storage_of(t: &str) -> crate::evidence::StorageRequest {
        assert!(looks_like_probe(t.as_bytes()), "{t}");
        let ev = read_probe(t.as_bytes(), &Location::file("probe.txt"));
        let Fact::StorageRequest(s) = &ev[0].fact else {
            panic!("{ev:?}")
        };
        s.clone()
    }

    fn imds_of(t: &str) -> crate::evidence::ImdsToken {
        assert!(looks_like_probe(t.as_bytes()), "{t}");
        let ev = read_probe(t.as_bytes(), &Location::file("imds.txt"));
        assert_eq!(ev.len(), 1, "{ev:?}");
        let Fact::ImdsToken(i) = &ev[0].fact else {
            panic!("{ev:?}")
        };
        i.clone()
    }

    #[test]
    fn body_without_newline_runs_into_curl_or_the_prompt() {
        let head = "> GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/&client_id=9a8b7c6d-0000-4000-8000-000000000001 HTTP/1.1\n> Host: 169.254.169.254\n> Metadata:true\n>\n< HTTP/1.1 200 OK\n< Content-Type: application/json; charset=utf-8\n<\n";
        for tail in [
            "* Connection #0 to host 169.254.169.254 left intact\n",
            "azureuser@tvm-1:~$ \n",
            "root@tvm-1:/mnt# exit\n",
        ] {
            let i = imds_of(&format!("{head}{TOKEN_BODY}{tail}"));
            assert_eq!(
                i.client_id.as_deref(),
                Some("9a8b7c6d-0000-4000-8000-000000000001"),
                "{tail}"
            );
            assert_eq!(i.claims.as_ref().and_then(|c| c.oid.as_deref()), Some("o1"));
        }
    }

    #[test]
    fn curl_i_transcript_after_the_command_line() {
        let t = "root@tvm-1_1-20240501t095900z:/mnt/batch/tasks# curl -i -H \"Metadata: true\" \"http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F\"\nHTTP/1.1 400 Bad Request\nContent-Type: application/json; charset=utf-8\nContent-Length: 168\n\n{\"error\":\"invalid_request\",\"error_description\":\"Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request\"}root@tvm-1_1-20240501t095900z:/mnt/batch/tasks# \n";
        let i = imds_of(t);
        assert_eq!(i.status, Some(400));
        assert_eq!(i.resource.as_deref(), Some("https://storage.azure.com/"));
        assert!(i
            .error_description
            .as_deref()
            .unwrap()
            .starts_with("Multiple user assigned identities exist"));
    }

    #[test]
    fn the_command_line_names_the_identity_asked_for() {
        let t = "$ curl -s -H 'Metadata: true' 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/&mi_res_id=/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u' -i\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n"
            .to_string()
            + TOKEN_BODY;
        let i = imds_of(&t);
        assert_eq!(
            i.requested
                .as_ref()
                .map(|r| (r.by.as_str(), r.value.ends_with("/u"))),
            Some(("mi_res_id", true))
        );
        // curl -v after the command line: the request lines win, one exchange.
        let v = "$ curl -v -H Metadata:true 'http://169.254.169.254/metadata/identity/oauth2/token?resource=https://storage.azure.com/&client_id=c1'\n> GET /metadata/identity/oauth2/token?resource=https://storage.azure.com/&client_id=c1 HTTP/1.1\n> Host: 169.254.169.254\n>\n< HTTP/1.1 200 OK\n<\n".to_string()
            + TOKEN_BODY;
        let i = imds_of(&v);
        assert_eq!(i.requested.as_ref().map(|r| r.value.as_str()), Some("c1"));
    }

    #[test]
    fn storage_command_line_headers_are_the_request() {
        let t = "$ curl -i -H \"Authorization: Bearer $token\" https://sa.blob.core.windows.net/c/b\nHTTP/1.1 403 Server failed to authenticate the request.\nx-ms-error-code: AuthenticationFailed\n\n<Error><Code>AuthenticationFailed</Code><AuthenticationErrorDetail>Authentication scheme Bearer is not supported in this version.</AuthenticationErrorDetail></Error>";
        let s = storage_of(t);
        assert_eq!(
            s.url.as_deref(),
            Some("https://sa.blob.core.windows.net/c/b")
        );
        assert!(
            s.bearer && s.request_known && s.x_ms_version.is_none(),
            "{s:?}"
        );
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
