//! Claims of bearer tokens, read without verification, to attribute a call
//! to an identity. The token itself never leaves this module.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The identity claims of an access token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// `oid`: the principal (object) id.
    #[serde(default)]
    pub oid: Option<String>,
    /// `appid`: the client id.
    #[serde(default)]
    pub appid: Option<String>,
    /// `xms_mirid`: the managed identity's ARM resource id.
    #[serde(default)]
    pub xms_mirid: Option<String>,
    /// `aud`: the resource the token is for.
    #[serde(default)]
    pub aud: Option<String>,
}

/// Decodes the payload of a JWT (`header.payload.signature`), or of
/// `Bearer <jwt>`; `None` when it is not one or names no identity.
pub fn claims(token: &str) -> Option<TokenClaims> {
    let t = token.trim();
    let t = t
        .strip_prefix("Bearer ")
        .or_else(|| t.strip_prefix("bearer "))
        .unwrap_or(t)
        .trim();
    let mut parts = t.split('.');
    let (_, payload) = (parts.next()?, parts.next()?);
    parts.next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let c = TokenClaims {
        oid: get("oid"),
        appid: get("appid").or_else(|| get("azp")),
        xms_mirid: get("xms_mirid"),
        aud: get("aud"),
    };
    (c.oid.is_some() || c.appid.is_some() || c.xms_mirid.is_some()).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_identity_claims_only() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"aud":"https://storage.azure.com/","oid":"o1","appid":"c1","xms_mirid":"/subscriptions/s/x/u"}"#);
        let c = claims(&format!("Bearer eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln")).unwrap();
        assert_eq!(c.oid.as_deref(), Some("o1"));
        assert_eq!(c.appid.as_deref(), Some("c1"));
        assert_eq!(c.xms_mirid.as_deref(), Some("/subscriptions/s/x/u"));
        assert_eq!(claims("not a token"), None);
        assert_eq!(claims("a.b.c"), None);
    }
}
