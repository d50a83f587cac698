//! Corpus bundles of the input shapes customers really send (issue 13):
//! each written from the public documentation of its format, cited beside
//! its recipe, and each with names, ids and times of its own so that no
//! behaviour is fitted to one sample.

use std::path::Path;

use serde_json::{json, Value};

use super::{json_file, write};
use crate::har_gen::Rng;
use crate::log_gen::{node_log, Layout, NodeSpec};
use crate::resources_gen::{account, pool_data, pool_management, task, uami, RG, SUB};

const DENIED: &str = "Access for one of the specified Azure Blob container(s) is denied";
const PKG_INVALID: &str = "One or more application packages specified for the pool are invalid";
const MI: &str = "BatchAccountManagedIdentity";
const NO_PERMISSION: &str = "The managed identity does not have permission to access auto storage account. Please use Azure RBAC to assign the managed identity access to auto storage.";

/// A data-plane node (Batch REST API, Compute Node - Get) with the times a
/// snapshot shows: allocated at `allocated`, in `state` since `since`.
fn node_at(
    account: &str,
    pool: &str,
    id: &str,
    state: &str,
    allocated: &str,
    since: &str,
) -> Value {
    json!({
        "id": id, "url": format!("https://{account}.westeurope.batch.azure.com/pools/{pool}/nodes/{id}"),
        "state": state, "schedulingState": "enabled", "stateTransitionTime": since,
        "allocationTime": allocated, "ipAddress": "10.1.0.5", "affinityId": format!("TVM:{id}"), "vmSize": "standard_d4s_v3",
        "totalTasksRun": 0, "totalTasksSucceeded": 0, "runningTasksCount": 0, "runningTaskSlotsCount": 0, "isDedicated": true,
        "endpointConfiguration": {"inboundEndpoints": []},
        "nodeAgentInfo": {"version": "1.11.19", "lastUpdateTime": allocated},
        "virtualMachineInfo": {"imageReference": {"publisher": "canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}}
    })
}

fn account_id(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Batch/batchAccounts/{name}"
    )
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

/// Writes every bundle of this module under `root`.
pub fn write_shape_bundles(root: &Path) -> std::io::Result<()> {
    unknown_json_only(root)?;
    node_snapshots(root)?;
    storage_403_sas(root)?;
    two_pools_own_config(root)?;
    start_task_sas_files(root)?;
    pool_resize_errors(root)?;
    rest_example_wrappers(root)?;
    arm_templates(root)?;
    activity_log_bd101(root)?;
    service_log_taskfail(root)?;
    az_yaml(root)?;
    az_json_all_nulls(root)?;
    powershell(root)?;
    printed_storage_errors(root)?;
    curl_plain_imds(root)?;
    utf16_agent_log(root)?;
    sdk_recording(root)
}

/// JSON of no shape batchdiag reads: a job list and a task-add result
/// (Batch REST API, Job - List and Task - Add Collection): nothing to
/// analyse, so exit 3, never a clean verdict.
fn unknown_json_only(root: &Path) -> std::io::Result<()> {
    let d = root.join("unknown-json-only");
    json_file(
        &d,
        "jobs.json",
        &json!({"odata.metadata": "https://tailspin-batch.northeurope.batch.azure.com/$metadata#jobs", "value": [
            {"id": "ingest-nightly", "url": "https://tailspin-batch.northeurope.batch.azure.com/jobs/ingest-nightly", "eTag": "0x8DC7A11B2C3D4E5",
             "lastModified": "2024-06-11T02:00:04.1Z", "creationTime": "2024-06-11T02:00:04.1Z", "state": "active", "stateTransitionTime": "2024-06-11T02:00:04.1Z",
             "priority": 0, "maxParallelTasks": -1, "allowTaskPreemption": false, "usesTaskDependencies": false,
             "constraints": {"maxWallClockTime": "P10675199DT2H48M5.4775807S", "maxTaskRetryCount": 0},
             "poolInfo": {"poolId": "ingest-pool"}, "onAllTasksComplete": "noaction", "onTaskFailure": "noaction",
             "executionInfo": {"startTime": "2024-06-11T02:00:04.2Z", "poolId": "ingest-pool"}}
        ]}),
    )?;
    json_file(
        &d,
        "task-add-result.json",
        &json!({"value": [
            {"status": "success", "taskId": "shard-0001", "eTag": "0x8DC7A11B3F00A01", "lastModified": "2024-06-11T02:00:05.0Z", "location": "https://tailspin-batch.northeurope.batch.azure.com/jobs/ingest-nightly/tasks/shard-0001"},
            {"status": "success", "taskId": "shard-0002", "eTag": "0x8DC7A11B3F00A02", "lastModified": "2024-06-11T02:00:05.0Z", "location": "https://tailspin-batch.northeurope.batch.azure.com/jobs/ingest-nightly/tasks/shard-0002"}
        ]}),
    )
}

/// Node lists (Batch REST API, Compute Node - List; `az batch node list`):
/// a node 10 s after allocation is starting, not stuck; nodes whose logs
/// go on joining for half an hour are; a later `idle` snapshot of a node
/// replaces an earlier `starting` one (the earlier one a test-proxy
/// recording whose `Date` header is its time).
fn node_snapshots(root: &Path) -> std::io::Result<()> {
    let acct = "adatum-sim";
    let d = root.join("nodes-starting-fresh");
    json_file(
        &d,
        "nodes.json",
        &json!({"value": [
            node_at(acct, "pool-cfd", "tvm-2817736452_1-20240611t081504z", "starting", "2024-06-11T08:15:04.5Z", "2024-06-11T08:15:14.8Z"),
            node_at(acct, "pool-cfd", "tvm-2817736452_2-20240611t081504z", "starting", "2024-06-11T08:15:04.5Z", "2024-06-11T08:15:12.1Z")
        ]}),
    )?;

    let d = root.join("nodes-starting-stuck");
    let ids = [
        "tvm-3920117745_1-20240611t091002z",
        "tvm-3920117745_2-20240611t091002z",
    ];
    json_file(
        &d,
        "nodes.json",
        &json!([
            node_at(
                acct,
                "pool-mesh",
                ids[0],
                "starting",
                "2024-06-11T09:10:02Z",
                "2024-06-11T09:10:40Z"
            ),
            node_at(
                acct,
                "pool-mesh",
                ids[1],
                "starting",
                "2024-06-11T09:10:02Z",
                "2024-06-11T09:10:44Z"
            )
        ]),
    )?;
    // Each node's own agent log: join reports every 5 s from 09:11 on,
    // for the ~30 minutes the log covers, never ended.
    let mut rng = Rng::new(61);
    for (i, id) in ids.iter().enumerate() {
        let spec = NodeSpec {
            pool: "pool-mesh".into(),
            node: (*id).into(),
            layout: if i == 0 { Layout::Iso } else { Layout::Python },
            joins_for: None,
            start: 1_718_097_060, // 2024-06-11T09:11:00Z
            bytes: 160_000,
            join_every: 5,
            names_in_content: true,
        };
        let mut log = Vec::new();
        node_log(&spec, &mut rng, &mut log)?;
        write(&d.join(format!("node{}", i + 1)), "agent-debug.log", &log)?;
    }

    let d = root.join("nodes-snapshot-superseded");
    let id = "tvm-1187342290_4-20240611t120030z";
    let starting = node_at(
        acct,
        "pool-qa",
        id,
        "starting",
        "2024-06-11T12:00:30Z",
        "2024-06-11T12:01:05Z",
    );
    json_file(
        &d,
        "recording-1220.json",
        &json!({"Entries": [{
            "RequestUri": format!("https://{acct}.westeurope.batch.azure.com/pools/pool-qa/nodes?api-version=2024-07-01.20.0"),
            "RequestMethod": "GET",
            "RequestHeaders": {"Accept": "application/json", "Authorization": "Sanitized", "User-Agent": "azsdk-python-batch/15.0.0 Python/3.11.9 (Linux-6.5.0-x86_64-with-glibc2.35)"},
            "RequestBody": null,
            "StatusCode": 200,
            "ResponseHeaders": {"Content-Type": "application/json;odata=minimalmetadata", "Date": "Tue, 11 Jun 2024 12:20:41 GMT", "request-id": "5b0f3c1e-7d2a-4e8b-9c6d-1f2e3a4b5c6d"},
            "ResponseBody": {"value": [starting]}
        }], "Variables": {}}),
    )?;
    let mut idle = node_at(
        acct,
        "pool-qa",
        id,
        "idle",
        "2024-06-11T12:00:30Z",
        "2024-06-11T12:24:10Z",
    );
    idle["lastBootTime"] = json!("2024-06-11T12:22:51Z");
    idle["startTaskInfo"] = json!({"state": "completed", "startTime": "2024-06-11T12:23:02Z", "endTime": "2024-06-11T12:24:09Z", "exitCode": 0, "retryCount": 0, "result": "success"});
    json_file(&d, "node-1230.json", &idle)
}

/// A Storage 403 AuthorizationPermissionMismatch to a request that carried
/// a SAS (`sig=`) and no bearer token (Storage error codes, curl -v): the
/// SAS lacks the permission; no identity is involved, even with account
/// and pool JSON that would otherwise decide.
fn storage_403_sas(root: &Path) -> std::io::Result<()> {
    let d = root.join("storage-403-sas");
    json_file(
        &d,
        "account.json",
        &account(
            "wingtip-batch",
            "wingtipauto",
            MI,
            Some("wingtip-nodes"),
            None,
            true,
        ),
    )?;
    json_file(
        &d,
        "pool.json",
        &pool_data("wingtip-batch", "pool-encode", &["wingtip-nodes"], &[]),
    )?;
    let t = "*   Trying 20.150.77.36:443...\n* Connected to mediainbox.blob.core.windows.net (20.150.77.36) port 443 (#0)\n> PUT /uploads/clip-0042.mp4?sv=2023-11-03&ss=b&srt=o&sp=r&se=2024-06-12T00%3A00%3A00Z&st=2024-06-11T00%3A00%3A00Z&spr=https&sig=cmVhZG9ubHlzYXNzaWduYXR1cmU%3D HTTP/1.1\n> Host: mediainbox.blob.core.windows.net\n> User-Agent: curl/8.5.0\n> Accept: */*\n> x-ms-blob-type: BlockBlob\n> x-ms-version: 2023-11-03\n> Content-Length: 1048576\n>\n< HTTP/1.1 403 This request is not authorized to perform this operation using this permission.\n< Content-Length: 279\n< Content-Type: application/xml\n< Server: Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0\n< x-ms-request-id: 9e2b7c41-201e-0071-55aa-bbf3e1000000\n< x-ms-version: 2023-11-03\n< x-ms-error-code: AuthorizationPermissionMismatch\n< Date: Tue, 11 Jun 2024 14:02:17 GMT\n<\n<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.\nRequestId:9e2b7c41-201e-0071-55aa-bbf3e1000000\nTime:2024-06-11T14:02:17.4412081Z</Message></Error>\n* Connection #0 to host mediainbox.blob.core.windows.net left intact\n";
    write(&d, "upload-probe.txt", t.as_bytes())
}

/// Two pools of one account (Batch REST API, Pool - Get): `pool-a` lists
/// the node identity reference, `pool-b` does not. A denied task on
/// `pool-a` is judged by `pool-a` (the identity's permission, BD202) and
/// `pool-b`'s configuration is its own diagnosis (BD203).
fn two_pools_own_config(root: &Path) -> std::io::Result<()> {
    let d = root.join("two-pools-own-config");
    let acct = "proseware-hpc";
    json_file(
        &d,
        "account.json",
        &account(acct, "prosewarestore", MI, Some("hpc-nodes"), None, false),
    )?;
    json_file(
        &d,
        "pools.json",
        &json!({"value": [
            pool_data(acct, "pool-a", &["hpc-nodes"], &["solver"]),
            pool_data(acct, "pool-b", &["hpc-legacy"], &["solver"])
        ]}),
    )?;
    let mut t = task(
        acct,
        "job-42",
        "solve-007",
        &[("autoStorageContainerName", "meshes", None)],
        Some(("ResourceContainerAccessDenied", DENIED)),
    );
    t["nodeInfo"] = json!({"affinityId": "TVM:tvm-5120983345_1-20240611t070000z", "nodeUrl": format!("https://{acct}.westeurope.batch.azure.com/pools/pool-a/nodes/tvm-5120983345_1-20240611t070000z"), "poolId": "pool-a", "nodeId": "tvm-5120983345_1-20240611t070000z", "taskRootDirectory": "workitems/job-42/job-1/solve-007", "taskRootDirectoryUrl": "https://x"});
    json_file(&d, "task.json", &t)
}

/// Start-task resource files (Batch REST API, Pool - Get `startTask`,
/// Compute Node - Get `startTaskInfo`) and job `commonResourceFiles`
/// (Job - Get) that all carry their own SAS: their failures implicate no
/// managed identity.
fn start_task_sas_files(root: &Path) -> std::io::Result<()> {
    let d = root.join("start-task-sas-files");
    let acct = "lucerne-render";
    let sas = "https://lucernetools.blob.core.windows.net/bootstrap/install.sh?sv=2023-11-03&sr=b&sig=ZXhwaXJlZGJvb3RzdHJhcA%3D%3D&se=2024-06-01T00%3A00%3A00Z&sp=r";
    let start_task = json!({"commandLine": "/bin/bash -c 'bash install.sh'", "resourceFiles": [{"httpUrl": sas, "filePath": "install.sh"}],
        "userIdentity": {"autoUser": {"scope": "pool", "elevationLevel": "admin"}}, "maxTaskRetryCount": 1, "waitForSuccess": true});
    let mut pool = pool_data(acct, "pool-blender", &["lucerne-nodes"], &[]);
    pool["startTask"] = start_task.clone();
    json_file(&d, "pool.json", &pool)?;
    let mut n = node_at(
        acct,
        "pool-blender",
        "tvm-6624019983_3-20240611t100500z",
        "starttaskfailed",
        "2024-06-11T10:05:00Z",
        "2024-06-11T10:08:31Z",
    );
    n["startTask"] = start_task;
    n["startTaskInfo"] = json!({"state": "completed", "startTime": "2024-06-11T10:08:20Z", "endTime": "2024-06-11T10:08:31Z", "retryCount": 1, "result": "failure",
        "failureInfo": {"category": "usererror", "code": "BlobAccessDenied", "message": "Access for one of the specified Azure Blob(s) is denied",
            "details": [{"name": "FilePath", "value": "/mnt/batch/tasks/startup/wd/install.sh"}]}});
    json_file(&d, "node.json", &n)?;
    json_file(
        &d,
        "job.json",
        &json!({"id": "frames-0611", "url": format!("https://{acct}.westeurope.batch.azure.com/jobs/frames-0611"), "state": "active",
            "poolInfo": {"poolId": "pool-blender"},
            "commonResourceFiles": [{"httpUrl": "https://lucernetools.blob.core.windows.net/assets/lib.tar?sv=2023-11-03&sr=b&sig=YXNzZXRzc2FzZXhwaXJlZA%3D%3D&se=2024-06-01T00%3A00%3A00Z&sp=r", "filePath": "lib.tar"}]}),
    )?;
    json_file(
        &d,
        "task.json",
        &task(
            acct,
            "frames-0611",
            "frame-0100",
            &[("httpUrl", "https://lucernetools.blob.core.windows.net/scenes/shot-12.blend?sv=2023-11-03&sr=b&sig=c2NlbmVzc2FzZXhwaXJlZA%3D%3D&se=2024-06-01T00%3A00%3A00Z&sp=r", None)],
            Some(("BlobAccessDenied", "Access for one of the specified Azure Blob(s) is denied")),
        ),
    )
}

/// Pool resize errors in both planes (Batch REST API `resizeErrors`; ARM
/// Pool - Get `resizeOperationStatus.errors`): evidence, not an identity
/// cause.
fn pool_resize_errors(root: &Path) -> std::io::Result<()> {
    let d = root.join("pool-resize-errors");
    let acct = "relecloud-batch";
    let mut data = pool_data(acct, "pool-spot", &["relecloud-nodes"], &[]);
    data["allocationState"] = json!("steady");
    data["currentDedicatedNodes"] = json!(0);
    data["targetDedicatedNodes"] = json!(8);
    data["resizeErrors"] = json!([{"code": "AccountCoreQuotaReached", "message": "The specified account has reached VM core quota limit for the region.",
        "values": [{"name": "CoreQuota", "value": "20"}]}]);
    json_file(&d, "pool-data.json", &data)?;
    let mut mgmt = pool_management(acct, "pool-gpu", &["relecloud-nodes"], &[]);
    mgmt["properties"]["resizeOperationStatus"] = json!({"targetDedicatedNodes": 4, "nodeDeallocationOption": "Requeue", "resizeTimeout": "PT15M",
        "startTime": "2024-06-11T06:30:00Z",
        "errors": [{"code": "AllocationTimedout", "message": "Desired number of dedicated nodes could not be allocated as the resize timeout was reached"}]});
    json_file(&d, "pool-arm.json", &mgmt)
}

/// REST API example files and saved answers in the `x-ms-examples` wrapper
/// (`{"parameters", "responses": {"200": {"body"}}}`, Azure/azure-rest-api-specs
/// documentation/x-ms-examples.md): account, pool and node answers showing
/// scenario 4 (the node identity reference is not a pool identity).
fn rest_example_wrappers(root: &Path) -> std::io::Result<()> {
    let d = root.join("rest-example-wrappers");
    let acct = "fourthcoffee-etl";
    json_file(
        &d,
        "BatchAccountGet.json",
        &json!({"parameters": {"accountName": acct, "resourceGroupName": RG, "api-version": "2024-07-01", "subscriptionId": SUB},
            "responses": {"200": {"body": account(acct, "fourthcoffeesa", MI, Some("etl-nodes"), None, false)}}}),
    )?;
    json_file(
        &d,
        "PoolGet.json",
        &json!({"parameters": {"accountName": acct, "poolName": "pool-etl", "api-version": "2024-07-01"},
            "responses": {"200": {"body": pool_management(acct, "pool-etl", &["etl-legacy"], &["extract"])}}}),
    )?;
    let mut n = node_at(
        acct,
        "pool-etl",
        "tvm-4400218871_2-20240611t050000z",
        "unusable",
        "2024-06-11T05:00:00Z",
        "2024-06-11T05:07:45Z",
    );
    n["errors"] = json!([{"code": "ApplicationPackageError", "message": PKG_INVALID, "errorDetails": [{"name": "Message", "value": "extract:1.4"}]}]);
    json_file(
        &d,
        "Nodes_GetNode.json",
        &json!({"operationId": "Nodes_GetNode", "title": "Node get", "parameters": {"endpoint": format!("https://{acct}.westeurope.batch.azure.com"), "poolId": "pool-etl", "nodeId": "tvm-4400218871_2-20240611t050000z", "api-version": "2024-07-01.20.0"},
            "responses": {"200": {"body": n}}}),
    )
}

/// ARM template exports (portal "Export template", `az group export`, and
/// the Resource Groups - Export Template answer `{"template": ...}`), names
/// as `[parameters('...')]` and `[concat(...)]` resolved from defaults.
fn arm_templates(root: &Path) -> std::io::Result<()> {
    // The portal's export: autostorage by managed identity, no node reference.
    let d = root.join("arm-template-export");
    json_file(
        &d,
        "template.json",
        &json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
        "parameters": {
            "batchAccounts_margie_travel_name": {"defaultValue": "margietravel", "type": "String"},
            "storageAccounts_margiedata_externalid": {"defaultValue": format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/margiedata"), "type": "String"},
            "userAssignedIdentities_margie_nodes_externalid": {"defaultValue": uami("margie-nodes"), "type": "String"}
        },
        "variables": {},
        "resources": [
            {"type": "Microsoft.Batch/batchAccounts", "apiVersion": "2024-07-01", "name": "[parameters('batchAccounts_margie_travel_name')]", "location": "westeurope",
             "identity": {"type": "SystemAssigned"},
             "properties": {"autoStorage": {"storageAccountId": "[parameters('storageAccounts_margiedata_externalid')]", "authenticationMode": MI},
                "poolAllocationMode": "BatchService", "publicNetworkAccess": "Enabled", "allowedAuthenticationModes": ["AAD", "TaskAuthenticationToken"]}},
            {"type": "Microsoft.Batch/batchAccounts/pools", "apiVersion": "2024-07-01", "name": "[concat(parameters('batchAccounts_margie_travel_name'), '/pool-itinerary')]",
             "dependsOn": ["[resourceId('Microsoft.Batch/batchAccounts', parameters('batchAccounts_margie_travel_name'))]"],
             "identity": {"type": "UserAssigned", "userAssignedIdentities": {"[parameters('userAssignedIdentities_margie_nodes_externalid')]": {}}},
             "properties": {"vmSize": "STANDARD_D2S_V3", "applicationPackages": [], "scaleSettings": {"fixedScale": {"targetDedicatedNodes": 1}}}}
        ]}),
    )?;
    // `az group export`'s answer: a pool without any identity.
    let d = root.join("az-group-export");
    json_file(
        &d,
        "rg-export.json",
        &json!({"template": {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
            "parameters": {"batchAccounts_woodgrove_ml_name": {"defaultValue": "woodgroveml", "type": "String"}},
            "variables": {"nodes": "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'ml-nodes')]"},
            "resources": [
                {"type": "Microsoft.Batch/batchAccounts", "apiVersion": "2024-07-01", "name": "[parameters('batchAccounts_woodgrove_ml_name')]", "location": "northeurope",
                 "identity": {"type": "SystemAssigned"},
                 "properties": {"autoStorage": {"storageAccountId": "[resourceId('Microsoft.Storage/storageAccounts', 'woodgrovemlsa')]", "authenticationMode": MI,
                    "nodeIdentityReference": {"resourceId": "[variables('nodes')]"}}}},
                {"type": "Microsoft.Batch/batchAccounts/pools", "apiVersion": "2024-07-01", "name": "[concat(parameters('batchAccounts_woodgrove_ml_name'), '/pool-train')]",
                 "properties": {"vmSize": "STANDARD_NC6S_V3", "scaleSettings": {"fixedScale": {"targetDedicatedNodes": 2}}}}
            ]}, "error": null}),
    )
}

/// The escaped ARM error an Activity Log event carries in `properties.statusMessage`.
fn status_message() -> String {
    json!({"error": {"code": "AutoStorageNoPermission", "message": NO_PERMISSION, "target": "BatchAccount"}}).to_string()
}

/// Activity Log exports (event schema,
/// learn.microsoft.com/azure/azure-monitor/essentials/activity-log-schema) of
/// a refused application-version write, in the three layouts: `az monitor
/// activity-log list` (a bare array, values as `{"value", "localizedValue"}`),
/// the REST list `{"value": [...]}`, and the diagnostic-setting archive
/// `insights-activity-logs/.../PT1H.json` (JSON Lines, and `{"records"}`).
fn activity_log_bd101(root: &Path) -> std::io::Result<()> {
    let d = root.join("activity-log-bd101");
    let version = format!(
        "{}/applications/transcode/versions/3.0.1",
        account_id("alpineski-media")
    );
    let lv = |v: &str| json!({"value": v, "localizedValue": v});
    let event = |time: &str, status: &str, corr: &str, with_error: bool| {
        let mut e = json!({
            "authorization": {"action": "Microsoft.Batch/batchAccounts/applications/versions/write", "scope": version},
            "caller": "ops@alpineski.example", "category": lv("Administrative"), "correlationId": corr,
            "eventDataId": format!("{corr}-{status}"), "eventName": lv("EndRequest"), "eventTimestamp": time,
            "level": if with_error { "Error" } else { "Informational" },
            "operationName": lv("Microsoft.Batch/batchAccounts/applications/versions/write"),
            "resourceGroupName": RG, "resourceId": version, "resourceProviderName": lv("Microsoft.Batch"),
            "status": lv(status), "subStatus": lv(if with_error { "Conflict" } else { "" }), "subscriptionId": SUB,
            "submissionTimestamp": time
        });
        if with_error {
            e["properties"] = json!({"statusCode": "Conflict", "serviceRequestId": null, "statusMessage": status_message(), "eventCategory": "Administrative", "entity": version, "message": "Microsoft.Batch/batchAccounts/applications/versions/write", "hierarchy": format!("72f988bf-0000-0000-0000-000000000000/{SUB}")});
        }
        e
    };
    json_file(
        &d,
        "az-activity-log.json",
        &json!([
            event(
                "2024-06-11T11:42:19.5512000Z",
                "Failed",
                "3d1e2f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6",
                true
            ),
            event(
                "2024-06-11T11:42:18.9011000Z",
                "Started",
                "3d1e2f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6",
                false
            )
        ]),
    )?;
    json_file(
        &d,
        "rest-activity-log.json",
        &json!({"value": [event("2024-06-11T12:05:02.1200000Z", "Failed", "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d", true)], "nextLink": null}),
    )?;
    let record = |time: &str, result: &str, with_error: bool| {
        let mut r = json!({"time": time, "resourceId": version.to_uppercase(),
            "operationName": "MICROSOFT.BATCH/BATCHACCOUNTS/APPLICATIONS/VERSIONS/WRITE", "category": "Administrative",
            "resultType": result, "resultSignature": if with_error { "Failed.Conflict" } else { "Started." },
            "durationMs": "612", "callerIpAddress": "203.0.113.24", "correlationId": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
            "identity": {"authorization": {"scope": version, "action": "Microsoft.Batch/batchAccounts/applications/versions/write"}},
            "level": if with_error { "Error" } else { "Information" }, "location": "global"});
        r["properties"] = if with_error {
            json!({"statusCode": "Conflict", "serviceRequestId": null, "statusMessage": status_message(), "eventCategory": "Administrative", "entity": version})
        } else {
            json!({"eventCategory": "Administrative", "entity": version})
        };
        r
    };
    let archive = d.join(format!(
        "insights-activity-logs/resourceId=/SUBSCRIPTIONS/{}/y=2024/m=06/d=11",
        SUB.to_uppercase()
    ));
    let lines = [
        record("2024-06-11T13:30:40.0010000Z", "Start", false),
        record("2024-06-11T13:30:40.6130000Z", "Failure", true),
    ]
    .iter()
    .map(|r| r.to_string() + "\n")
    .collect::<String>();
    write(&archive.join("h=13/m=00"), "PT1H.json", lines.as_bytes())?;
    json_file(
        &archive.join("h=14/m=00"),
        "PT1H.json",
        &json!({"records": [record("2024-06-11T14:12:03.2000000Z", "Failure", true)]}),
    )
}

/// Batch service logs (diagnostic-setting category `ServiceLog`,
/// learn.microsoft.com/azure/batch/batch-diagnostics#service-log-events),
/// `TaskFailEvent` and a failed `PoolResizeCompleteEvent`, in both archive
/// layouts, with the account JSON that decides: no node identity reference.
fn service_log_taskfail(root: &Path) -> std::io::Result<()> {
    let d = root.join("service-log-taskfail");
    let acct = "bellows-batch";
    let rid = account_id(acct).to_uppercase();
    json_file(
        &d,
        "account.json",
        &account(acct, "bellowsauto", MI, None, None, true),
    )?;
    let fail = |time: &str, task: &str| {
        json!({"time": time, "resourceId": rid, "category": "ServiceLog", "operationName": "TaskFailEvent",
            "properties": {"jobId": "assemble-17", "id": task, "taskType": "User", "systemTaskVersion": 0, "requiredSlots": 1,
                "nodeInfo": {"poolId": "pool-asm", "nodeId": "tvm-7790341120_2-20240611t154500z"}, "multiInstanceSettings": {"numberOfInstances": 1},
                "constraints": {"maxTaskRetryCount": 0}, "executionInfo": {"startTime": time, "endTime": time, "exitCode": -1, "retryCount": 0, "requeueCount": 0,
                    "failureInfo": {"category": "UserError", "code": "ResourceContainerAccessDenied", "message": DENIED}}}})
    };
    let base = d.join(format!(
        "insights-logs-servicelog/resourceId=/SUBSCRIPTIONS/{}/RESOURCEGROUPS/{}/PROVIDERS/MICROSOFT.BATCH/BATCHACCOUNTS/{}/y=2024/m=06/d=11",
        SUB.to_uppercase(),
        RG.to_uppercase(),
        acct.to_uppercase()
    ));
    let resize = json!({"time": "2024-06-11T15:59:00Z", "resourceId": rid, "category": "ServiceLog", "operationName": "PoolResizeCompleteEvent",
        "properties": {"id": "pool-asm", "nodeDeallocationOption": "Invalid", "currentDedicatedNodes": 1, "targetDedicatedNodes": 3,
            "currentLowPriorityNodes": 0, "targetLowPriorityNodes": 0, "enableAutoScale": false, "isAutoPool": false,
            "startTime": "2024-06-11T15:44:00Z", "endTime": "2024-06-11T15:59:00Z", "resultCode": "Timedout", "resultMessage": "The operation timed out and may be incomplete."}});
    let lines = [fail("2024-06-11T15:51:12.330Z", "part-0001"), resize]
        .iter()
        .map(|r| r.to_string() + "\n")
        .collect::<String>();
    write(&base.join("h=15/m=00"), "PT1H.json", lines.as_bytes())?;
    json_file(
        &base.join("h=16/m=00"),
        "PT1H.json",
        &json!({"records": [fail("2024-06-11T16:03:40.010Z", "part-0002")]}),
    )
}

/// `az ... -o yaml` (Azure CLI output formats,
/// learn.microsoft.com/cli/azure/format-output-azure-cli): account, pool,
/// nodes and tasks of scenario 4, as the CLI prints them (keys sorted,
/// nulls written, timestamps quoted).
fn az_yaml(root: &Path) -> std::io::Result<()> {
    let d = root.join("az-yaml");
    let acct = "graphicdesign-batch";
    let to_yaml = |v: &Value| {
        let mut out = String::new();
        pyyaml(v, 0, &mut out);
        out
    };
    write(
        &d,
        "account.yaml",
        to_yaml(&account(
            acct,
            "graphicdesignsa",
            MI,
            Some("gd-nodes"),
            None,
            true,
        ))
        .as_bytes(),
    )?;
    write(
        &d,
        "pool.yaml",
        to_yaml(&pool_data(
            acct,
            "pool-raster",
            &["gd-pool-old"],
            &["rasterize"],
        ))
        .as_bytes(),
    )?;
    let mut n = node_at(
        acct,
        "pool-raster",
        "tvm-8801234567_1-20240611t180000z",
        "unusable",
        "2024-06-11T18:00:00Z",
        "2024-06-11T18:06:12Z",
    );
    n["errors"] = json!([{"code": "ApplicationPackageError", "message": PKG_INVALID, "errorDetails": [{"name": "Message", "value": "rasterize:2.0"}]}]);
    write(&d, "nodes.yaml", to_yaml(&json!([n])).as_bytes())?;
    write(
        &d,
        "tasks.yaml",
        to_yaml(&json!([task(
            acct,
            "poster-run",
            "raster-01",
            &[("autoStorageContainerName", "artwork", None)],
            Some(("ResourceContainerListMiscError", "Miscellaneous error encountered while listing one of the specified Azure Blob container(s)")),
        )]))
        .as_bytes(),
    )
}

/// A scalar as PyYAML's `safe_dump` writes it: plain unless it would read
/// back as another type (null, bool, number, timestamp) or starts with an
/// indicator, else single-quoted.
fn yaml_scalar(s: &str) -> String {
    let looks_typed = matches!(
        s.to_ascii_lowercase().as_str(),
        "null" | "~" | "true" | "false" | "yes" | "no" | "on" | "off"
    ) || s.parse::<f64>().is_ok()
        || s.starts_with("0x")
        || (s.len() >= 10
            && s.as_bytes()[4] == b'-'
            && s.as_bytes()[7] == b'-'
            && s[..4].bytes().all(|b| b.is_ascii_digit()));
    let indicator = s.is_empty()
        || s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        || s.ends_with([' ', ':'])
        || s.contains(": ")
        || s.contains(" #");
    if looks_typed || indicator {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        s.to_string()
    }
}

/// `az ... -o yaml`: the CLI hands its result to PyYAML's `safe_dump`
/// (keys sorted, block style, sequences not indented under their key,
/// plain scalars folded at spaces past 80 columns).
fn pyyaml(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let inline = |x: &Value, col: usize| -> Option<String> {
        Some(match x {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => {
                let q = yaml_scalar(s);
                if q.starts_with('\'') || col + q.len() <= 80 || !q.contains(' ') {
                    q
                } else {
                    // Fold at the spaces past column 80, continuing indented.
                    let mut text = String::new();
                    let mut at = col;
                    for (i, w) in q.split(' ').enumerate() {
                        if i > 0 {
                            if at + 1 + w.len() > 80 {
                                text.push('\n');
                                text.push_str(&" ".repeat(indent + 2));
                                at = indent + 2;
                            } else {
                                text.push(' ');
                                at += 1;
                            }
                        }
                        text.push_str(w);
                        at += w.len();
                    }
                    text
                }
            }
            Value::Array(a) if a.is_empty() => "[]".into(),
            Value::Object(o) if o.is_empty() => "{}".into(),
            _ => return None,
        })
    };
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            for k in keys {
                let x = &o[k];
                match inline(x, indent + k.len() + 2) {
                    Some(s) => out.push_str(&format!("{pad}{k}: {s}\n")),
                    None => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        let inner = if x.is_array() { indent } else { indent + 2 };
                        pyyaml(x, inner, out);
                    }
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                match inline(x, indent + 2) {
                    Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                    None => {
                        // The first key goes on the dash's line.
                        let mut item = String::new();
                        pyyaml(x, indent + 2, &mut item);
                        out.push_str(&format!("{pad}- {}", &item[indent + 2..]));
                    }
                }
            }
        }
        other => {
            let s = inline(other, indent).unwrap_or_default();
            out.push_str(&format!("{pad}{s}\n"));
        }
    }
}

/// `az batch account show` / `az batch pool show` JSON with every attribute
/// present and unset ones `null` (Azure CLI): scenario 1, nothing to report.
fn az_json_all_nulls(root: &Path) -> std::io::Result<()> {
    let d = root.join("az-json-all-nulls");
    let acct = "cpandl-batch";
    let mut a = account(acct, "cpandlauto", MI, Some("cpandl-nodes"), None, true);
    for k in [
        "encryption",
        "keyVaultReference",
        "networkProfile",
        "privateEndpointConnections",
        "dedicatedCoreQuotaPerVmFamily",
        "nodeManagementEndpoint",
        "lowPriorityCoreQuota",
    ] {
        a[k] = Value::Null;
    }
    a["tags"] = Value::Null;
    json_file(&d, "account.json", &a)?;
    let mut p = pool_data(acct, "pool-etl", &["cpandl-nodes"], &[]);
    for k in [
        "startTask",
        "certificateReferences",
        "metadata",
        "mountConfiguration",
        "networkConfiguration",
        "autoScaleFormula",
        "autoScaleEvaluationInterval",
        "resizeErrors",
        "stats",
        "userAccounts",
        "upgradePolicy",
        "resourceTags",
        "applicationPackageReferences",
    ] {
        p[k] = Value::Null;
    }
    json_file(&d, "pool.json", &p)?;
    let mut t = task(acct, "job-nightly", "load-001", &[], None);
    for k in [
        "resourceFiles",
        "outputFiles",
        "environmentSettings",
        "affinityInfo",
        "multiInstanceSettings",
        "dependsOn",
        "applicationPackageReferences",
        "authenticationTokenSettings",
        "containerSettings",
        "exitConditions",
    ] {
        t[k] = Value::Null;
    }
    t["executionInfo"]["failureInfo"] = Value::Null;
    t["nodeInfo"] = Value::Null;
    json_file(&d, "task.json", &t)
}

/// Fake token (never a real one): header, claims naming the identity, signature.
fn token(oid: &str, mirid: &str, client: &str) -> String {
    use base64::Engine as _;
    let enc = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let claims = json!({"aud": "https://storage.azure.com/", "oid": oid, "appid": client, "xms_mirid": mirid});
    format!(
        "{}.{}.{}",
        enc(br#"{"typ":"JWT","alg":"RS256"}"#),
        enc(claims.to_string().as_bytes()),
        enc(b"not-a-real-signature")
    )
}

/// Wraps `value` under a `Format-List` value column, as the console does.
fn wrap_column(name: &str, value: &str, width: usize) -> String {
    let pad = 15;
    let cut = width - pad - 2;
    let mut out = format!("{name:<pad$}: ");
    let mut rest = value;
    let mut first = true;
    while !rest.is_empty() {
        let n = rest.len().min(cut);
        if !first {
            out.push_str(&" ".repeat(pad + 2));
        }
        out.push_str(&rest[..n]);
        out.push_str("\r\n");
        rest = &rest[n..];
        first = false;
    }
    out
}

/// PowerShell console output on a Windows node (Invoke-RestMethod and
/// Invoke-WebRequest docs; about_Error_Records): a token answer printed as a
/// list for another identity than the one asked for (BD401), an error record
/// wrapped at 120 columns (BD402 on a second pool), an Invoke-WebRequest
/// result, and the error record redirected to a UTF-16 file (`>`).
fn powershell(root: &Path) -> std::io::Result<()> {
    let d = root.join("powershell-imds");
    let acct = "humongous-batch";
    let pool = pool_data(acct, "pool-win", &["hi-nodes", "hi-keyvault"], &[]);
    json_file(&d, "pool.json", &pool)?;
    let client_of = |i: usize| {
        pool["identity"]["userAssignedIdentities"][i]["clientId"]
            .as_str()
            .expect("the pool lists client ids")
            .to_string()
    };
    let asked = uami("hi-nodes");
    // IMDS answered for the pool's other identity.
    let other_client = client_of(1);
    let other_client = other_client.as_str();
    let tok = token(
        "2b3c4d5e-0000-4000-8000-0000000000bb",
        &uami("hi-keyvault"),
        other_client,
    );
    let mut list = format!(
        "PS C:\\batch\\tasks\\startup\\wd> Invoke-RestMethod -Headers @{{Metadata=\"true\"}} -Uri \"http://169.254.169.254/metadata/identity/oauth2/token?api-version=2019-08-01&resource=https://storage.azure.com/&mi_res_id={asked}\"\r\n\r\n"
    );
    list.push_str(&wrap_column("access_token", &tok, 120));
    list.push_str(&format!("{:<15}: {other_client}\r\n", "client_id"));
    for (k, v) in [
        ("expires_in", "86294"),
        ("expires_on", "1718204400"),
        ("ext_expires_in", "86399"),
        ("not_before", "1718117700"),
        ("resource", "https://storage.azure.com/"),
        ("token_type", "Bearer"),
    ] {
        list.push_str(&format!("{k:<15}: {v}\r\n"));
    }
    list.push_str("\r\n\r\n");
    write(&d, "token-list.txt", list.as_bytes())?;

    let desc = "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request";
    let body = json!({"error": "invalid_request", "error_description": desc}).to_string();
    let line = format!("Invoke-RestMethod : {body}");
    let wrapped: String = line
        .as_bytes()
        .chunks(120)
        .map(|c| String::from_utf8_lossy(c).into_owned() + "\r\n")
        .collect();
    let record = format!(
        "PS C:\\Users\\batchadmin> Invoke-RestMethod -Headers @{{Metadata=\"true\"}} -Uri \"http://169.254.169.254/metadata/identity/oauth2/token?api-version=2019-08-01&resource=https://vault.azure.net\"\r\n{wrapped}At line:1 char:1\r\n+ Invoke-RestMethod -Headers @{{Metadata=\"true\"}} -Uri \"http://169.254.169 ...\r\n+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\r\n    + CategoryInfo          : InvalidOperation: (System.Net.HttpWebRequest:HttpWebRequest) [Invoke-RestMethod], WebException\r\n    + FullyQualifiedErrorId : WebCmdletWebResponseException,Microsoft.PowerShell.Commands.InvokeRestMethodCommand\r\n\r\n"
    );
    write(&d, "error-record.txt", record.as_bytes())?;
    write(&d, "error-record-redirected.txt", &utf16le(&record))?;

    // By client id the same identity answers for itself: no mismatch.
    let content = json!({"access_token": token("2b3c4d5e-0000-4000-8000-0000000000bb", &uami("hi-keyvault"), other_client), "client_id": other_client, "expires_in": "86399", "resource": "https://storage.azure.com/", "token_type": "Bearer"}).to_string();
    let iwr = format!(
        "PS C:\\> Invoke-WebRequest -UseBasicParsing -Headers @{{Metadata=\"true\"}} -Uri \"http://169.254.169.254/metadata/identity/oauth2/token?api-version=2019-08-01&resource=https://storage.azure.com/&client_id={other_client}\"\r\n\r\n\r\nStatusCode        : 200\r\nStatusDescription : OK\r\nContent           : {content}\r\nRawContent        : HTTP/1.1 200 OK\r\n                    Content-Length: 1520\r\n                    Content-Type: application/json; charset=utf-8\r\n                    Date: Tue, 11 Jun 2024 19:14:02 GMT\r\n                    Server: IMDS/150.870.65.1544\r\nHeaders           : {{[Content-Length, 1520], [Content-Type, application/json; charset=utf-8], [Date, Tue, 11 Jun 2024 19:14:02 GMT], [Server, IMDS/150.870.65.1544]}}\r\nRawContentLength  : 1520\r\n\r\n"
    );
    write(&d, "invoke-webrequest.txt", iwr.as_bytes())
}

/// Storage errors as programs print them: PowerShell's error record of a
/// Storage answer with the XML tags stripped, .NET's
/// `Azure.RequestFailedException` text (Azure SDK for .NET), and a Node.js
/// `RestError` body print (Azure SDK for JavaScript), with the account and
/// pool that decide (reference set and in the pool).
fn printed_storage_errors(root: &Path) -> std::io::Result<()> {
    let d = root.join("powershell-storage-stripped-xml");
    let acct = "vanarsdel-batch";
    json_file(
        &d,
        "account.json",
        &account(acct, "vanarsdelauto", MI, Some("va-nodes"), None, false),
    )?;
    json_file(
        &d,
        "pool.json",
        &pool_data(acct, "pool-pdf", &["va-nodes"], &[]),
    )?;
    let t = "PS C:\\> Invoke-RestMethod -Uri \"https://vanarsdelauto.blob.core.windows.net/inputs/batch-07.zip\" -Headers @{Authorization=\"Bearer $token\"; \"x-ms-version\"=\"2021-08-06\"}\r\nInvoke-RestMethod : AuthorizationPermissionMismatchThis request is not authorized to perform this operation using this permission.\r\nRequestId:4c8e1a2b-801e-0033-1f4d-bc0a77000000\r\nTime:2024-06-11T20:31:09.8811234Z\r\nAt line:1 char:1\r\n+ Invoke-RestMethod -Uri \"https://vanarsdelauto.blob.core.windows.net/i ...\r\n+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\r\n    + CategoryInfo          : InvalidOperation: (System.Net.HttpWebRequest:HttpWebRequest) [Invoke-RestMethod], WebException\r\n    + FullyQualifiedErrorId : WebCmdletWebResponseException,Microsoft.PowerShell.Commands.InvokeRestMethodCommand\r\n";
    write(&d, "invoke-restmethod.txt", t.as_bytes())?;

    let d = root.join("dotnet-node-storage-errors");
    let dotnet = "Unhandled exception. Azure.RequestFailedException: This request is not authorized to perform this operation using this permission.\nRequestId:a81f2c3d-e01e-0052-7b12-bd45c6000000\nTime:2024-06-11T21:02:44.1234567Z\nStatus: 403 (This request is not authorized to perform this operation using this permission.)\nErrorCode: AuthorizationPermissionMismatch\n\nContent:\n<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.\nRequestId:a81f2c3d-e01e-0052-7b12-bd45c6000000\nTime:2024-06-11T21:02:44.1234567Z</Message></Error>\n\nHeaders:\nServer: Windows-Azure-Blob/1.0,Microsoft-HTTPAPI/2.0\nx-ms-request-id: a81f2c3d-e01e-0052-7b12-bd45c6000000\nx-ms-client-request-id: 0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a\nx-ms-version: 2023-11-03\nx-ms-error-code: AuthorizationPermissionMismatch\nDate: Tue, 11 Jun 2024 21:02:43 GMT\nContent-Length: 279\nContent-Type: application/xml\n\n   at Azure.Storage.Blobs.BlobRestClient.DownloadAsync(String snapshot, String versionId, Nullable`1 timeout, String range, CancellationToken cancellationToken)\n   at Azure.Storage.Blobs.Specialized.BlobBaseClient.StartDownloadAsync(HttpRange range, Boolean async, CancellationToken cancellationToken)\n";
    write(&d, "dotnet-exception.txt", dotnet.as_bytes())?;
    let node = "RestError: Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\n    at handleErrorResponse (/opt/app/node_modules/@azure/core-http/dist/index.js:2503:19)\n    at processTicksAndRejections (node:internal/process/task_queues:95:5) {\n  code: 'AuthenticationFailed',\n  statusCode: 403,\n  request: WebResource {\n    streamResponseBody: false,\n    url: 'https://tradewindsdata.blob.core.windows.net/frames/f-0009.exr',\n    method: 'GET',\n  },\n  details: {\n    errorCode: 'AuthenticationFailed',\n    'content-type': 'application/xml',\n  },\n  body: {\n    Code: 'AuthenticationFailed',\n    Message: 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\\n' +\n      'RequestId:e2d1c0b9-a01e-0061-3c5d-be77f8000000\\n' +\n      'Time:2024-06-11T21:40:12.0001122Z',\n    AuthenticationErrorDetail: 'Authentication scheme Bearer is not supported in this version.'\n  }\n}\n";
    write(&d, "node-resterror.txt", node.as_bytes())
}

/// curl command lines followed by their plain output (no `-v`, no `-i`;
/// the IMDS docs' "Get a token using CURL"), one after the prompt and one
/// without: the identity asked for is not a pool identity (IMDS 400
/// "Identity not found"), with the account and pool that show why (BD203).
fn curl_plain_imds(root: &Path) -> std::io::Result<()> {
    let d = root.join("curl-plain-imds");
    let acct = "lamna-batch";
    json_file(
        &d,
        "account.json",
        &account(acct, "lamnaauto", MI, Some("lamna-nodes"), None, true),
    )?;
    json_file(
        &d,
        "pool.json",
        &pool_data(acct, "pool-risk", &["lamna-old-nodes"], &[]),
    )?;
    let id = uami("lamna-nodes");
    let t = format!(
        "_azbatch@tvm-9012345678_1-20240611t220000z:/mnt/batch/tasks/workitems/risk/job-1/var-01/wd$ curl -s -H Metadata:true \"http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/&mi_res_id={id}\"\n{{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}}\n_azbatch@tvm-9012345678_1-20240611t220000z:/mnt/batch/tasks/workitems/risk/job-1/var-01/wd$ \n"
    );
    write(&d, "imds-with-prompt.txt", t.as_bytes())?;
    let other = "3f4a5b6c-0000-4000-8000-0000000000ee";
    let body = json!({"access_token": token("4a5b6c7d-0000-4000-8000-0000000000ff", &uami("lamna-old-nodes"), other), "client_id": other, "expires_in": "86399", "expires_on": "1718236800", "ext_expires_in": "86399", "not_before": "1718150100", "resource": "https://storage.azure.com/", "token_type": "Bearer"});
    let t = format!(
        "curl 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F&client_id={other}' -H Metadata:true -s\n{body}\n"
    );
    write(&d, "imds-no-prompt.txt", t.as_bytes())
}

/// A Windows node's agent log (written UTF-16LE with a BOM and CRLF, as
/// Windows tools redirect it): the join loop never ends (BD201).
fn utf16_agent_log(root: &Path) -> std::io::Result<()> {
    let d = root.join("utf16-agent-log");
    let spec = NodeSpec {
        pool: "pool-win2022".into(),
        node: "tvm-1029384756_1-20240611t230000z".into(),
        layout: Layout::Bracketed,
        joins_for: None,
        start: 1_718_146_860, // 2024-06-11T23:01:00Z
        bytes: 120_000,
        join_every: 5,
        names_in_content: true,
    };
    let mut log = Vec::new();
    node_log(&spec, &mut Rng::new(67), &mut log)?;
    let text = String::from_utf8_lossy(&log).replace('\n', "\r\n");
    write(&d, "agent-debug.log", &utf16le(&text))
}

/// An Azure SDK test-proxy recording (Azure/azure-sdk-tools
/// tools/test-proxy: `Entries` of `RequestUri`, `RequestMethod`,
/// `RequestHeaders`, `RequestBody`, `StatusCode`, `ResponseHeaders`,
/// `ResponseBody`, and `Variables`): the account answer (no node identity
/// reference), a node list answered 35 minutes after its nodes started
/// starting (its `Date` is the snapshot's time), and a refused
/// application-version write.
fn sdk_recording(root: &Path) -> std::io::Result<()> {
    let d = root.join("sdk-test-proxy-recording");
    let acct = "nod-publishers";
    let aid = account_id(acct);
    let arm_headers = |date: &str| json!({"Cache-Control": "no-cache", "Content-Type": "application/json; charset=utf-8", "Date": date, "Server": "Microsoft-HTTPAPI/2.0", "x-ms-request-id": "d0c1b2a3-9485-4766-a7b8-c9d0e1f2a3b4", "x-ms-ratelimit-remaining-subscription-reads": "11998"});
    let req_headers = json!({"Accept": "application/json", "Accept-Encoding": "gzip,deflate", "Authorization": "Sanitized", "Connection": "keep-alive", "User-Agent": "azsdk-js-arm-batch/9.2.0 core-rest-pipeline/1.16.0 Node/v20.12.2 OS/(x64-Linux-6.5.0)"});
    let nodes = json!({"value": [
        node_at(acct, "pool-print", "tvm-5647382910_1-20240612t080000z", "starting", "2024-06-12T08:00:00Z", "2024-06-12T08:00:41Z"),
        node_at(acct, "pool-print", "tvm-5647382910_2-20240612t080000z", "starting", "2024-06-12T08:00:00Z", "2024-06-12T08:00:39Z")
    ]});
    json_file(
        &d,
        "recording_nodes_starting.json",
        &json!({"Entries": [
            {"RequestUri": format!("https://management.azure.com{aid}?api-version=2024-07-01"), "RequestMethod": "GET", "RequestHeaders": req_headers,
             "RequestBody": null, "StatusCode": 200, "ResponseHeaders": arm_headers("Wed, 12 Jun 2024 08:35:02 GMT"),
             "ResponseBody": account(acct, "nodpubauto", MI, None, None, false)},
            {"RequestUri": format!("https://{acct}.westeurope.batch.azure.com/pools/pool-print/nodes?api-version=2024-07-01.20.0"), "RequestMethod": "GET",
             "RequestHeaders": {"Accept": "application/json", "Authorization": "Sanitized", "User-Agent": "azsdk-js-batch-rest/1.0.0-beta.1 core-rest-pipeline/1.16.0 Node/v20.12.2"},
             "RequestBody": null, "StatusCode": 200,
             "ResponseHeaders": {"Content-Type": "application/json;odata=minimalmetadata", "Date": "Wed, 12 Jun 2024 08:35:04 GMT", "request-id": "1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7", "Server": "Microsoft-HTTPAPI/2.0"},
             "ResponseBody": nodes},
            {"RequestUri": format!("https://management.azure.com{aid}/applications/typeset/versions/5.2?api-version=2024-07-01"), "RequestMethod": "PUT",
             "RequestHeaders": req_headers, "RequestBody": {"properties": {}}, "StatusCode": 409, "ResponseHeaders": arm_headers("Wed, 12 Jun 2024 08:36:10 GMT"),
             "ResponseBody": {"error": {"code": "AutoStorageNoPermission", "message": NO_PERMISSION, "target": "BatchAccount"}}}
        ], "Variables": {"SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000", "RESOURCE_GROUP": RG}}),
    )
}
