//! What every request passes through: security headers, the request log
//! and counters, the same-origin check for POSTs, and authentication.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Shared;

/// Body bytes received for this request (the log line reports them).
#[derive(Clone, Default)]
pub(crate) struct BytesIn(pub Arc<AtomicU64>);

/// The route as logged and counted: only fixed names, so nothing a client
/// put in the path reaches the log.
fn route_name(path: &str) -> &'static str {
    match path {
        "/" => "page",
        "/healthz" => "healthz",
        "/metrics" => "metrics",
        "/api/v1/analyze" => "analyze",
        "/api/v1/redact" => "redact",
        _ => "other",
    }
}

/// Logs one line per request (method, route, status, bytes, milliseconds,
/// and for an analysis the milliseconds of its phases) and counts it.
pub(crate) async fn log_and_count(
    State(st): State<Shared>,
    mut req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let route = route_name(req.uri().path());
    let method = match *req.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        _ => "OTHER",
    };
    let bytes = BytesIn::default();
    req.extensions_mut().insert(bytes.clone());
    let resp = next.run(req).await;
    let took = start.elapsed();
    let status = resp.status().as_u16();
    let n = bytes.0.load(Ordering::Relaxed);
    st.metrics.bytes_in(n);
    st.metrics.request(route, status, took);
    // Durations only: where an analysis' time went, never what it read.
    let phases = resp
        .extensions()
        .get::<crate::api::Phases>()
        .map(|p| {
            format!(
                " (upload {}ms, read {}ms, report {}ms)",
                p.upload.as_millis(),
                p.read.as_millis(),
                p.report.as_millis()
            )
        })
        .unwrap_or_default();
    st.config.log.line(&format!(
        "{method} {route} {status} in={n}B {}ms{phases}",
        took.as_millis()
    ));
    resp
}

/// The headers of every response: a CSP that allows only the page's own
/// hashed script and style, no framing, no sniffing, no referrer.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
        );
    }
    resp
}

/// Refuses POSTs a browser sends on behalf of another site: a page
/// elsewhere must not make a support engineer's browser upload to, or
/// read from, this service.
pub(crate) async fn same_origin(State(st): State<Shared>, req: Request, next: Next) -> Response {
    if req.method() == Method::POST {
        let h = req.headers();
        let site = h.get("sec-fetch-site").map(|v| v.as_bytes());
        let site_ok = matches!(site, None | Some(b"same-origin") | Some(b"none"));
        let origin_ok = match (h.get(header::ORIGIN), h.get(header::HOST)) {
            (None, _) => true,
            (Some(o), Some(host)) => {
                let o = o.as_bytes();
                let host = host.as_bytes();
                o.strip_prefix(b"http://")
                    .or_else(|| o.strip_prefix(b"https://"))
                    .is_some_and(|rest| rest == host)
            }
            (Some(_), None) => false,
        };
        if !site_ok || !origin_ok {
            st.metrics.reject("cross_origin");
            return (StatusCode::FORBIDDEN, "cross-origin requests are refused\n").into_response();
        }
    }
    if st.draining.load(Ordering::SeqCst) && req.method() == Method::POST {
        st.metrics.reject("shutting_down");
        return crate::api::busy(&st, "the server is shutting down");
    }
    next.run(req).await
}

/// Requires a valid bearer token (unless serving without authentication).
pub(crate) async fn authenticate(State(st): State<Shared>, req: Request, next: Next) -> Response {
    if !st.config.no_auth {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        if !st.config.tokens.accepts(given) {
            st.metrics.reject("unauthorized");
            let mut r = (
                StatusCode::UNAUTHORIZED,
                "a valid bearer token is required\n",
            )
                .into_response();
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"batchdiag\""),
            );
            return r;
        }
    }
    next.run(req).await
}
