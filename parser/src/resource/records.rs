//! Azure Monitor records: Activity Log events and Batch service logs.
//!
//! - Activity Log exports: `az monitor activity-log list` (a bare array),
//!   the REST list `{"value": [...]}` (the event schema,
//!   <https://learn.microsoft.com/azure/azure-monitor/essentials/activity-log-schema>),
//!   and the diagnostic-setting archive
//!   (`insights-activity-logs/.../PT1H.json`, one record per line or
//!   `{"records": [...]}`), whose records name `operationName`,
//!   `resultType` and `properties.statusCode`. A failed write carries the
//!   service's error as an escaped JSON string in `properties.statusMessage`;
//!   it becomes the same ARM error a browser capture of the call gives, so
//!   an application-version write refused with `AutoStorageNoPermission`
//!   is BD101 evidence however it was exported.
//! - Batch service logs (diagnostic-setting category `ServiceLog`,
//!   <https://learn.microsoft.com/azure/batch/batch-diagnostics#service-log-events>):
//!   `TaskFailEvent` (the task's job, id, pool and failure) and
//!   `PoolResizeCompleteEvent` whose result is not a success.

use serde_json::Value;

use crate::evidence::{ArmError, BatchError, Fact, TaskFailure, TaskResult};
use crate::input::Shape;

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    get(v, path).and_then(Value::as_str).map(str::to_string)
}

/// A record's value that is a string or `{"value": ...}` (the list form
/// writes `status`, `operationName` as objects, the archive as strings).
fn word(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| {
        x.as_str()
            .map(str::to_string)
            .or_else(|| text(x, &["value"]))
    })
}

/// The fact a record shows, if it is an Activity Log or service-log
/// record, with which of the two it is.
pub fn record(v: &Value) -> Option<(Shape, Option<Fact>)> {
    let operation = word(v, "operationName")?;
    let category = word(v, "category").unwrap_or_default();
    if category.eq_ignore_ascii_case("ServiceLog") {
        return Some((Shape::ServiceLog, service_log(v, &operation)));
    }
    let activity = v.get("eventTimestamp").is_some()
        || v.get("resultType").is_some()
        || v.get("correlationId").is_some()
        || category.eq_ignore_ascii_case("Administrative");
    activity.then(|| (Shape::ActivityLog, activity_error(v, &operation)))
}

/// HTTP status from the words the Activity Log writes (`Conflict`, `Forbidden`, ...).
fn status_of(word: &str) -> Option<u16> {
    let w = word.trim().split(['.', ' ']).find(|p| !p.eq_ignore_ascii_case("Failed"))?;
    if let Ok(n) = w.parse::<u16>() {
        return Some(n);
    }
    Some(match w.to_ascii_lowercase().as_str() {
        "badrequest" => 400,
        "unauthorized" => 401,
        "forbidden" => 403,
        "notfound" => 404,
        "conflict" => 409,
        "preconditionfailed" => 412,
        "toomanyrequests" => 429,
        "internalservererror" => 500,
        "serviceunavailable" => 503,
        _ => return None,
    })
}

fn activity_error(v: &Value, operation: &str) -> Option<Fact> {
    let result = word(v, "status")
        .or_else(|| word(v, "resultType"))
        .unwrap_or_default();
    if !result.eq_ignore_ascii_case("Failed") && !result.eq_ignore_ascii_case("Failure") {
        return None;
    }
    let props = v.get("properties");
    let status = props
        .and_then(|p| word(p, "statusCode"))
        .as_deref()
        .and_then(status_of)
        .or_else(|| word(v, "subStatus").as_deref().and_then(status_of))
        .or_else(|| word(v, "resultSignature").as_deref().and_then(status_of))?;
    // The error is a JSON string inside the record (sometimes an object).
    let message = props.and_then(|p| p.get("statusMessage"));
    let parsed: Option<Value> = match message {
        Some(Value::String(s)) => serde_json::from_str(s).ok(),
        Some(other @ Value::Object(_)) => Some(other.clone()),
        _ => None,
    };
    let env: Option<crate::arm::ErrorEnvelope> =
        parsed.and_then(|p| serde_json::from_value(p).ok());
    let resource_id = word(v, "resourceId").or_else(|| text(v, &["authorization", "scope"]));
    let method = text(v, &["httpRequest", "method"]).or_else(|| {
        let op = operation.to_ascii_lowercase();
        Some(
            if op.ends_with("/write") {
                "PUT"
            } else if op.ends_with("/delete") {
                "DELETE"
            } else if op.ends_with("/action") {
                "POST"
            } else {
                return None;
            }
            .to_string(),
        )
    });
    let (code, message, target, details) = match env {
        Some(e) => (
            e.error.code.clone(),
            e.error.message.clone(),
            e.error.target.clone(),
            e.error.detail_items(),
        ),
        None => (None, None, None, Vec::new()),
    };
    Some(Fact::ArmError(ArmError {
        method,
        resource: resource_id
            .as_deref()
            .and_then(crate::arm::ArmResourceId::parse),
        url: resource_id,
        status,
        code,
        message,
        target,
        details,
        envelope: None,
    }))
}

fn service_log(v: &Value, event: &str) -> Option<Fact> {
    let p = v.get("properties")?;
    let account = word(v, "resourceId").and_then(|id| {
        crate::arm::ArmResourceId::parse(&id)
            .and_then(|r| r.name_of("batchAccounts").map(str::to_ascii_lowercase))
    });
    if event.eq_ignore_ascii_case("TaskFailEvent") {
        let f = get(p, &["executionInfo", "failureInfo"]).or_else(|| p.get("failureInfo"));
        return Some(Fact::TaskResult(TaskResult {
            account,
            job: text(p, &["jobId"]),
            task: text(p, &["id"])?,
            pool: text(p, &["nodeInfo", "poolId"]),
            state: Some("completed".into()),
            resource_files: Vec::new(),
            failure: f.map(|f| TaskFailure {
                category: text(f, &["category"]),
                code: text(f, &["code"]),
                message: text(f, &["message"]),
                details: Vec::new(),
            }),
            job_files: Vec::new(),
        }));
    }
    if event.eq_ignore_ascii_case("PoolResizeCompleteEvent") {
        let code = text(p, &["resultCode"])?;
        if code.eq_ignore_ascii_case("Success") {
            return None;
        }
        return Some(Fact::BatchError(BatchError {
            account,
            status: None,
            code: Some(code),
            message: text(p, &["resultMessage"]),
            details: vec![format!("pool: {}", text(p, &["id"]).unwrap_or_default())],
            task: None,
        }));
    }
    None
}

/// The records of a JSON Lines document (one JSON value per line, as the
/// diagnostic-setting archive writes them), or `None` when it is not one.
pub fn json_lines(bytes: &[u8]) -> Option<Value> {
    let mut out = Vec::new();
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        out.push(serde_json::from_slice::<Value>(line).ok()?);
    }
    (out.len() > 1).then_some(Value::Array(out))
}
