//! Azure Resource Manager shapes shared by every input format: resource ids,
//! the error envelope, and the portal's `/batch` request and response bodies.

use serde::{Deserialize, Serialize};

use crate::evidence::ErrorDetail;

/// A parsed ARM resource id: `/subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}[/{type}/{name}...]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmResourceId {
    /// The id exactly as far as it parsed, without query string.
    pub id: String,
    /// Subscription id.
    pub subscription: String,
    /// Resource group name, if the id is below one.
    #[serde(default)]
    pub resource_group: Option<String>,
    /// Provider namespace, e.g. `Microsoft.Batch`.
    #[serde(default)]
    pub provider: Option<String>,
    /// `(type, name)` pairs from the outermost resource in, e.g.
    /// `[("batchAccounts","acct"),("applications","app"),("versions","1.0")]`.
    #[serde(default)]
    pub types: Vec<(String, String)>,
}

/// The segment every ARM resource id starts with (compared without case).
pub const SUBSCRIPTIONS: &str = "subscriptions";

impl ArmResourceId {
    /// Parses the path part of an absolute URL or a bare `/subscriptions/...` path.
    /// Returns `None` when there is no subscription segment.
    pub fn parse(url_or_path: &str) -> Option<Self> {
        let path = strip_to_path(url_or_path);
        let path = path.split(['?', '#']).next().unwrap_or("");
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let start = segs
            .iter()
            .position(|s| s.eq_ignore_ascii_case(SUBSCRIPTIONS))?;
        let segs = &segs[start..];
        let subscription = (*segs.get(1)?).to_string();
        let mut used = 2;
        let mut resource_group = None;
        if segs
            .get(2)
            .is_some_and(|s| s.eq_ignore_ascii_case("resourceGroups"))
        {
            resource_group = segs.get(3).map(|s| s.to_string());
            used = if resource_group.is_some() { 4 } else { 3 };
        }
        let mut provider = None;
        let mut types = Vec::new();
        if segs
            .get(used)
            .is_some_and(|s| s.eq_ignore_ascii_case("providers"))
        {
            if let Some(ns) = segs.get(used + 1) {
                provider = Some(ns.to_string());
                used += 2;
                while let (Some(t), Some(n)) = (segs.get(used), segs.get(used + 1)) {
                    types.push((t.to_string(), n.to_string()));
                    used += 2;
                }
            }
        }
        let id = format!("/{}", segs[..used.min(segs.len())].join("/"));
        Some(ArmResourceId {
            id,
            subscription,
            resource_group,
            provider,
            types,
        })
    }

    /// The name of the first resource of this type (case-insensitive), e.g. `batchAccounts`.
    pub fn name_of(&self, ty: &str) -> Option<&str> {
        self.types
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(ty))
            .map(|(_, n)| n.as_str())
    }

    /// True when the provider namespace matches (case-insensitive).
    pub fn is_provider(&self, ns: &str) -> bool {
        self.provider
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(ns))
    }
}

/// The last segment of an ARM id: the resource's name (`.../userAssignedIdentities/batch-nodes` gives `batch-nodes`).
pub fn resource_name(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// The path of an absolute URL (from the first `/` after the authority), or the input itself.
pub fn strip_to_path(url: &str) -> &str {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            rest.find('/').map_or("/", |j| &rest[j..])
        }
        None => url,
    }
}

/// The host of an absolute URL, lowercase comparison left to the caller.
pub fn host_of(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    Some(host.split(':').next().unwrap_or(host))
}

/// Resource Manager endpoints of the public and sovereign clouds.
pub const ARM_HOSTS: &[&str] = &[
    "management.azure.com",
    "management.usgovcloudapi.net",
    "management.chinacloudapi.cn",
    "management.microsoftazure.de",
];

/// True for a Resource Manager host.
pub fn is_arm_host(host: &str) -> bool {
    ARM_HOSTS.iter().any(|h| host.eq_ignore_ascii_case(h))
}

/// `{"error": {...}}`, the ARM error envelope.
#[derive(Debug, Deserialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The body of an ARM error.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    /// `code`.
    #[serde(default, deserialize_with = "string_or_other")]
    pub code: Option<String>,
    /// `message`.
    #[serde(default, deserialize_with = "string_or_other")]
    pub message: Option<String>,
    /// `target`.
    #[serde(default, deserialize_with = "string_or_other")]
    pub target: Option<String>,
    /// `details`.
    #[serde(default)]
    pub details: Vec<ErrorBody>,
}

impl ErrorBody {
    /// The details as evidence items (nested details are flattened one level).
    pub fn detail_items(&self) -> Vec<ErrorDetail> {
        self.details
            .iter()
            .map(|d| ErrorDetail {
                code: d.code.clone(),
                message: d.message.clone(),
                target: d.target.clone(),
            })
            .collect()
    }
}

/// Accepts a string; any other JSON value becomes its compact text, so that
/// an odd error body never hides the rest of the error.
fn string_or_other<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

/// The request body of the portal's `POST /batch`.
#[derive(Debug, Deserialize)]
pub struct BatchRequests {
    /// Inner requests.
    #[serde(default)]
    pub requests: Vec<InnerRequest>,
}

/// One inner request of `/batch`.
#[derive(Debug, Deserialize)]
pub struct InnerRequest {
    /// Pairs the request with its response.
    #[serde(default, deserialize_with = "string_or_other")]
    pub name: Option<String>,
    /// Method.
    #[serde(rename = "httpMethod", default, deserialize_with = "string_or_other")]
    pub http_method: Option<String>,
    /// Absolute URL or `/subscriptions/...` path.
    #[serde(default, deserialize_with = "string_or_other")]
    pub url: Option<String>,
}

/// The response body of the portal's `POST /batch`, borrowed from its text.
#[derive(Debug, Deserialize)]
pub struct BatchResponses<'a> {
    /// Inner responses, in no guaranteed order.
    #[serde(borrow)]
    pub responses: Vec<InnerResponse<'a>>,
}

/// One inner response of `/batch`.
///
/// Its body stays raw text until [`InnerResponse::error`] asks for it:
/// only failed calls are read, and building a tree of every successful
/// one (pool and node lists) was most of a `/batch` entry's cost.
#[derive(Debug, Deserialize)]
pub struct InnerResponse<'a> {
    /// Pairs the response with its request.
    #[serde(default, deserialize_with = "string_or_other")]
    pub name: Option<String>,
    /// The real status of the inner call.
    #[serde(rename = "httpStatusCode", default)]
    pub http_status_code: Option<serde_json::Value>,
    /// The inner response body, JSON (or a string holding JSON) as written.
    #[serde(default, borrow)]
    pub content: Option<&'a serde_json::value::RawValue>,
}

/// An HTTP status written as a number or a string (`409`, `"409"`);
/// anything else, or out of range, is unknown.
pub fn status_value(v: &serde_json::Value) -> Option<u16> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl InnerResponse<'_> {
    /// The status as a number, tolerating `"409"`.
    pub fn status(&self) -> Option<u16> {
        status_value(self.http_status_code.as_ref()?)
    }

    /// The ARM error inside `content`, if any (`content` may also be a JSON string).
    pub fn error(&self) -> Option<ErrorBody> {
        let content = serde_json::from_str::<serde_json::Value>(self.content?.get()).ok()?;
        let parsed;
        let value = match &content {
            serde_json::Value::String(s) => {
                parsed = serde_json::from_str::<serde_json::Value>(s).ok()?;
                &parsed
            }
            v => v,
        };
        ErrorEnvelope::deserialize(value).ok().map(|e| e.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_application_version_id() {
        let r = ArmResourceId::parse("https://management.azure.com/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/acct/applications/app/versions/1.0?api-version=2024-07-01").unwrap();
        assert_eq!(r.subscription, "s1");
        assert_eq!(r.resource_group.as_deref(), Some("rg"));
        assert!(r.is_provider("microsoft.batch"));
        assert_eq!(r.name_of("batchaccounts"), Some("acct"));
        assert_eq!(r.name_of("applications"), Some("app"));
        assert_eq!(r.name_of("versions"), Some("1.0"));
        assert_eq!(r.id, "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Batch/batchAccounts/acct/applications/app/versions/1.0");
    }

    #[test]
    fn relative_path_and_odd_inputs() {
        let r = ArmResourceId::parse(
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a",
        )
        .unwrap();
        assert_eq!(r.name_of("batchAccounts"), Some("a"));
        assert!(ArmResourceId::parse("https://example.com/x").is_none());
        assert!(ArmResourceId::parse("/subscriptions").is_none());
        let r = ArmResourceId::parse("/subscriptions/s/resourceGroups").unwrap();
        assert_eq!(r.resource_group, None);
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://user@Management.Azure.com:443/batch?x"),
            Some("Management.Azure.com")
        );
        assert!(is_arm_host("MANAGEMENT.azure.com"));
        assert_eq!(strip_to_path("https://h/batch?api"), "/batch?api");
        assert_eq!(strip_to_path("https://h"), "/");
    }

    #[test]
    fn inner_error_in_string_content() {
        let r: InnerResponse = serde_json::from_str(r#"{"name":"a","httpStatusCode":"409","content":"{\"error\":{\"code\":\"X\",\"message\":5}}"}"#).unwrap();
        assert_eq!(r.status(), Some(409));
        let e = r.error().unwrap();
        assert_eq!(e.code.as_deref(), Some("X"));
        assert_eq!(e.message.as_deref(), Some("5"));
    }
}
