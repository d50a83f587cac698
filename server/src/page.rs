//! `GET /`: one self-contained page. Its script and style are inline and
//! allowed by their SHA-256 hashes in the CSP, so no other script can run.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::Shared;

const HTML: &str = include_str!("page/page.html");
const CSS: &str = include_str!("page/page.css");
const JS: &str = include_str!("page/page.js");

/// The page and its CSP, made once.
pub(crate) struct Page {
    html: String,
    csp: HeaderValue,
}

fn hash(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
}

impl Page {
    pub fn new() -> Self {
        let html = HTML.replace("/*STYLE*/", CSS).replace("/*SCRIPT*/", JS);
        let csp = format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; connect-src 'self'; img-src 'self' data: blob:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
            hash(JS),
            hash(CSS)
        );
        Page {
            html,
            csp: HeaderValue::from_str(&csp)
                .unwrap_or(HeaderValue::from_static("default-src 'none'")),
        }
    }
}

/// Serves the page.
pub(crate) async fn page(State(st): State<Shared>) -> Response {
    let mut r = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        st.page.html.clone(),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, st.page.csp.clone());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csp_hashes_the_inline_script_and_style_exactly() {
        let p = Page::new();
        assert!(p.html.contains(&format!("<script>{JS}</script>")));
        assert!(p.html.contains(&format!("<style>{CSS}</style>")));
        let csp = p.csp.to_str().unwrap();
        assert!(csp.contains(&format!("'sha256-{}'", hash(JS))));
        assert!(!csp.contains("unsafe-inline"));
        // Only one inline script: a second would be blocked by the CSP.
        assert_eq!(p.html.matches("<script").count(), 1);
    }
}
