//! Deterministic generator of realistic Azure portal HAR captures.
//!
//! Entries follow what Chromium DevTools and Firefox really write
//! (`../shared/reference/formats.md` §1): Chrome's underscore fields,
//! `_transferSize`, `_initiator`, base64 bodies; Firefox's `browser`,
//! local-offset timestamps, `postData.params` beside `text`, bodies left out
//! with a comment; sanitized exports without `authorization`, `cookie` and
//! `set-cookie`. Portal traffic is the ARM `/batch` envelope
//! (`formats.md` §2) around realistic inner calls, static assets, images,
//! telemetry and token refreshes, so that a capture carries the live
//! credentials (bearer JWTs, cookies, SAS signatures) real ones do.

use base64::Engine as _;
use serde_json::{json, Value};

/// Which browser wrote the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    /// Chromium DevTools ("Export HAR (with sensitive data)").
    Chrome,
    /// Chromium DevTools' default sanitized export.
    ChromeSanitized,
    /// Firefox (HAR 1.1 builder, local offsets).
    Firefox,
    /// A debugging proxy: HAR 1.2, no browser fields.
    Proxy,
}

/// A tiny deterministic PRNG (SplitMix64), so generated files are reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// A GUID-shaped string.
    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }
    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// The Azure resources a session talks about.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Subscription id.
    pub subscription: String,
    /// Resource group.
    pub resource_group: String,
    /// Batch account name.
    pub account: String,
    /// Autostorage account name.
    pub storage: String,
    /// Region.
    pub region: String,
}

impl Tenant {
    /// ARM id of the Batch account.
    pub fn account_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Batch/batchAccounts/{}",
            self.subscription, self.resource_group, self.account
        )
    }
}

/// Builds one capture entry by entry.
#[derive(Debug)]
pub struct Session {
    /// Who writes the file.
    pub browser: Browser,
    /// Random source.
    pub rng: Rng,
    /// Resources.
    pub tenant: Tenant,
    /// Entries so far.
    pub entries: Vec<Value>,
    /// Milliseconds since the session start.
    pub clock_ms: u64,
    start_epoch_s: i64,
    /// A JWT used on ARM calls (a canary-like fake, never a real token).
    pub bearer: String,
    /// Portal session cookie value.
    pub cookie: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A fake but well-formed JWT carrying identity claims.
pub fn fake_jwt(rng: &mut Rng, oid: &str, extra: Value) -> String {
    let header = b64url(br#"{"typ":"JWT","alg":"RS256","x5t":"fake","kid":"fake"}"#);
    let mut claims = json!({"aud": "https://management.core.windows.net/", "iss": "https://sts.windows.net/72f988bf-0000-0000-0000-000000000000/", "iat": 1714550000, "nbf": 1714550000, "exp": 1714553900, "oid": oid, "tid": "72f988bf-0000-0000-0000-000000000000", "ver": "1.0"});
    if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            c.insert(k.clone(), v.clone());
        }
    }
    let sig = b64url(&rng.bytes(64));
    format!("{header}.{}.{sig}", b64url(claims.to_string().as_bytes()))
}

const ARM: &str = "https://management.azure.com";

impl Session {
    /// A session for `tenant`, starting at `start_epoch_s` (Unix seconds).
    pub fn new(browser: Browser, seed: u64, tenant: Tenant, start_epoch_s: i64) -> Self {
        let mut rng = Rng::new(seed);
        let oid = rng.guid();
        let bearer = fake_jwt(
            &mut rng,
            &oid,
            json!({"name": "Support Engineer", "upn": "engineer@contoso.example"}),
        );
        let cookie = b64(&rng.bytes(48));
        Session {
            browser,
            rng,
            tenant,
            entries: Vec::new(),
            clock_ms: 0,
            start_epoch_s,
            bearer,
            cookie,
        }
    }

    fn timestamp(&self) -> String {
        let ms = self.clock_ms;
        let t = jiff_like(self.start_epoch_s + (ms / 1000) as i64, ms % 1000);
        match self.browser {
            // Older Firefox builders write local time with an offset.
            Browser::Firefox => t.with_offset_plus_one(),
            _ => t.utc(),
        }
    }

    fn tick(&mut self) -> u64 {
        let dt = 5 + self.rng.below(400);
        self.clock_ms += dt;
        dt
    }

    fn sanitized(&self) -> bool {
        matches!(self.browser, Browser::ChromeSanitized)
    }

    fn request_headers(&self, url: &str, arm: bool, extra: &[(&str, &str)]) -> Vec<Value> {
        let host = url.split('/').nth(2).unwrap_or("");
        let mut h = vec![
            json!({"name": ":authority", "value": host}),
            json!({"name": "accept", "value": "*/*"}),
            json!({"name": "accept-language", "value": "en"}),
            json!({"name": "user-agent", "value": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0"}),
        ];
        if !self.sanitized() {
            if arm {
                h.push(
                    json!({"name": "authorization", "value": format!("Bearer {}", self.bearer)}),
                );
            } else if host == "portal.azure.com" {
                h.push(json!({"name": "cookie", "value": format!("portalId={}; browserId={}", self.cookie, "b1")}));
            }
        }
        if arm {
            h.push(json!({"name": "x-ms-client-request-id", "value": format!("{}", self.rng.clone().guid())}));
            h.push(json!({"name": "x-ms-command-name", "value": "Microsoft_Azure_Batch."}));
        }
        for (n, v) in extra {
            h.push(json!({"name": n, "value": v}));
        }
        if self.browser == Browser::Firefox {
            // Firefox writes header names as sent, without HTTP/2 pseudo headers.
            h.retain(|x| !x["name"].as_str().unwrap_or("").starts_with(':'));
        }
        h
    }

    /// Appends one entry.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        method: &str,
        url: &str,
        req_headers: Vec<Value>,
        post: Option<(&str, String)>,
        status: u16,
        mime: &str,
        body: Option<Vec<u8>>,
        base64_body: bool,
        resource_type: &str,
    ) {
        let wait = self.tick();
        let started = self.timestamp();
        let query: Vec<Value> = url
            .split_once('?')
            .map(|(_, q)| {
                q.split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| json!({"name": k, "value": v}))
                    .collect()
            })
            .unwrap_or_default();
        let mut request = json!({
            "method": method, "url": url, "httpVersion": "http/2.0", "headers": req_headers,
            "queryString": query, "cookies": [], "headersSize": -1, "bodySize": 0,
        });
        if let Some((mime_type, text)) = post {
            request["bodySize"] = json!(text.len());
            let mut pd = json!({"mimeType": mime_type, "text": text});
            if self.browser == Browser::Firefox {
                pd["params"] = json!([]);
            }
            request["postData"] = pd;
        }
        if !self.sanitized() && url.starts_with("https://portal.azure.com") {
            request["cookies"] = json!([{"name": "portalId", "value": self.cookie, "path": "/", "domain": "portal.azure.com", "httpOnly": true, "secure": true}]);
        }
        let size = body.as_ref().map_or(0, Vec::len);
        let mut content = json!({"size": size, "mimeType": mime});
        let firefox_drops_body = self.browser == Browser::Firefox && resource_type == "image";
        match body {
            _ if firefox_drops_body => {
                content["comment"] = json!("Response bodies are not included.");
            }
            Some(b) if base64_body || std::str::from_utf8(&b).is_err() => {
                content["text"] = json!(b64(&b));
                content["encoding"] = json!("base64");
            }
            Some(b) => content["text"] = json!(String::from_utf8_lossy(&b)),
            None => {}
        }
        let mut resp_headers = vec![
            json!({"name": "content-type", "value": mime}),
            json!({"name": "date", "value": "Wed, 01 May 2024 10:00:00 GMT"}),
            json!({"name": "x-ms-request-id", "value": self.rng.guid()}),
        ];
        if !self.sanitized() && url.starts_with("https://portal.azure.com") {
            resp_headers.push(json!({"name": "set-cookie", "value": format!("portalId={}; path=/; secure; HttpOnly", self.cookie)}));
        }
        let mut response = json!({
            "status": status, "statusText": status_text(status), "httpVersion": "http/2.0",
            "headers": resp_headers, "cookies": [], "content": content, "redirectURL": "",
            "headersSize": -1, "bodySize": -1,
        });
        let mut entry = json!({
            "startedDateTime": started, "time": wait as f64 + 0.5, "request": request, "response": response.take(),
            "cache": {}, "timings": {"blocked": 0.6, "dns": -1, "ssl": -1, "connect": -1, "send": 0.2, "wait": wait as f64, "receive": 0.3},
        });
        match self.browser {
            Browser::Chrome | Browser::ChromeSanitized => {
                entry["_initiator"] = json!({"type": "script", "stack": {"callFrames": [{"functionName": "fx", "scriptId": "12", "url": "https://portal.azure.com/Content/Dynamic/fx.js", "lineNumber": 1, "columnNumber": 4000}]}});
                entry["_priority"] = json!("High");
                entry["_resourceType"] = json!(resource_type);
                entry["_connectionId"] = json!(format!("{}", 1000 + self.rng.below(50)));
                entry["serverIPAddress"] = json!("20.37.158.0");
                entry["connection"] = json!("443");
                entry["pageref"] = json!("page_1");
                entry["response"]["_transferSize"] = json!(size + 400);
                entry["response"]["_error"] = Value::Null;
                entry["timings"]["_blocked_queueing"] = json!(0.4);
            }
            Browser::Firefox => {
                entry["_securityState"] = json!("secure");
                entry["pageref"] = json!("page_1");
            }
            Browser::Proxy => {}
        }
        self.entries.push(entry);
    }

    /// An ARM `/batch` call: `(name, method, url, request content)` in,
    /// `(name, status, response content)` out, in the order given.
    pub fn arm_batch(
        &mut self,
        inner: &[(String, &str, String, Option<Value>)],
        responses: &[(String, u16, Value)],
        base64_response: bool,
    ) {
        let requests: Vec<Value> = inner
            .iter()
            .map(|(name, m, url, content)| {
                let mut r = json!({"httpMethod": m, "name": name, "requestHeaderDetails": {"commandName": "Microsoft_Azure_Batch."}, "url": url});
                if let Some(c) = content {
                    r["content"] = c.clone();
                }
                r
            })
            .collect();
        let resp: Vec<Value> = responses
            .iter()
            .map(|(name, status, content)| {
                let text = content.to_string();
                json!({"name": name, "httpStatusCode": status,
                  "headers": {"Pragma": "no-cache", "x-ms-ratelimit-remaining-subscription-reads": "11999", "x-ms-request-id": self.rng.guid(), "x-ms-correlation-request-id": self.rng.guid(), "Cache-Control": "no-cache"},
                  "content": content, "contentLength": text.len()})
            })
            .collect();
        let url = format!("{ARM}/batch?api-version=2020-06-01");
        let headers = self.request_headers(&url, true, &[("content-type", "application/json")]);
        let body = json!({"responses": resp}).to_string().into_bytes();
        self.push(
            "POST",
            &url,
            headers,
            Some((
                "application/json",
                json!({"requests": requests}).to_string(),
            )),
            200,
            "application/json; charset=utf-8",
            Some(body),
            base64_response,
            "fetch",
        );
    }

    /// Ordinary portal noise: scripts, styles, images, telemetry, ARM reads.
    pub fn noise(&mut self, n: usize, image_bytes: usize) {
        for _ in 0..n {
            match self.rng.below(10) {
                0..=2 => {
                    let id = self.rng.below(100_000);
                    let url = format!(
                        "https://afd-v2.hosting.portal.azure.net/batch/Content/Dynamic/{id:x}.js"
                    );
                    let h = self.request_headers(&url, false, &[]);
                    let body = format!("define(\"Batch/Module{id}\",[\"require\",\"exports\"],function(n,t){{\"use strict\";t.value={id};/* {} */}});", "x".repeat(200 + (id % 800) as usize));
                    self.push(
                        "GET",
                        &url,
                        h,
                        None,
                        200,
                        "application/javascript",
                        Some(body.into_bytes()),
                        false,
                        "script",
                    );
                }
                3 => {
                    let id = self.rng.below(1000);
                    let url =
                        format!("https://portal.azure.com/Content/Static/Images/icon{id}.png");
                    let h = self.request_headers(&url, false, &[]);
                    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
                    let extra = image_bytes / 2 + self.rng.below(image_bytes as u64 + 1) as usize;
                    png.extend(self.rng.bytes(extra));
                    self.push(
                        "GET",
                        &url,
                        h,
                        None,
                        200,
                        "image/png",
                        Some(png),
                        true,
                        "image",
                    );
                }
                4 => {
                    let url = "https://portal.azure.com/api/ClientTelemetry?trace=1".to_string();
                    let h =
                        self.request_headers(&url, false, &[("content-type", "application/json")]);
                    let payload = json!([{"action": "BladeLoaded", "source": "Microsoft_Azure_Batch", "duration": self.rng.below(900)}]).to_string();
                    self.push(
                        "POST",
                        &url,
                        h,
                        Some(("application/json", payload)),
                        200,
                        "application/json",
                        Some(b"{}".to_vec()),
                        false,
                        "fetch",
                    );
                }
                5 => {
                    // An ARM read through /batch: list pools and applications of the account.
                    let a = self.tenant.account_id();
                    let n1 = self.rng.guid();
                    let n2 = self.rng.guid();
                    let pools = json!({"value": [{"id": format!("{a}/pools/pool-a"), "name": "pool-a", "type": "Microsoft.Batch/batchAccounts/pools", "properties": {"vmSize": "STANDARD_D2S_V3", "provisioningState": "Succeeded", "allocationState": "Steady"}}]});
                    let apps = json!({"value": [{"id": format!("{a}/applications/render"), "name": "render", "type": "Microsoft.Batch/batchAccounts/applications", "properties": {"allowUpdates": true}}]});
                    self.arm_batch(
                        &[
                            (
                                n1.clone(),
                                "GET",
                                format!("{a}/pools?api-version=2024-07-01"),
                                None,
                            ),
                            (
                                n2.clone(),
                                "GET",
                                format!("{a}/applications?api-version=2024-07-01"),
                                None,
                            ),
                        ],
                        &[(n2, 200, apps), (n1, 200, pools)],
                        false,
                    );
                }
                6 => {
                    let url = "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
                        .to_string();
                    let h = self.request_headers(
                        &url,
                        false,
                        &[("content-type", "application/x-www-form-urlencoded")],
                    );
                    let oid = self.rng.guid();
                    let access = fake_jwt(&mut self.rng, &oid, json!({}));
                    let refresh = b64url(&self.rng.bytes(90));
                    let form = format!("client_id=c44b4083-3bb0-49c1-b47d-974e53cbdf3c&grant_type=refresh_token&refresh_token={refresh}&scope=https%3A%2F%2Fmanagement.core.windows.net%2F%2F.default");
                    let body = json!({"token_type": "Bearer", "scope": "https://management.core.windows.net//user_impersonation", "expires_in": 4779, "access_token": access, "refresh_token": refresh, "client_info": "eyJ1aWQiOiJ4In0"}).to_string();
                    self.push(
                        "POST",
                        &url,
                        h,
                        Some(("application/x-www-form-urlencoded", form)),
                        200,
                        "application/json; charset=utf-8",
                        Some(body.into_bytes()),
                        false,
                        "fetch",
                    );
                }
                7 => {
                    let url = "https://graph.microsoft.com/v1.0/me?$select=displayName".to_string();
                    let h = self.request_headers(&url, true, &[]);
                    self.push(
                        "GET",
                        &url,
                        h,
                        None,
                        200,
                        "application/json",
                        Some(br#"{"displayName":"Support Engineer"}"#.to_vec()),
                        false,
                        "fetch",
                    );
                }
                8 => {
                    let url = format!(
                        "https://portal.azure.com/Content/Dynamic/missing{}.css",
                        self.rng.below(9)
                    );
                    let h = self.request_headers(&url, false, &[]);
                    self.push(
                        "GET",
                        &url,
                        h,
                        None,
                        404,
                        "text/html",
                        Some(b"<html><body>Not found</body></html>".to_vec()),
                        false,
                        "stylesheet",
                    );
                }
                _ => {
                    let url = format!(
                        "https://afd-v2.hosting.portal.azure.net/batch/Content/Css/site{}.css",
                        self.rng.below(20)
                    );
                    let h = self.request_headers(&url, false, &[]);
                    self.push(
                        "GET",
                        &url,
                        h,
                        None,
                        200,
                        "text/css",
                        Some(b".fxs-blade{display:flex}".repeat(40)),
                        false,
                        "stylesheet",
                    );
                }
            }
        }
    }

    /// The portal's application-package upload: the version PUT inside
    /// `/batch`, answered with `outcome` (status, error code, message).
    /// On success, the blob upload to the SAS `storageUrl` and the activation follow.
    pub fn package_upload(
        &mut self,
        app: &str,
        version: &str,
        failure: Option<(u16, &str, &str)>,
        base64_response: bool,
    ) {
        let a = self.tenant.account_id();
        let url = format!("{a}/applications/{app}/versions/{version}?api-version=2024-07-01");
        let name = self.rng.guid();
        let other = self.rng.guid();
        let app_get = format!("{a}/applications/{app}?api-version=2024-07-01");
        let app_body = json!({"id": format!("{a}/applications/{app}"), "name": app, "type": "Microsoft.Batch/batchAccounts/applications", "properties": {"allowUpdates": true}});
        match failure {
            Some((status, code, message)) => {
                let err =
                    json!({"error": {"code": code, "message": message, "target": "BatchAccount"}});
                // The answer to the PUT comes first although it was asked second.
                self.arm_batch(
                    &[
                        (other.clone(), "GET", app_get, None),
                        (name.clone(), "PUT", format!("{ARM}{url}"), Some(json!({}))),
                    ],
                    &[(name, status, err), (other, 200, app_body)],
                    base64_response,
                );
            }
            None => {
                let sas = format!(
                    "https://{}.blob.core.windows.net/app-{app}-{}/{app}-{version}-{}.zip?sv=2022-11-02&sr=b&sig={}&st=2024-05-01T09%3A55%3A00Z&se=2024-05-01T14%3A00%3A00Z&sp=rw",
                    self.tenant.storage,
                    self.rng.guid(),
                    self.rng.guid(),
                    urlenc(&b64(&self.rng.bytes(32)))
                );
                let ok = json!({"id": format!("{a}/applications/{app}/versions/{version}"), "name": version, "type": "Microsoft.Batch/batchAccounts/applications/versions", "etag": "W/\"0x8DC69D1F2A3B4C5\"", "properties": {"storageUrl": sas, "storageUrlExpiry": "2024-05-01T14:00:00Z", "state": "Pending"}});
                self.arm_batch(
                    &[
                        (other.clone(), "GET", app_get, None),
                        (name.clone(), "PUT", format!("{ARM}{url}"), Some(json!({}))),
                    ],
                    &[(name, 200, ok), (other, 200, app_body)],
                    base64_response,
                );
                let h = self.request_headers(
                    &sas,
                    false,
                    &[
                        ("x-ms-blob-type", "BlockBlob"),
                        ("x-ms-version", "2022-11-02"),
                        ("content-type", "application/x-zip-compressed"),
                    ],
                );
                self.push(
                    "PUT",
                    &sas,
                    h,
                    Some((
                        "application/x-zip-compressed",
                        "PK\u{3}\u{4}(zip bytes)".into(),
                    )),
                    201,
                    "",
                    Some(Vec::new()),
                    false,
                    "fetch",
                );
                let act_name = self.rng.guid();
                let active = json!({"id": format!("{a}/applications/{app}/versions/{version}"), "name": version, "type": "Microsoft.Batch/batchAccounts/applications/versions", "properties": {"state": "Active", "format": "zip", "lastActivationTime": "2024-05-01T10:00:05Z"}});
                self.arm_batch(
                    &[(act_name.clone(), "POST", format!("{ARM}{a}/applications/{app}/versions/{version}/activate?api-version=2024-07-01"), Some(json!({"format": "zip"})))],
                    &[(act_name, 200, active)],
                    base64_response,
                );
            }
        }
    }

    /// A direct ARM call outside `/batch` (as a proxy or the CLI makes it).
    pub fn direct_arm(&mut self, method: &str, path: &str, status: u16, body: Value) {
        let url = format!("{ARM}{path}");
        let h = self.request_headers(&url, true, &[("content-type", "application/json")]);
        self.push(
            method,
            &url,
            h,
            Some(("application/json", "{}".into())),
            status,
            "application/json; charset=utf-8",
            Some(body.to_string().into_bytes()),
            false,
            "fetch",
        );
    }

    /// The whole document.
    pub fn document(&self) -> Value {
        let started = jiff_like(self.start_epoch_s, 0);
        let page = json!({"startedDateTime": if self.browser == Browser::Firefox { started.with_offset_plus_one() } else { started.utc() },
            "id": "page_1", "title": format!("https://portal.azure.com/#@contoso.onmicrosoft.com/resource{}/applications", self.tenant.account_id()),
            "pageTimings": {"onContentLoad": -1, "onLoad": -1}});
        let mut log = json!({"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "pages": [page], "entries": self.entries});
        match self.browser {
            Browser::Firefox => {
                log["version"] = json!("1.1");
                log["creator"] = json!({"name": "Firefox", "version": "125.0.3"});
                log["browser"] = json!({"name": "Firefox", "version": "125.0.3"});
            }
            Browser::Proxy => {
                log["creator"] = json!({"name": "Fiddler", "version": "5.0.20211.51073", "comment": "http://www.telerik.com/fiddler"});
                log.as_object_mut().map(|o| o.remove("pages"));
            }
            _ => {}
        }
        json!({"log": log})
    }
}

fn urlenc(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

fn status_text(s: u16) -> &'static str {
    match s {
        200 => "",
        201 => "Created",
        404 => "Not Found",
        409 => "Conflict",
        _ => "",
    }
}

/// A minimal civil-time formatter (no time crate needed for generation).
pub struct Civil {
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    ms: u64,
}

/// Converts Unix seconds and milliseconds to civil UTC time.
pub fn jiff_like(epoch_s: i64, ms: u64) -> Civil {
    let days = epoch_s.div_euclid(86_400);
    let secs = epoch_s.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(mo <= 2);
    Civil {
        y,
        mo,
        d,
        h: (secs / 3600) as u32,
        mi: ((secs % 3600) / 60) as u32,
        s: (secs % 60) as u32,
        ms,
    }
}

impl Civil {
    /// `2024-05-01T10:00:00.123Z`
    pub fn utc(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.y, self.mo, self.d, self.h, self.mi, self.s, self.ms
        )
    }
    /// The same instant written in UTC+01:00 (hour wrap kept simple: sessions start before 22:00).
    pub fn with_offset_plus_one(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+01:00",
            self.y,
            self.mo,
            self.d,
            self.h + 1,
            self.mi,
            self.s,
            self.ms
        )
    }
}
