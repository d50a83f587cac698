//! Resource JSON: Batch account, pool, node and task exports, recognized by
//! their shape, not their file name.
//!
//! Accepted documents: a single object, a bare array, or a list
//! `{"value": [...]}`, as the portal's JSON View, `az ... show/list` and the
//! REST APIs write them. Both planes are read: the management plane (ARM
//! ids, `properties`, identities as a map keyed by resource id) and the Batch
//! data plane (`https://<account>.<region>.batch.azure.com/...`, identities as
//! an array of `{resourceId, clientId, principalId}`).

use serde_json::Value;

use crate::evidence::{
    AccountConfig, AutoStorage, CodeMessage, Evidence, Fact, IdentityRef, NodeStatus, Plane,
    PoolConfig, ResourceFile, ResourceFileKind, TaskFailure, TaskResult,
};
use crate::input::Shape;
use crate::location::Location;

/// Resource documents larger than this are not read: exports are far smaller.
pub const MAX_JSON_BYTES: usize = 64 << 20;

/// What a JSON document held.
#[derive(Debug, Default)]
pub struct ResourceResult {
    /// One evidence item per recognized object.
    pub evidence: Vec<Evidence>,
    /// Objects in the document.
    pub objects: usize,
    /// Objects of a known shape that showed nothing wrong (an Activity Log
    /// event that succeeded): understood, though no evidence.
    pub understood: usize,
    /// The record shapes the document held (Activity Log, service log), so
    /// checks know which inputs could have shown a cause.
    pub shapes: Vec<Shape>,
}

/// The value at `path`; `null` is no value (`az` prints every attribute,
/// unset ones as `null`).
fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .filter(|v| !v.is_null())
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    get(v, path).and_then(Value::as_str).map(str::to_string)
}

/// Parses a document and extracts evidence from every object it holds.
pub fn read_resources(bytes: &[u8], loc: &Location) -> Result<ResourceResult, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(doc) => doc,
        // The diagnostic-setting archive writes one record per line.
        Err(e) => records::json_lines(bytes).ok_or_else(|| syntax_error(&e))?,
    };
    if let Some(entries) = recording::entries_of(&doc) {
        return Ok(recording::read(entries, loc));
    }
    let mut out = ResourceResult::default();
    if let Some(t) = template::template_of(&doc) {
        for (ty, account_name, v) in template::batch_resources(t) {
            out.objects += 1;
            let fact = if ty.ends_with("/pools") {
                let mut p = pool_management(&v, "");
                p.pool = p.pool.rsplit('/').next().unwrap_or_default().to_string();
                p.account = Some(account_name).filter(|a| !a.is_empty());
                Fact::PoolConfig(p)
            } else {
                Fact::AccountConfig(account(&v, ""))
            };
            out.evidence.push(Evidence {
                source: loc.clone(),
                time: None,
                fact,
            });
        }
        return Ok(out);
    }
    for (status, failed, body) in bodies(&doc) {
        let items: Vec<&Value> = match body {
            Value::Array(a) => a.iter().collect(),
            Value::Object(o) => match o.get("value").or_else(|| o.get("records")) {
                Some(Value::Array(a)) => a.iter().collect(),
                _ => vec![body],
            },
            _ => Vec::new(),
        };
        out.objects += items.len();
        for item in items {
            if let Some((shape, found)) = records::record(item) {
                if !out.shapes.contains(&shape) {
                    out.shapes.push(shape);
                }
                match found {
                    Some(fact) => out.evidence.push(Evidence {
                        source: loc.clone(),
                        time: record_time(item),
                        fact,
                    }),
                    None => out.understood += 1,
                }
                continue;
            }
            let fact = if failed {
                error_of(item, status)
            } else {
                classify(item).or_else(|| error_of(item, status))
            };
            if let Some(fact) = fact {
                out.evidence.push(Evidence {
                    source: loc.clone(),
                    time: None,
                    fact,
                });
            }
        }
    }
    Ok(out)
}

/// `az ... -o yaml` output as the JSON `-o json` would print: the same
/// resource, read the same way (YAML 1.2 via `serde_yaml_ng`).
pub fn yaml_as_json(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let v: Value = serde_yaml_ng::from_slice(bytes).map_err(|e| match e.location() {
        Some(at) => format!(
            "not valid YAML at line {} column {}: {e}",
            at.line(),
            at.column()
        ),
        None => format!("not valid YAML: {e}"),
    })?;
    serde_json::to_vec(&v).map_err(|e| format!("YAML that JSON cannot hold: {e}"))
}

/// A JSON syntax error, its position said once, first.
fn syntax_error(e: &serde_json::Error) -> String {
    // serde_json ends its message with the position: say it once, first.
    let full = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    let what = full.strip_suffix(&at).unwrap_or(&full);
    format!(
        "not valid JSON at line {} column {}: {what}",
        e.line(),
        e.column()
    )
}

/// The bodies a document holds, each with the HTTP status it was answered
/// with when the document says and whether that answer is an error.
///
/// A REST API example file or a saved REST answer wraps bodies as
/// `{"parameters": {...}, "responses": {"200": {"body": ...}}}` (the
/// `x-ms-examples` format of Azure/azure-rest-api-specs,
/// <https://github.com/Azure/azure-rest-api-specs/blob/main/documentation/x-ms-examples.md>).
/// The answers are the resource's state; the request parameters are not.
/// Several success answers (`200`, `201`) show the same resource, so only
/// the first is read; every error answer is.
fn bodies(doc: &Value) -> Vec<(Option<u16>, bool, &Value)> {
    let responses = doc
        .get("responses")
        .and_then(Value::as_object)
        .filter(|_| doc.get("parameters").is_some() || doc.get("operationId").is_some());
    let Some(responses) = responses else {
        return vec![(None, false, doc)];
    };
    let mut out = Vec::new();
    let mut success = false;
    for (code, answer) in responses {
        let Some(body) = answer.get("body") else {
            continue;
        };
        // `default` is the documented error answer of an operation.
        let status = code.parse::<u16>().ok();
        let is_error = status.is_none_or(|s| s >= 400);
        if !is_error && std::mem::replace(&mut success, true) {
            continue;
        }
        out.push((status, is_error, body));
    }
    out
}

/// An error body: the Batch data plane's `{"odata.metadata", "code",
/// "message": {"lang", "value"}, "values": [{"key", "value"}]}` (the
/// `BatchError` model of the Batch REST API,
/// <https://learn.microsoft.com/rest/api/batchservice/>), a task-add result
/// `{"status": "ClientError", "taskId", "error": {...}}` carrying one, or
/// the ARM error envelope `{"error": {"code", "message"}}` when the status
/// is known.
fn error_of(v: &Value, status: Option<u16>) -> Option<Fact> {
    if let (Some(err), Some(task)) = (v.get("error"), text(v, &["taskId"])) {
        let Some(Fact::BatchError(mut e)) = batch_error(err, status) else {
            return None;
        };
        e.task = Some(task);
        return Some(Fact::BatchError(e));
    }
    if let Some(e) = batch_error(v, status) {
        return Some(e);
    }
    let env: crate::arm::ErrorEnvelope = serde_json::from_value(v.clone()).ok()?;
    // An ARM answer must say its status to be evidence of a failed call.
    let status = status?;
    Some(Fact::ArmError(crate::evidence::ArmError {
        method: None,
        url: None,
        status,
        details: env.error.detail_items(),
        code: env.error.code,
        message: env.error.message,
        target: env.error.target,
        resource: None,
        envelope: None,
    }))
}

fn batch_error(v: &Value, status: Option<u16>) -> Option<Fact> {
    let metadata = text(v, &["odata.metadata"]).unwrap_or_default();
    let message = get(v, &["message", "value"]).and_then(Value::as_str);
    let code = text(v, &["code"])?;
    if message.is_none() && !metadata.contains("errors") {
        return None;
    }
    let details = get(v, &["values"])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| {
                    format!(
                        "{}: {}",
                        text(x, &["key"]).unwrap_or_default(),
                        text(x, &["value"]).unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Fact::BatchError(crate::evidence::BatchError {
        account: account_from_url(&metadata),
        status,
        code: Some(code),
        // The lines after the first are the request id and time.
        message: message.and_then(|m| m.lines().next()).map(str::to_string),
        details,
        task: None,
    }))
}

fn classify(v: &Value) -> Option<Fact> {
    if !v.is_object() {
        return None;
    }
    let ty = text(v, &["type"]).unwrap_or_default().to_ascii_lowercase();
    let id = text(v, &["id"]).unwrap_or_default();
    let id_l = id.to_ascii_lowercase();
    if ty == "microsoft.batch/batchaccounts"
        || get(v, &["properties", "autoStorage"]).is_some()
        || get(v, &["autoStorage"]).is_some()
        || (id_l.contains("/providers/microsoft.batch/batchaccounts/")
            && id_l.matches('/').count() == 8)
    {
        return Some(Fact::AccountConfig(account(v, &id)));
    }
    if ty == "microsoft.batch/batchaccounts/pools"
        || id_l.contains("/batchaccounts/") && id_l.contains("/pools/")
    {
        return Some(Fact::PoolConfig(pool_management(v, &id)));
    }
    if let Some(job) = job(v, &id) {
        return Some(Fact::JobConfig(job));
    }
    if looks_like_task(v) {
        return Some(Fact::TaskResult(task(v, &id)));
    }
    if get(v, &["nodeAgentInfo"]).is_some()
        || (get(v, &["state"]).is_some()
            && (get(v, &["affinityId"]).is_some() || id_l.starts_with("tvm-")))
    {
        return Some(Fact::NodeStatus(node(v, &id)));
    }
    let data_pool = [
        "vmSize",
        "allocationState",
        "targetDedicatedNodes",
        "virtualMachineConfiguration",
        "applicationPackageReferences",
    ];
    // A pool's own URL, or identities as an array (the data plane's form),
    // also say pool when the export kept few other fields.
    let url = text(v, &["url"]).unwrap_or_default().to_ascii_lowercase();
    let pool_url = url
        .rsplit_once("/pools/")
        .is_some_and(|(_, rest)| rest.trim_end_matches('/').eq_ignore_ascii_case(&id));
    let identity_array =
        get(v, &["identity", "userAssignedIdentities"]).is_some_and(Value::is_array);
    if !id.is_empty()
        && !id.contains('/')
        && (pool_url || identity_array || data_pool.iter().any(|k| get(v, &[k]).is_some()))
    {
        return Some(Fact::PoolConfig(pool_data(v, &id)));
    }
    None
}

/// A job with common resource files: a pool to run on (`poolInfo`) or a
/// job URL, and `commonResourceFiles` (Batch REST API, Job - Get). A job
/// without them tells nothing about identities and is not evidence.
fn job(v: &Value, id: &str) -> Option<crate::evidence::JobConfig> {
    let url = text(v, &["url"]).unwrap_or_default();
    let is_job = get(v, &["poolInfo"]).is_some()
        || url.to_ascii_lowercase().trim_end_matches('/').rsplit_once("/jobs/").is_some_and(|(_, j)| !j.contains('/'));
    let files = resource_files(get(v, &["commonResourceFiles"]));
    (is_job && !files.is_empty() && !id.is_empty()).then(|| crate::evidence::JobConfig {
        account: account_from_url(&url),
        job: id.to_string(),
        pool: text(v, &["poolInfo", "poolId"]),
        common_resource_files: files,
    })
}

/// A data-plane task: it has a command line, or a task URL, or execution
/// information with what only tasks have (resource files, the node it ran
/// on). Exports often drop the command line; jobs have execution
/// information too, but a pool to run on instead of a node.
fn looks_like_task(v: &Value) -> bool {
    let url = text(v, &["url"]).unwrap_or_default().to_ascii_lowercase();
    get(v, &["commandLine"]).is_some()
        || (url.contains("/jobs/") && url.contains("/tasks/"))
        || (get(v, &["executionInfo"]).is_some()
            && get(v, &["poolInfo"]).is_none()
            && (get(v, &["resourceFiles"]).is_some() || get(v, &["nodeInfo"]).is_some()))
}

/// Identities as a map keyed by resource id, or as an array.
fn identities(identity: Option<&Value>) -> Vec<IdentityRef> {
    let Some(uai) = identity.and_then(|i| i.get("userAssignedIdentities")) else {
        return Vec::new();
    };
    match uai {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| IdentityRef {
                resource_id: k.clone(),
                client_id: text(v, &["clientId"]),
                principal_id: text(v, &["principalId"]),
            })
            .collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(|v| {
                Some(IdentityRef {
                    resource_id: text(v, &["resourceId"])?,
                    client_id: text(v, &["clientId"]),
                    principal_id: text(v, &["principalId"]),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn account(v: &Value, id: &str) -> AccountConfig {
    let identity = get(v, &["identity"]);
    let auto = get(v, &["properties", "autoStorage"]).or_else(|| get(v, &["autoStorage"]));
    AccountConfig {
        account_id: (!id.is_empty()).then(|| id.to_string()),
        name: text(v, &["name"]).or_else(|| {
            id.rsplit('/')
                .next()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        }),
        identity_type: identity.and_then(|i| text(i, &["type"])),
        principal_id: identity.and_then(|i| text(i, &["principalId"])),
        identities: identities(identity),
        autostorage: auto.map(|a| AutoStorage {
            storage_account_id: text(a, &["storageAccountId"]),
            authentication_mode: text(a, &["authenticationMode"]),
            node_identity_reference: text(a, &["nodeIdentityReference", "resourceId"]),
        }),
    }
}

fn pool_management(v: &Value, id: &str) -> PoolConfig {
    let parsed = crate::arm::ArmResourceId::parse(id);
    let pool = text(v, &["name"])
        .or_else(|| {
            parsed
                .as_ref()
                .and_then(|r| r.name_of("pools").map(str::to_string))
        })
        .unwrap_or_default();
    let packages = get(v, &["properties", "applicationPackages"])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| text(p, &["id"]))
                .map(|id| id.rsplit('/').next().unwrap_or(&id).to_string())
                .collect()
        })
        .unwrap_or_default();
    PoolConfig {
        pool,
        account: parsed
            .as_ref()
            .and_then(|r| r.name_of("batchAccounts").map(str::to_string)),
        plane: Plane::Management,
        identity_type: get(v, &["identity"]).and_then(|i| text(i, &["type"])),
        identities: identities(get(v, &["identity"])),
        application_packages: packages,
        resize_errors: resize_errors(get(v, &["properties", "resizeOperationStatus", "errors"]))
            .into_iter()
            .chain(resize_errors(get(v, &["properties", "resizeErrors"])))
            .collect(),
        start_task_files: resource_files(get(v, &["properties", "startTask", "resourceFiles"])),
    }
}

/// The account name from a data-plane URL `https://<account>.<region>.batch.azure.com/...`.
fn account_from_url(url: &str) -> Option<String> {
    let host = crate::arm::host_of(url)?;
    host.contains(".batch.")
        .then(|| host.split('.').next().unwrap_or(host).to_string())
}

/// The segment after `key` in a URL path (`/pools/<id>/...`).
fn segment_after(url: &str, key: &str) -> Option<String> {
    let mut parts = crate::arm::strip_to_path(url).split(['/', '?']);
    parts.by_ref().find(|p| p.eq_ignore_ascii_case(key))?;
    parts.next().filter(|s| !s.is_empty()).map(str::to_string)
}

fn pool_data(v: &Value, id: &str) -> PoolConfig {
    let url = text(v, &["url"]).unwrap_or_default();
    let packages = get(v, &["applicationPackageReferences"])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| text(p, &["applicationId"]))
                .collect()
        })
        .unwrap_or_default();
    PoolConfig {
        pool: id.to_string(),
        account: account_from_url(&url),
        plane: Plane::Data,
        identity_type: get(v, &["identity"]).and_then(|i| text(i, &["type"])),
        identities: identities(get(v, &["identity"])),
        application_packages: packages,
        resize_errors: resize_errors(get(v, &["resizeErrors"])),
        start_task_files: resource_files(get(v, &["startTask", "resourceFiles"])),
    }
}

/// `resizeErrors[]` (data plane) or `resizeOperationStatus.errors[]` (management plane).
fn resize_errors(list: Option<&Value>) -> Vec<CodeMessage> {
    list.and_then(Value::as_array)
        .map(|a| a.iter().map(code_message).collect())
        .unwrap_or_default()
}

fn code_message(v: &Value) -> CodeMessage {
    CodeMessage {
        code: text(v, &["code"]),
        message: text(v, &["message"]),
    }
}

fn node(v: &Value, id: &str) -> NodeStatus {
    let url = text(v, &["url"]).unwrap_or_default();
    NodeStatus {
        account: account_from_url(&url),
        pool: segment_after(&url, "pools"),
        node: id.to_string(),
        state: text(v, &["state"]).unwrap_or_default(),
        errors: get(v, &["errors"])
            .and_then(Value::as_array)
            .map(|a| a.iter().map(code_message).collect())
            .unwrap_or_default(),
        agent_version: text(v, &["nodeAgentInfo", "version"]),
        start_task_failure: get(v, &["startTaskInfo", "failureInfo"]).map(code_message),
        state_since: text(v, &["stateTransitionTime"]).map(|t| crate::time::normalize_timestamp(&t)),
        observed_at: latest_time(v, 0).map(|t| t.to_string()),
        start_task_files: resource_files(get(v, &["startTask", "resourceFiles"])),
    }
}

/// The latest timestamp anywhere in a node object: the snapshot was taken
/// no earlier. Only fields named `...Time` count (`stateTransitionTime`,
/// `lastBootTime`, `allocationTime`, `startTaskInfo.startTime`,
/// `recentTasks[].executionInfo.endTime`, ...); depth is bounded.
fn latest_time(v: &Value, depth: usize) -> Option<jiff::Timestamp> {
    if depth > 4 {
        return None;
    }
    match v {
        Value::Object(o) => o
            .iter()
            .filter_map(|(k, x)| match x {
                Value::String(t) if k.ends_with("Time") => t.parse().ok(),
                _ => latest_time(x, depth + 1),
            })
            .max(),
        Value::Array(a) => a.iter().filter_map(|x| latest_time(x, depth + 1)).max(),
        _ => None,
    }
}

fn resource_files(list: Option<&Value>) -> Vec<ResourceFile> {
    list.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(resource_file).collect())
        .unwrap_or_default()
}

fn task(v: &Value, id: &str) -> TaskResult {
    let url = text(v, &["url"]).unwrap_or_default();
    let files = resource_files(get(v, &["resourceFiles"]));
    let failure = get(v, &["executionInfo", "failureInfo"]).map(|f| TaskFailure {
        category: text(f, &["category"]),
        code: text(f, &["code"]),
        message: text(f, &["message"]),
        details: get(f, &["details"])
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .map(|x| {
                        format!(
                            "{}: {}",
                            text(x, &["name"]).unwrap_or_default(),
                            text(x, &["value"]).unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    });
    TaskResult {
        account: account_from_url(&url),
        job: segment_after(&url, "jobs"),
        task: id.to_string(),
        pool: text(v, &["nodeInfo", "poolId"]),
        state: text(v, &["state"]),
        resource_files: files,
        failure,
        job_files: Vec::new(),
    }
}

fn resource_file(v: &Value) -> Option<ResourceFile> {
    let identity = text(v, &["identityReference", "resourceId"]);
    let (kind, source) = if let Some(c) = text(v, &["autoStorageContainerName"]) {
        (ResourceFileKind::AutoStorageContainer, c)
    } else if let Some(u) = text(v, &["storageContainerUrl"]) {
        (ResourceFileKind::StorageContainerUrl, u)
    } else {
        (ResourceFileKind::HttpUrl, text(v, &["httpUrl"])?)
    };
    let has_sas = source.split_once('?').is_some_and(|(_, q)| {
        q.split('&')
            .any(|kv| kv.to_ascii_lowercase().starts_with("sig="))
    });
    Some(ResourceFile {
        kind,
        source,
        identity,
        has_sas,
    })
}

mod recording;
mod records;
mod template;

/// When a record says it happened.
fn record_time(v: &Value) -> Option<String> {
    text(v, &["eventTimestamp"])
        .or_else(|| text(v, &["time"]))
        .map(|t| crate::time::normalize_timestamp(&t))
}

#[cfg(test)]
mod tests;
