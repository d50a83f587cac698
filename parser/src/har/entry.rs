//! The grammar of one HAR entry, as Chrome, Edge, Firefox and sanitizers write it.
//!
//! Only the fields the analyzer reads are declared; everything else (timings,
//! cache, `_initiator`, ...) is skipped by serde. Strings borrow from the
//! entry's bytes where they hold no escapes, and bodies are kept raw until an
//! extractor decides the entry is worth decoding, so that the base64 images of
//! an ordinary portal session cost one scan and no allocation.

use std::borrow::Cow;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;

/// One element of `log.entries`.
#[derive(Debug, Deserialize)]
pub struct Entry<'a> {
    /// `startedDateTime`, ISO 8601 with `Z` or an offset.
    #[serde(rename = "startedDateTime", borrow, default)]
    pub started: Option<Cow<'a, str>>,
    /// The request.
    #[serde(borrow)]
    pub request: Request<'a>,
    /// The response; some tools omit it for requests that never completed.
    #[serde(borrow, default)]
    pub response: Option<Response<'a>>,
}

/// `entry.request`.
#[derive(Debug, Deserialize)]
pub struct Request<'a> {
    /// HTTP method.
    #[serde(borrow, default)]
    pub method: Cow<'a, str>,
    /// Absolute URL.
    #[serde(borrow, default)]
    pub url: Cow<'a, str>,
    /// Request headers (sanitized exports drop `authorization` and `cookie`).
    #[serde(borrow, default)]
    pub headers: Vec<Header<'a>>,
    /// The request body, if the browser kept it.
    #[serde(rename = "postData", borrow, default)]
    pub post_data: Option<PostData<'a>>,
}

/// `entry.response`.
#[derive(Debug, Deserialize)]
pub struct Response<'a> {
    /// HTTP status; 0 when the request failed before a response.
    #[serde(default, deserialize_with = "lenient_status")]
    pub status: u16,
    /// Response headers.
    #[serde(borrow, default)]
    pub headers: Vec<Header<'a>>,
    /// The response body and its description.
    #[serde(borrow, default)]
    pub content: Option<Content<'a>>,
}

/// One `{name, value}` header.
#[derive(Debug, Deserialize)]
pub struct Header<'a> {
    /// Header name, as captured (any case).
    #[serde(borrow, default)]
    pub name: Cow<'a, str>,
    /// Header value.
    #[serde(borrow, default)]
    pub value: Cow<'a, str>,
}

/// `request.postData`.
#[derive(Debug, Deserialize)]
pub struct PostData<'a> {
    /// `mimeType`.
    #[serde(rename = "mimeType", borrow, default)]
    pub mime_type: Option<Cow<'a, str>>,
    /// The body, undecoded.
    #[serde(borrow, default)]
    pub text: Option<&'a RawValue>,
}

/// `response.content`.
#[derive(Debug, Deserialize)]
pub struct Content<'a> {
    /// `mimeType`.
    #[serde(rename = "mimeType", borrow, default)]
    pub mime_type: Option<Cow<'a, str>>,
    /// The body, undecoded: a JSON string, possibly base64.
    #[serde(borrow, default)]
    pub text: Option<&'a RawValue>,
    /// `"base64"` when `text` is base64-encoded.
    #[serde(borrow, default)]
    pub encoding: Option<Cow<'a, str>>,
}

/// Status codes written as numbers, floats or strings all count; anything
/// else is 0 (unknown) rather than a reason to drop the entry.
fn lenient_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Any<'a> {
        Int(i64),
        Float(f64),
        #[serde(borrow)]
        Text(Cow<'a, str>),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Any::deserialize(d)? {
        Any::Int(n) => u16::try_from(n).unwrap_or(0),
        Any::Float(f) if (0.0..=65535.0).contains(&f) => f as u16,
        Any::Text(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// `text` was not a JSON string.
    NotAString,
    /// `encoding` was `base64` but the text was not valid base64.
    BadBase64,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::NotAString => f.write_str("body text is not a JSON string"),
            BodyError::BadBase64 => f.write_str("body is marked base64 but does not decode"),
        }
    }
}

/// Decodes a body kept raw by the model: unescapes the JSON string and, when
/// `encoding` says so, decodes base64. Returns bytes, since a body need not be UTF-8.
pub fn decode_body<'a>(
    text: Option<&'a RawValue>,
    encoding: Option<&str>,
) -> Result<Option<Cow<'a, [u8]>>, BodyError> {
    let Some(raw) = text else { return Ok(None) };
    if raw.get() == "null" {
        return Ok(None);
    }
    let s: Cow<'a, str> = serde_json::from_str(raw.get()).map_err(|_| BodyError::NotAString)?;
    if encoding.is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
        let cleaned: Cow<str> = if s.bytes().any(|b| b.is_ascii_whitespace()) {
            Cow::Owned(s.chars().filter(|c| !c.is_ascii_whitespace()).collect())
        } else {
            Cow::Borrowed(s.as_ref())
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(cleaned.as_bytes())
            .or_else(|_| {
                base64::engine::general_purpose::STANDARD_NO_PAD.decode(cleaned.as_bytes())
            })
            .map_err(|_| BodyError::BadBase64)?;
        return Ok(Some(Cow::Owned(bytes)));
    }
    Ok(Some(match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.as_bytes()),
        Cow::Owned(o) => Cow::Owned(o.into_bytes()),
    }))
}

impl Request<'_> {
    /// The first header with this name, compared without case.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl Response<'_> {
    /// The first header with this name, compared without case.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'h>(headers: &'h [Header<'_>], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrome_entry_with_base64_body() {
        let json = br#"{"startedDateTime":"2024-05-01T10:00:00.000Z","time":1,
          "request":{"method":"POST","url":"https://management.azure.com/batch?api-version=2020-06-01","headers":[{"name":"Content-Type","value":"application/json"}],
            "postData":{"mimeType":"application/json","text":"{\"requests\":[]}"}},
          "response":{"status":200,"headers":[],"content":{"size":2,"mimeType":"application/json","text":"e30=","encoding":"base64"}},
          "_initiator":{"type":"script"},"cache":{},"timings":{"send":0,"wait":0,"receive":0}}"#;
        let e: Entry = serde_json::from_slice(json).unwrap();
        assert_eq!(e.request.method, "POST");
        assert_eq!(e.request.header("content-type"), Some("application/json"));
        let r = e.response.unwrap();
        assert_eq!(r.status, 200);
        let c = r.content.unwrap();
        let body = decode_body(c.text, c.encoding.as_deref()).unwrap().unwrap();
        assert_eq!(&*body, b"{}");
        let post = e.request.post_data.unwrap();
        let body = decode_body(post.text, None).unwrap().unwrap();
        assert_eq!(&*body, br#"{"requests":[]}"#);
    }

    #[test]
    fn missing_text_and_odd_status() {
        let json = br#"{"request":{"method":"GET","url":"u"},"response":{"status":"404","content":{"size":-1,"comment":"Response bodies are not included."}}}"#;
        let e: Entry = serde_json::from_slice(json).unwrap();
        let r = e.response.unwrap();
        assert_eq!(r.status, 404);
        assert!(decode_body(r.content.unwrap().text, None)
            .unwrap()
            .is_none());
    }

    #[test]
    fn bad_base64_is_an_error_not_a_panic() {
        let raw: &RawValue = serde_json::from_str(r#""***""#).unwrap();
        assert_eq!(
            decode_body(Some(raw), Some("base64")),
            Err(BodyError::BadBase64)
        );
    }
}
