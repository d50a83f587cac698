//! Resource JSON as the portal, `az` and the REST APIs export it: Batch
//! accounts (management plane, and the `az batch account show` shape), pools
//! in both planes, nodes and tasks, singly, as bare arrays and as
//! `{"value": [...]}` lists (`../shared/reference/formats.md` §4-§6).

use serde_json::{json, Value};

/// Subscription of the generated resources.
pub const SUB: &str = "6f3c8a52-1d4e-4b7a-9c21-0e5d8f7a9b13";
/// Resource group of the generated resources.
pub const RG: &str = "rg-render-prod";

/// ARM id of a user-assigned identity.
pub fn uami(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}")
}

fn guid(seed: u64) -> String {
    let mut r = crate::har_gen::Rng::new(seed);
    r.guid()
}

/// A management-plane account; `az_shape` flattens `properties` as `az batch account show` does.
pub fn account(
    name: &str,
    storage: &str,
    mode: &str,
    node_ref: Option<&str>,
    account_identity: Option<&str>,
    az_shape: bool,
) -> Value {
    let id = format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Batch/batchAccounts/{name}"
    );
    let identity = match account_identity {
        Some(ua) => {
            json!({"type": "UserAssigned", "userAssignedIdentities": {uami(ua): {"principalId": guid(1), "clientId": guid(2)}}})
        }
        None => json!({"type": "SystemAssigned", "principalId": guid(3), "tenantId": guid(4)}),
    };
    let mut auto = json!({
        "storageAccountId": format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/{storage}"),
        "authenticationMode": mode,
        "lastKeySync": "2024-04-30T08:00:00.0000000Z"
    });
    auto["nodeIdentityReference"] = match node_ref {
        Some(r) => json!({"resourceId": uami(r)}),
        None => Value::Null,
    };
    let props = json!({
        "accountEndpoint": format!("{name}.westeurope.batch.azure.com"),
        "nodeManagementEndpoint": format!("{}.westeurope.service.batch.azure.com", guid(5)),
        "provisioningState": "Succeeded", "poolAllocationMode": "BatchService", "publicNetworkAccess": "Enabled",
        "allowedAuthenticationModes": ["SharedKey", "AAD", "TaskAuthenticationToken"],
        "dedicatedCoreQuota": 500, "lowPriorityCoreQuota": 500, "poolQuota": 100, "activeJobAndJobScheduleQuota": 300,
        "autoStorage": auto
    });
    let mut v = json!({"id": id, "name": name, "type": "Microsoft.Batch/batchAccounts", "location": "westeurope", "identity": identity, "tags": {}});
    if az_shape {
        if let (Some(o), Some(p)) = (v.as_object_mut(), props.as_object()) {
            for (k, x) in p {
                o.insert(k.clone(), x.clone());
            }
            o.insert("resourceGroup".into(), json!(RG));
        }
    } else {
        v["properties"] = props;
    }
    v
}

/// A data-plane pool (`az batch pool show`): identities as an array.
pub fn pool_data(account: &str, pool: &str, identities: &[&str], packages: &[&str]) -> Value {
    let identity = if identities.is_empty() {
        json!({"type": "None"})
    } else {
        json!({"type": "UserAssigned", "userAssignedIdentities": identities.iter().enumerate().map(|(i, n)| json!({"resourceId": uami(n), "clientId": guid(10 + i as u64), "principalId": guid(20 + i as u64)})).collect::<Vec<_>>()})
    };
    json!({
        "id": pool, "url": format!("https://{account}.westeurope.batch.azure.com/pools/{pool}"),
        "eTag": "0x8DC69D1F2A3B4C5", "lastModified": "2024-05-01T09:50:00Z", "creationTime": "2024-05-01T09:50:00Z",
        "state": "active", "allocationState": "steady", "vmSize": "standard_d2s_v3",
        "virtualMachineConfiguration": {"imageReference": {"publisher": "canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts", "version": "latest"}, "nodeAgentSKUId": "batch.node.ubuntu 22.04"},
        "resizeTimeout": "PT15M", "currentDedicatedNodes": 2, "targetDedicatedNodes": 2, "enableAutoScale": false, "taskSlotsPerNode": 1,
        "applicationPackageReferences": packages.iter().map(|p| json!({"applicationId": p})).collect::<Vec<_>>(),
        "identity": identity
    })
}

/// A management-plane pool: identities as a map keyed by resource id.
pub fn pool_management(account: &str, pool: &str, identities: &[&str], packages: &[&str]) -> Value {
    let acct = format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Batch/batchAccounts/{account}");
    let mut v = json!({
        "id": format!("{acct}/pools/{pool}"), "name": pool, "type": "Microsoft.Batch/batchAccounts/pools", "etag": "W/\"0x8DC69D1F2A3B4C5\"",
        "properties": {
            "vmSize": "STANDARD_D2S_V3", "provisioningState": "Succeeded", "allocationState": "Steady",
            "scaleSettings": {"fixedScale": {"targetDedicatedNodes": 2, "resizeTimeout": "PT15M"}},
            "applicationPackages": packages.iter().map(|p| json!({"id": format!("{acct}/applications/{p}")})).collect::<Vec<_>>()
        }
    });
    if !identities.is_empty() {
        let map: serde_json::Map<String, Value> = identities
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    uami(n),
                    json!({"principalId": guid(20 + i as u64), "clientId": guid(10 + i as u64)}),
                )
            })
            .collect();
        v["identity"] = json!({"type": "UserAssigned", "userAssignedIdentities": map});
    }
    v
}

/// A data-plane node.
pub fn node(
    account: &str,
    pool: &str,
    id: &str,
    state: &str,
    errors: &[(&str, &str)],
    agent: &str,
) -> Value {
    json!({
        "id": id, "url": format!("https://{account}.westeurope.batch.azure.com/pools/{pool}/nodes/{id}"),
        "state": state, "schedulingState": "enabled", "stateTransitionTime": "2024-05-01T10:02:00Z",
        "allocationTime": "2024-05-01T09:58:00Z", "ipAddress": "10.0.0.4", "affinityId": format!("TVM:{id}"), "vmSize": "standard_d2s_v3",
        "totalTasksRun": 0, "totalTasksSucceeded": 0, "runningTasksCount": 0, "isDedicated": true,
        "nodeAgentInfo": {"version": agent, "lastUpdateTime": "2024-05-01T09:59:00Z"},
        "errors": errors.iter().map(|(c, m)| json!({"code": c, "message": m, "errorDetails": []})).collect::<Vec<_>>()
    })
}

/// A data-plane task with resource files `(kind, source, identity)` and an optional failure `(code, message)`.
pub fn task(
    account: &str,
    job: &str,
    id: &str,
    files: &[(&str, &str, Option<&str>)],
    failure: Option<(&str, &str)>,
) -> Value {
    let rf: Vec<Value> = files
        .iter()
        .map(|(kind, src, ident)| {
            let mut f = json!({kind.to_string(): src, "filePath": "inputs"});
            if let Some(i) = ident {
                f["identityReference"] = json!({"resourceId": uami(i)});
            }
            f
        })
        .collect();
    let mut exec = json!({"startTime": "2024-05-01T10:05:00Z", "endTime": "2024-05-01T10:05:03Z", "retryCount": 0, "requeueCount": 0});
    match failure {
        Some((code, msg)) => {
            exec["result"] = json!("failure");
            exec["failureInfo"] = json!({"category": "usererror", "code": code, "message": msg, "details": [{"name": "ContainerUrl", "value": "https://storage.blob.core.windows.net/inputs"}]});
        }
        None => {
            exec["result"] = json!("success");
            exec["exitCode"] = json!(0);
        }
    }
    json!({
        "id": id, "url": format!("https://{account}.westeurope.batch.azure.com/jobs/{job}/tasks/{id}"),
        "state": "completed", "commandLine": "/bin/bash -c 'render --input inputs'", "resourceFiles": rf, "executionInfo": exec
    })
}
