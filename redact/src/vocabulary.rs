//! The one credential vocabulary: every shape of secret batchdiag knows, in
//! one table ([`PATTERNS`]), with the header names ([`SECRET_HEADERS`]) and
//! the literals every pattern needs ([`HINTS`]). The report filter of
//! `analyze`, the `redact` copier and `redact --check` all ask this module
//! and nothing else.
//!
//! [`redact_str`] replaces the secret part of a match and keeps the rest, so
//! that a URL still names its storage account and container; each pattern
//! has a kind ([`Pattern::kind`]) that `--check` names, never the value.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// The replacement text for a removed secret.
pub const REDACTED: &str = "[REDACTED]";

/// One credential shape.
pub struct Pattern {
    /// What it finds, in words (`jwt`, `sas-signature`, ...), as `--check` reports it.
    pub kind: &'static str,
    re: Regex,
    replacement: &'static str,
}

/// The shapes, in the order they are applied.
pub static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let kinds = [
        "jwt",
        "authorization-credential",
        "secret-query-parameter",
        "sas-signature",
        "storage-key",
        "quoted-signature",
        "secret-field",
        "sas-signature",
        "command-line-credential",
        "credential-header",
    ];
    let mut next = kinds.iter();
    let mut p = |re: &str, replacement: &'static str| Pattern {
        kind: next.next().copied().unwrap_or("secret"),
        // The patterns are constants checked by the tests below.
        re: Regex::new(re).unwrap_or_else(|e| panic!("secret pattern {re}: {e}")),
        replacement,
    };
    vec![
        // A JWT anywhere: header.payload.signature, base64url.
        p(
            r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*",
            "[REDACTED:jwt]",
        ),
        // Authorization schemes followed by a credential.
        p(
            r"(?i)\b(bearer|basic|sharedkey|sharedkeylite|sharedaccesssignature|pop)(\s+)[A-Za-z0-9._~+/=:%-]{20,}",
            "$1$2[REDACTED]",
        ),
        // Secret query parameters in URLs and form bodies (SAS `sig` above
        // all), and a bare query string (a SAS token saved on its own).
        p(
            r"(?i)((?:^|[?&;/#])(?:sig|signature|access_token|refresh_token|id_token|token|client_secret|code|password|secret|api[-_]?key|subscription-key|x-ms-token)=)[^&#\s\x22'<>\\\[][^&#\s\x22'<>\\]*",
            "$1[REDACTED]",
        ),
        // A SAS signature wherever it stands: after any separator (a space,
        // `\u0026` as JSON encoders write `&`, `&amp;`, `SharedAccessSignature=`)
        // and with its name percent-encoded (`%73ig=`, `sig%3D`).
        p(
            r"(?i)((?:^|[^A-Za-z0-9_%]|\\u0026|%26)(?:s|%73)(?:i|%69)(?:g|%67)(?:=|%3D))[^&#\s\x22'<>\\\[][^&#\s\x22'<>]*",
            "$1[REDACTED]",
        ),
        // Storage keys listed as JSON values (`listKeys`, Batch account keys):
        // 40 or more base64 characters under a key-like name.
        p(
            r#"(?i)((?:\\?")(?:value|primary|secondary|key|primaryKey|secondaryKey)(?:\\?")\s*:\s*(?:\\?"))[A-Za-z0-9+/]{40,}={0,2}"#,
            "$1[REDACTED]",
        ),
        // Storage quotes the request's own signature when it does not match.
        p(
            r"(?i)(signature found in the HTTP request ')[^'\[][^']*",
            "$1[REDACTED]",
        ),
        // Token and key fields in JSON (escaped or not) and key=value text.
        p(
            r#"(?i)((?:access_token|refresh_token|id_token|client_secret|password|passwd|flowtoken|secret|signature|account_?key|storage_?key|sharedaccesskey|primarykey|secondarykey|primarymasterkey|key1|key2|x-ms-token-[a-z-]+)(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)[^"'\\&\s,;}\[][^"'\\&\s,;}]{3,}"#,
            "$1[REDACTED]",
        ),
        // A SAS signature as a quoted key (`{'sig': '...'}`, `"sig": "..."`).
        p(
            r#"(?i)((?:\\?["'])sig(?:\\?["'])\s*:\s*(?:\\?["']))[^"'\\\[][^"'\\]*"#,
            "$1[REDACTED]",
        ),
        // Credentials given to command-line tools: `az ... --account-key X`,
        // `az login -p X`, `azcopy --sas-token X`, `curl -u user:password`.
        p(
            r#"(?i)((?:^|\s)(?:--account-key|--password|--client-secret|--sas-token|--connection-string|-p|-u|--user)(?:\s+|=)["']?)[^\s"'\[$<][^\s"']*"#,
            "$1[REDACTED]",
        ),
        // Header lines that carry credentials.
        p(
            r"(?i)\b((?:set-)?cookie|authorization|x-ms-authorization-auxiliary|ocp-apim-subscription-key|x-functions-key|x-ms-encryption-key|x-identity-header)(\s*:\s*)((?:bearer|basic|sharedkey|sharedkeylite|sharedaccesssignature|pop)\s+)?[^\s\x22\[][^\r\n\x22]*",
            "$1$2$3[REDACTED]",
        ),
    ]
});

/// Returns `s` with every secret replaced; borrows when there was none.
pub fn redact_str(s: &str) -> Cow<'_, str> {
    redact_noting(s, &mut |_| {})
}

/// [`redact_str`], telling `found` the kind of each secret replaced.
pub fn redact_noting<'s>(s: &'s str, found: &mut dyn FnMut(&'static str)) -> Cow<'s, str> {
    let mut out = Cow::Borrowed(s);
    // Most text holds nothing: one literal search decides that first.
    if !HINTS.is_match(s) {
        return out;
    }
    for p in PATTERNS.iter() {
        let replaced = p.re.replace_all(&out, |caps: &regex::Captures| {
            let whole = caps.get(0).map_or("", |m| m.as_str());
            if is_placeholder(credential_part(caps)) {
                whole.to_string()
            } else {
                found(p.kind);
                let mut r = String::new();
                caps.expand(p.replacement, &mut r);
                r
            }
        });
        if let Cow::Owned(o) = replaced {
            out = Cow::Owned(o);
        }
    }
    out
}

/// What a match holds after its captured prefix (the header or parameter
/// name): the credential itself.
fn credential_part<'h>(caps: &regex::Captures<'h>) -> &'h str {
    let Some(whole) = caps.get(0) else { return "" };
    // A captured authorization scheme (`Bearer `) is part of what the
    // stand-in test reads: "Bearer $token" and "Bearer answers 403" are
    // judged whole, though the replacement keeps the scheme.
    let scheme = |m: &regex::Match| {
        let w = m.as_str().trim_end();
        m.as_str().len() > w.len()
            && [
                "bearer",
                "basic",
                "sharedkey",
                "sharedkeylite",
                "sharedaccesssignature",
                "pop",
            ]
            .iter()
            .any(|s| w.eq_ignore_ascii_case(s))
    };
    let prefix_end = caps
        .iter()
        .skip(1)
        .flatten()
        .filter(|m| !scheme(m))
        .map(|m| m.end())
        .max()
        .unwrap_or(whole.start());
    &whole.as_str()[prefix_end - whole.start()..]
}

/// A stand-in rather than a credential: a shell variable or command
/// (`Bearer $token`, `$(az ...)`), a `<placeholder>`, or, after an
/// authorization scheme, a plain lowercase word of prose ("Authorization:
/// Bearer answers 403"). Fix commands and explanations keep them.
fn is_placeholder(credential: &str) -> bool {
    let v = credential.trim().trim_matches('"');
    let (schemed, rest) = match v.split_once(char::is_whitespace) {
        Some((scheme, rest))
            if ["bearer", "basic", "sharedkey", "pop"]
                .iter()
                .any(|s| scheme.eq_ignore_ascii_case(s)) =>
        {
            (true, rest.trim_start())
        }
        _ => (false, v),
    };
    let word = rest
        .split(|c: char| c.is_whitespace() || c == '"')
        .next()
        .unwrap_or("");
    let variable = word.strip_prefix('$').is_some_and(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_{}()".contains(c))
    });
    let bracketed = word.starts_with('<') && rest.contains('>');
    // A credential an earlier pattern already replaced (`Bearer [REDACTED:jwt]`).
    // Only when nothing follows it: what follows may be another secret.
    let redacted = schemed
        && rest.starts_with("[REDACTED")
        && rest.trim_end().ends_with(']')
        && !rest.trim_end().contains(char::is_whitespace);
    let prose =
        schemed && (1..=12).contains(&word.len()) && word.chars().all(|c| c.is_ascii_lowercase());
    variable || bracketed || prose || redacted
}

/// True when `s` holds anything [`redact_str`] would remove.
pub fn contains_secret(s: &str) -> bool {
    HINTS.is_match(s)
        && PATTERNS.iter().any(|p| {
            // Most text matches nothing: ask the cheap question first.
            p.re.is_match(s)
                && p.re
                    .captures_iter(s)
                    .any(|caps| !is_placeholder(credential_part(&caps)))
        })
}

/// Headers whose value is a credential whatever it looks like.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-ms-authorization-auxiliary",
    "ocp-apim-subscription-key",
    "x-functions-key",
    "x-ms-encryption-key",
    "x-identity-header",
    "x-csrf-token",
    "x-xsrf-token",
    "x-api-key",
];

/// Whether a header (any case) carries a credential: the list above, and
/// the families `x-ms-token-*`, `*api-key*`, `*-secret`.
pub fn secret_header(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    SECRET_HEADERS.contains(&n.as_str())
        || n.starts_with("x-ms-token")
        || n.contains("api-key")
        || n.ends_with("-secret")
}

/// Whether a `name=value` pair (a query parameter, a form field) is a
/// credential, by asking the same patterns about `?name=value`.
pub fn secret_pair(name: &str, value: &str) -> bool {
    !value.is_empty()
        && value != REDACTED
        && (secret_header(name) || contains_secret(&format!("?{name}={value}")))
}

/// Literals at least one of which every pattern needs (case-insensitive):
/// text without any of them holds no secret this vocabulary knows, so the
/// patterns are never run on it.
pub static HINTS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "eyJ",
            "sig",
            "%73",
            "%69",
            "%67",
            "token",
            "secret",
            "key",
            "passw",
            "passwd",
            "bearer",
            "basic",
            "sharedkey",
            "sharedaccess",
            "pop",
            "cookie",
            "authorization",
            "code=",
            "signature",
            "value",
            "primary",
            "secondary",
            "x-identity",
            "x-functions",
            "x-ms-",
            "ocp-apim",
            "-p",
            "-u",
            "--user",
            "--password",
            "--connection-string",
        ])
        .expect("constant literals")
});

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ";

    #[test]
    fn removes_every_kind() {
        let cases = [
            (format!("Authorization: Bearer {JWT}"), "canary"),
            (format!("token {JWT} end"), "c2lnbmF0dXJl"),
            ("https://sa.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sp=r&sig=SIGCANARY%2B%3D".into(), "SIGCANARY"),
            (r#"{"access_token":"TOKCANARY","client_id":"c"}"#.into(), "TOKCANARY"),
            (r#"{\"refresh_token\":\"TOKCANARY2\"}"#.into(), "TOKCANARY2"),
            ("DefaultEndpointsProtocol=https;AccountName=sa;AccountKey=KEYCANARY==;EndpointSuffix=x".into(), "KEYCANARY"),
            ("Cookie: portalSession=COOKIECANARY; other=1".into(), "COOKIECANARY"),
            ("authorization: SharedKey sa:SKCANARY123=".into(), "SKCANARY"),
            ("grant_type=x&client_secret=CSCANARY&scope=y".into(), "CSCANARY"),
            ("sig=BARECANARY%3D&se=2030-01-01".into(), "BARECANARY"),
            ("https://sa.blob.core.windows.net/c?sv=1&%73ig=PCTCANARY1".into(), "PCTCANARY1"),
            ("https://sa.blob.core.windows.net/c?sv=1&s%69g=PCTCANARY2".into(), "PCTCANARY2"),
            ("u=https%3A%2F%2Fsa%2Fc%3Fsv%3D1%26sig%3DNESTCANARY%26se%3D2".into(), "NESTCANARY"),
            (r#"{"url":"https://sa/c?sv=1\u0026sig=UCANARY\u0026se=2"}"#.into(), "UCANARY"),
            ("BlobEndpoint=https://sa/;SharedAccessSignature=sv=1&sig=CSSASCANARY".into(), "CSSASCANARY"),
            ("the token sig=SPACECANARY was refused".into(), "SPACECANARY"),
            ("x-ms-encryption-key: EKCANARYbase64==".into(), "EKCANARY"),
            ("X-IDENTITY-HEADER: IHCANARY0123".into(), "IHCANARY"),
            ("login=a&passwd=PWCANARY&flowToken=FTCANARY".into(), "PWCANARY"),
            ("export AZURE_STORAGE_KEY=SKEYCANARY==".into(), "SKEYCANARY"),
            ("{'sig': 'DICTCANARY', 'client_secret': 'DICTCANARY2'}".into(), "DICTCANARY"),
            ("az storage blob list --account-name sa --account-key CLIKEYCANARY==".into(), "CLIKEYCANARY"),
            ("az login --service-principal -u app -p CLIPWCANARY --tenant t".into(), "CLIPWCANARY"),
            ("curl -u admin:CURLCANARY https://x".into(), "CURLCANARY"),
            ("https://portal.azure.com/#code=0.AXoAFRAGCANARY&state=1".into(), "FRAGCANARY"),
            ("logs/token=PATHCANARY/agent-debug.log".into(), "PATHCANARY"),
            ("Signature: DETAILCANARY".into(), "DETAILCANARY"),
            ("The MAC signature found in the HTTP request 'MACCANARYZm9v' is not the same as any computed signature.".into(), "MACCANARY"),
            (r#"{"keyName": "key1", "value": "LKCANARYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}"#.into(), "LKCANARY"),
            (r#"{"primary": "BKCANARYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}"#.into(), "BKCANARY"),
        ];
        for (input, canary) in cases {
            let out = redact_str(&input);
            assert!(!out.contains(canary), "{input} -> {out}");
            assert!(contains_secret(&input), "{input}");
            assert!(!contains_secret(&out), "{out}");
        }
    }

    #[test]
    fn a_credential_header_keeps_its_scheme() {
        assert_eq!(
            redact_str(&format!("> Authorization: Bearer {JWT}")),
            "> Authorization: Bearer [REDACTED:jwt]"
        );
        assert_eq!(
            redact_str("Authorization: Bearer Ab1-opaque.Tok"),
            "Authorization: Bearer [REDACTED]"
        );
        assert_eq!(redact_str("Cookie: a=b"), "Cookie: [REDACTED]");
    }

    #[test]
    fn every_pattern_kind_is_named() {
        assert!(PATTERNS
            .iter()
            .all(|p| !p.kind.is_empty() && p.kind != "secret"));
    }

    #[test]
    fn secret_headers_and_pairs() {
        for h in [
            "Authorization",
            "X-Api-Key",
            "x-ms-token-aad-id-token",
            "my-client-secret",
            "X-CSRF-Token",
        ] {
            assert!(secret_header(h), "{h}");
        }
        assert!(!secret_header("x-ms-version"));
        assert!(secret_pair("sig", "abc"));
        assert!(secret_pair("x-api-key", "abc"));
        assert!(!secret_pair("sv", "2022-11-02"));
        assert!(!secret_pair("sig", REDACTED));
    }

    #[test]
    fn keeps_what_is_not_secret() {
        let url = "https://sa.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sp=r&sig=abc";
        assert_eq!(
            redact_str(url),
            "https://sa.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sp=r&sig=[REDACTED]"
        );
        let plain = "PUT https://management.azure.com/subscriptions/s/resourceGroups/g?api-version=2024-07-01 -> 409 AutoStorageNoPermission";
        assert!(matches!(redact_str(plain), Cow::Borrowed(_)));
        assert!(!contains_secret(
            "The managed identity does not have permission to access auto storage account."
        ));
        assert!(!contains_secret(
            r#"{"client_id":"00000000-0000-0000-0000-000000000000"}"#
        ));
        // Stand-ins in fix commands and prose are not credentials.
        for kept in [
            r#"curl -H "Authorization: Bearer $token" -H "x-ms-version: 2021-08-06" "$url""#,
            r#"curl -H "Authorization: Bearer ${TOKEN}" https://x"#,
            "Get Blob with Authorization: Bearer answers 403 AuthenticationFailed",
            "https://sa.blob.core.windows.net/c?sig=<signature>",
        ] {
            assert_eq!(redact_str(kept), kept);
            assert!(!contains_secret(kept), "{kept}");
        }
    }
}
