//! Answers as programs print them, rather than as HTTP shows them: what a
//! customer pastes from a console or a log. Each shape is read into the
//! same exchange a transcript gives and interpreted by
//! [`crate::http::interpret`], so the evidence is the same whichever way
//! the answer was saved.
//!
//! Shapes, each from its public documentation:
//!
//! - **PowerShell** (`Invoke-RestMethod`, `Invoke-WebRequest`,
//!   <https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/invoke-restmethod>):
//!   the command line (`-Uri`, `-Headers @{...}`), an object printed as a
//!   list by `Format-List` (`access_token : eyJ...`, long values wrapped
//!   under the value column), an `Invoke-WebRequest` result (`StatusCode`,
//!   `Content`, `RawContent`), and an error record
//!   (`Invoke-RestMethod : {"error":...}`, then `At line:` and
//!   `+ CategoryInfo` / `+ FullyQualifiedErrorId`, messages wrapped at the
//!   console width;
//!   <https://learn.microsoft.com/powershell/scripting/learn/deep-dives/everything-about-exceptions>).
//!   A Storage error shown by PowerShell loses its XML tags, so code and
//!   message run together (`AuthorizationPermissionMismatchThis request ...`).
//! - **.NET** `Azure.RequestFailedException` text: `Status: 403 (...)`,
//!   `ErrorCode: ...`, then `Content:` and `Headers:`
//!   (<https://learn.microsoft.com/dotnet/api/azure.requestfailedexception>).
//! - **Node.js** prints of a Storage `RestError` or its parsed body
//!   (`code: '...'`, `statusCode: 403`, `body: { Code: '...', Message: '...',
//!   AuthenticationErrorDetail: '...' }`;
//!   <https://learn.microsoft.com/javascript/api/@azure/core-rest-pipeline/resterror>).
//! - A Storage XML error body (the Blob service error format,
//!   <https://learn.microsoft.com/rest/api/storageservices/status-and-error-codes2>)
//!   with a log prefix on each line, or JSON-escaped inside a string.

use regex::Regex;
use std::sync::LazyLock;

use crate::evidence::Evidence;
use crate::http::{interpret, Exchange};
use crate::location::Location;

/// Storage error codes about authentication and authorization (from the
/// common REST API error codes of Azure Storage): a PowerShell print of a
/// Storage error runs one of them into its message.
const STORAGE_AUTH_CODES: &[&str] = &[
    "AuthorizationPermissionMismatch",
    "AuthorizationFailure",
    "AuthenticationFailed",
    "AuthorizationSourceIPMismatch",
    "AuthorizationProtocolMismatch",
    "AuthorizationResourceTypeMismatch",
    "AuthorizationServiceMismatch",
    "InsufficientAccountPermissions",
    "KeyBasedAuthenticationNotPermitted",
    "NoAuthenticationInformation",
    "InvalidAuthenticationInfo",
];

static PS_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:invoke-restmethod|invoke-webrequest|irm|iwr)\b").expect("valid regex")
});
static PS_URI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)-uri\s+(?:'([^']+)'|"([^"]+)"|(\S+))"#).expect("valid regex")
});
static PS_HEADERS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)-headers\s+@\{([^}]*)\}").expect("valid regex"));
static PS_METHOD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)-method\s+'?(\w+)").expect("valid regex"));
static LIST_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z_][A-Za-z0-9_-]*)(\s*): (.*)$").expect("valid regex"));
static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^\s*(?:Status|StatusCode|statusCode)\s*:\s*(\d{3})\b").expect("valid regex")
});
static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)(?:^\s*ErrorCode:\s*|x-ms-error-code:\s*|\bCode: '|\bcode: '|<Code>)([A-Za-z]+)"#)
        .expect("valid regex")
});
static DETAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:<AuthenticationErrorDetail>|AuthenticationErrorDetail: ')([^<']+)")
        .expect("valid regex")
});
static MESSAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:<Message>|\bMessage: ')([^<'\n\\]+)").expect("valid regex"));
static STATUS_REASON: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*Status: \d{3} \(([^)<]+)\)").expect("valid regex"));
static LOG_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:\[[^\]]{8,40}\]|\d{4}-\d{2}-\d{2}[T ][0-9:.,]+Z?)\s?").expect("valid regex")
});

/// True when `head` is one of the printed shapes this module reads.
pub fn looks_like_printed(head: &[u8]) -> bool {
    let t = String::from_utf8_lossy(head);
    // A node-agent log is read as one even when it quotes an answer.
    if is_source_code(&t) || memchr::memmem::find(head, crate::agent::line::HEALTH_MARKER).is_some() {
        return false;
    }
    ps_error_line(&t).is_some()
        || (PS_COMMAND.is_match(&t) && PS_URI.is_match(&t))
        || list_block(&t).iter().any(|(k, _)| k == "access_token" || k == "error" || k == "StatusCode")
        || storage_error(&t).is_some()
}

/// A program's source that holds a recorded answer (a test fixture) is not
/// that answer's output.
fn is_source_code(t: &str) -> bool {
    t.contains("require(") || t.contains("module.exports") || t.contains("import ")
}

/// Reads what the printed text shows: at most one exchange (a paste is one
/// command and its answer).
pub fn read_printed(bytes: &[u8], loc: &Location) -> Vec<Evidence> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.replace("\r\n", "\n");
    if is_source_code(&text) {
        return Vec::new();
    }
    let command = ps_command(&text);
    let record = ps_error_line(&text).filter(|b| b.trim_start().starts_with('{'));
    let (status, body) = if let Some(body) = record {
        // An error record whose message is a JSON answer (IMDS).
        (None, body)
    } else if let Some(found) = storage_error(&text) {
        // A Storage error, however printed, is read from its own fields.
        found
    } else if let Some(pairs) = Some(list_block(&text)).filter(|p| !p.is_empty()) {
        list_answer(&pairs)
    } else {
        (None, String::new())
    };
    if body.trim().is_empty() {
        return Vec::new();
    }
    let headers: Option<Vec<(String, String)>> = command.as_ref().map(|c| c.headers.clone());
    let x = Exchange {
        method: command.as_ref().map(|c| c.method.as_str()),
        url: command.as_ref().map(|c| c.url.as_str()),
        request_headers: headers
            .as_ref()
            .map(|h| h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()),
        status,
        response_headers: Vec::new(),
        body: Some(body.as_bytes()),
    };
    interpret(&x)
        .map(|fact| Evidence {
            source: loc.clone(),
            time: None,
            fact,
        })
        .into_iter()
        .collect()
}

struct PsCommand {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
}

/// The request of an `Invoke-RestMethod` / `Invoke-WebRequest` line.
fn ps_command(text: &str) -> Option<PsCommand> {
    let line = text.lines().find(|l| PS_COMMAND.is_match(l) && PS_URI.is_match(l))?;
    let uri = PS_URI.captures(line)?;
    let url = uri.get(1).or(uri.get(2)).or(uri.get(3))?.as_str().to_string();
    let headers = PS_HEADERS
        .captures(line)
        .map(|c| {
            c[1].split(';')
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    let unquote = |s: &str| s.trim().trim_matches(['"', '\'']).to_string();
                    Some((unquote(k), unquote(v)))
                })
                .collect()
        })
        .unwrap_or_default();
    let method = PS_METHOD
        .captures(line)
        .map(|c| c[1].to_ascii_uppercase())
        .unwrap_or_else(|| "GET".into());
    Some(PsCommand {
        method,
        url,
        headers,
    })
}

/// The message of a PowerShell error record (`Invoke-RestMethod : ...`),
/// its wrapped lines joined: the console breaks them at its width,
/// mid-word, so they join without a space.
fn ps_error_line(text: &str) -> Option<String> {
    let mut lines = text.lines();
    let first = lines.by_ref().find_map(|l| {
        let (cmd, rest) = l.split_once(" : ")?;
        let cmd = cmd.trim();
        (cmd.eq_ignore_ascii_case("Invoke-RestMethod")
            || cmd.eq_ignore_ascii_case("Invoke-WebRequest")
            || cmd.eq_ignore_ascii_case("irm")
            || cmd.eq_ignore_ascii_case("iwr"))
        .then(|| rest.to_string())
    })?;
    let mut msg = first;
    for l in lines {
        let t = l.trim_start();
        if t.starts_with("At line:") || t.starts_with("At ") && t.contains(".ps1:") || t.starts_with('+') || t.is_empty() {
            break;
        }
        msg.push_str(l.trim_end());
    }
    Some(msg)
}

/// A `Format-List` block: `Name : value` lines, continuation lines indented
/// to the value column appended to the value before them.
fn list_block(text: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut column = 0usize;
    for l in text.lines() {
        if let Some(c) = LIST_LINE.captures(l) {
            column = c[1].len() + c[2].len() + 2;
            pairs.push((c[1].to_string(), c[3].trim_end().to_string()));
        } else if !pairs.is_empty()
            && column > 0
            && l.len() > column
            && l[..column].trim().is_empty()
        {
            if let Some(last) = pairs.last_mut() {
                last.1.push_str(l.trim());
            }
        } else if !l.trim().is_empty() {
            column = 0;
        }
    }
    // Only a block of several pairs is a printed object.
    if pairs.len() < 2 {
        pairs.clear();
    }
    pairs
}

/// The answer a printed object shows: an `Invoke-WebRequest` result
/// (`StatusCode`, `Content`) or the object itself (a token or an error).
fn list_answer(pairs: &[(String, String)]) -> (Option<u16>, String) {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    if let Some(content) = get("Content") {
        return (get("StatusCode").and_then(|s| s.parse().ok()), content);
    }
    let obj: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    (None, serde_json::Value::Object(obj).to_string())
}

/// A Storage error in any printed form, as `(status, XML body)`.
fn storage_error(text: &str) -> Option<(Option<u16>, String)> {
    // Log prefixes off, JSON string escapes undone: the XML reads as sent.
    let plain: String = text
        .lines()
        .map(|l| LOG_PREFIX.replace(l, "").into_owned())
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\\\"", "\"")
        .replace("\\n", "\n");
    let status = STATUS
        .captures(&plain)
        .and_then(|c| c[1].parse::<u16>().ok());
    let code = CODE
        .captures(&plain)
        .map(|c| c[1].to_string())
        .or_else(|| stripped_code(&plain));
    let code = code.filter(|c| {
        STORAGE_AUTH_CODES.iter().any(|k| k.eq_ignore_ascii_case(c))
            || plain.contains("<Error>")
            || plain.contains("Azure.RequestFailedException")
    })?;
    let message = MESSAGE
        .captures(&plain)
        .or_else(|| STATUS_REASON.captures(&plain))
        .map(|c| c[1].trim().to_string())
        .unwrap_or_default();
    let detail = DETAIL.captures(&plain).map(|c| c[1].trim().to_string());
    let mut xml = format!("<Error><Code>{code}</Code><Message>{message}</Message>");
    if let Some(d) = detail {
        xml.push_str(&format!("<AuthenticationErrorDetail>{d}</AuthenticationErrorDetail>"));
    }
    xml.push_str("</Error>");
    Some((status, xml))
}

/// A Storage error code run into its message, as PowerShell shows an XML
/// error whose tags it stripped.
fn stripped_code(text: &str) -> Option<String> {
    STORAGE_AUTH_CODES.iter().find_map(|code| {
        let at = text.find(code)?;
        let next = text[at + code.len()..].chars().next()?;
        next.is_ascii_uppercase().then(|| code.to_string())
    })
}

#[cfg(test)]
mod tests;
