use super::*;

const UAMI: &str = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/batch-nodes";

fn one(json: &str) -> Fact {
    let r = read_resources(json.as_bytes(), &Location::file("x.json")).unwrap();
    assert_eq!(r.evidence.len(), 1, "{json}");
    r.evidence.into_iter().next().unwrap().fact
}

#[test]
fn management_plane_account() {
    let json = format!(
        r#"{{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/acct","name":"acct","type":"Microsoft.Batch/batchAccounts",
        "identity":{{"type":"UserAssigned","userAssignedIdentities":{{"{UAMI}":{{"principalId":"p1","clientId":"c1"}}}}}},
        "properties":{{"autoStorage":{{"storageAccountId":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa","authenticationMode":"BatchAccountManagedIdentity","nodeIdentityReference":{{"resourceId":"{UAMI}"}},"lastKeySync":"2024-01-01T00:00:00Z"}}}}}}"#
    );
    let Fact::AccountConfig(a) = one(&json) else {
        panic!()
    };
    assert_eq!(a.name.as_deref(), Some("acct"));
    assert_eq!(a.identity_type.as_deref(), Some("UserAssigned"));
    assert_eq!(a.identities[0].client_id.as_deref(), Some("c1"));
    let auto = a.autostorage.unwrap();
    assert_eq!(
        auto.authentication_mode.as_deref(),
        Some("BatchAccountManagedIdentity")
    );
    assert_eq!(auto.node_identity_reference.as_deref(), Some(UAMI));
}

#[test]
fn az_cli_account_without_reference() {
    let json = r#"{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/acct","name":"acct",
      "identity":{"type":"SystemAssigned","principalId":"sp","tenantId":"t"},
      "autoStorage":{"storageAccountId":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa","authenticationMode":"BatchAccountManagedIdentity","nodeIdentityReference":null}}"#;
    let Fact::AccountConfig(a) = one(json) else {
        panic!()
    };
    assert_eq!(a.principal_id.as_deref(), Some("sp"));
    assert_eq!(a.autostorage.unwrap().node_identity_reference, None);
}

#[test]
fn pools_in_both_planes() {
    let mgmt = format!(
        r#"{{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/acct/pools/pool-a","name":"pool-a","type":"Microsoft.Batch/batchAccounts/pools",
        "identity":{{"type":"UserAssigned","userAssignedIdentities":{{"{UAMI}":{{"principalId":"p1","clientId":"c1"}}}}}},
        "properties":{{"vmSize":"STANDARD_D2S_V3","applicationPackages":[{{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/acct/applications/render","version":"2.1"}}]}}}}"#
    );
    let Fact::PoolConfig(p) = one(&mgmt) else {
        panic!()
    };
    assert_eq!(
        (p.pool.as_str(), p.account.as_deref(), p.plane.as_str()),
        ("pool-a", Some("acct"), "management")
    );
    assert_eq!(p.identities[0].resource_id, UAMI);
    assert_eq!(p.application_packages, vec!["render"]);
    let data = format!(
        r#"{{"value":[{{"id":"pool-b","url":"https://acct.westeurope.batch.azure.com/pools/pool-b","vmSize":"standard_d2s_v3",
        "identity":{{"type":"UserAssigned","userAssignedIdentities":[{{"resourceId":"{UAMI}","clientId":"c1","principalId":"p1"}}]}},
        "applicationPackageReferences":[{{"applicationId":"render"}}]}}]}}"#
    );
    let Fact::PoolConfig(p) = one(&data) else {
        panic!()
    };
    assert_eq!(
        (p.pool.as_str(), p.account.as_deref(), p.plane.as_str()),
        ("pool-b", Some("acct"), "data")
    );
    assert_eq!(p.identities[0].client_id.as_deref(), Some("c1"));
}

#[test]
fn nodes_and_tasks() {
    let nodes = r#"[{"id":"tvm-1_1-x","url":"https://acct.westeurope.batch.azure.com/pools/pool-a/nodes/tvm-1_1-x","state":"unusable",
        "errors":[{"code":"ApplicationPackageError","message":"One or more application packages specified for the pool are invalid"}],
        "nodeAgentInfo":{"version":"1.11.3","lastUpdateTime":"2024-05-01T10:00:00Z"}},
        {"id":"tvm-1_2-x","state":"starting","affinityId":"TVM:tvm-1_2-x"}]"#;
    let r = read_resources(nodes.as_bytes(), &Location::file("nodes.json")).unwrap();
    let Fact::NodeStatus(n) = &r.evidence[0].fact else {
        panic!()
    };
    assert_eq!(
        (
            n.pool.as_deref(),
            n.state.as_str(),
            n.agent_version.as_deref()
        ),
        (Some("pool-a"), "unusable", Some("1.11.3"))
    );
    assert_eq!(n.errors[0].code.as_deref(), Some("ApplicationPackageError"));
    assert_eq!(r.evidence.len(), 2);
    let task = format!(
        r#"{{"id":"t1","url":"https://acct.westeurope.batch.azure.com/jobs/job-1/tasks/t1","commandLine":"/bin/true","state":"completed",
        "resourceFiles":[{{"autoStorageContainerName":"inputs"}},
          {{"storageContainerUrl":"https://sa.blob.core.windows.net/data","identityReference":{{"resourceId":"{UAMI}"}}}},
          {{"httpUrl":"https://sa.blob.core.windows.net/c/b.txt?sv=2022-11-02&sig=abc","filePath":"b.txt"}}],
        "executionInfo":{{"result":"failure","failureInfo":{{"category":"usererror","code":"ResourceContainerAccessDenied",
          "message":"Access for one of the specified Azure Blob container(s) is denied","details":[{{"name":"ContainerUrl","value":"https://sa.blob.core.windows.net/inputs"}}]}}}}}}"#
    );
    let Fact::TaskResult(t) = one(&task) else {
        panic!()
    };
    assert_eq!((t.job.as_deref(), t.task.as_str()), (Some("job-1"), "t1"));
    assert_eq!(t.resource_files.len(), 3);
    assert_eq!(t.resource_files[1].identity.as_deref(), Some(UAMI));
    assert!(t.resource_files[2].has_sas && !t.resource_files[1].has_sas);
    let f = t.failure.unwrap();
    assert_eq!(f.code.as_deref(), Some("ResourceContainerAccessDenied"));
    assert_eq!(
        f.details,
        vec!["ContainerUrl: https://sa.blob.core.windows.net/inputs"]
    );
}

#[test]
fn unknown_objects_and_bad_json() {
    let r = read_resources(br#"{"hello":"world"}"#, &Location::file("x.json")).unwrap();
    assert_eq!((r.objects, r.evidence.len()), (1, 0));
    let e = read_resources(b"{\n  \"a\": [1,\n", &Location::file("x.json")).unwrap_err();
    assert!(e.starts_with("not valid JSON at line 3 column 0: "), "{e}");
    assert_eq!(e.matches("line 3").count(), 1, "the position once: {e}");
    let deep = "[".repeat(100_000);
    assert!(read_resources(deep.as_bytes(), &Location::file("deep.json")).is_err());
}

proptest::proptest! {
    /// Any JSON-ish text: never a panic, and every object is either evidence or skipped.
    #[test]
    fn any_document_is_safe(doc in "[\\[\\]{}\",:a-zA-Z0-9 ]{0,200}") {
        let _ = read_resources(doc.as_bytes(), &Location::file("p.json"));
    }

    /// Arbitrary values under known keys never panic the shape detection.
    #[test]
    fn odd_field_types(v in proptest::prop_oneof![proptest::prelude::Just("null".to_string()), "[0-9]{1,4}", "\"[a-z/]{0,10}\"", proptest::prelude::Just("[]".to_string()), proptest::prelude::Just("{}".to_string())]) {
        for key in ["identity", "autoStorage", "userAssignedIdentities", "resourceFiles", "errors", "nodeAgentInfo", "executionInfo", "state", "id"] {
            let doc = format!("{{\"id\":\"tvm-1\",\"commandLine\":\"x\",\"vmSize\":\"s\",\"{key}\":{v},\"properties\":{{\"autoStorage\":{v}}}}}");
            let _ = read_resources(doc.as_bytes(), &Location::file("p.json"));
        }
    }
}

#[test]
fn tasks_without_a_command_line_are_tasks() {
    // The shape of a task as the Batch service returns it, trimmed to what
    // an export keeps: no commandLine.
    let task = r#"{"id":"render-001","url":"https://acct.westeurope.batch.azure.com/jobs/job-1/tasks/render-001","state":"completed",
        "resourceFiles":[{"filePath":"scenes","autoStorageContainerName":"scenes"}],
        "executionInfo":{"result":"failure","retryCount":0,"failureInfo":{"code":"ResourceContainerAccessDenied","category":"usererror"}},
        "nodeInfo":{"poolId":"pool-render","nodeId":"tvm-1_1-x"}}"#;
    let Fact::TaskResult(t) = one(task) else {
        panic!()
    };
    assert_eq!(t.job.as_deref(), Some("job-1"));
    assert_eq!(
        t.failure.and_then(|f| f.code).as_deref(),
        Some("ResourceContainerAccessDenied")
    );
    // Without a URL, execution information with resource files or node info is a task.
    let bare = r#"{"id":"t2","executionInfo":{"result":"failure","failureInfo":{"code":"ResourceContainerListMiscError"}},"nodeInfo":{"poolId":"p"}}"#;
    assert!(matches!(one(bare), Fact::TaskResult(_)));
    // A job also has executionInfo, and is not a task.
    let job = r#"{"id":"job-1","poolInfo":{"poolId":"p"},"executionInfo":{"startTime":"2024-05-01T10:00:00Z","poolId":"p"}}"#;
    let r = read_resources(job.as_bytes(), &Location::file("job.json")).unwrap();
    assert!(r.evidence.is_empty(), "{:?}", r.evidence);
}

#[test]
fn a_data_plane_pool_with_few_fields_is_a_pool() {
    let by_url = format!(
        r#"{{"id":"pool-etl","url":"https://acct.westeurope.batch.azure.com/pools/pool-etl",
        "identity":{{"type":"UserAssigned","userAssignedIdentities":[{{"resourceId":"{UAMI}","clientId":"c1"}}]}}}}"#
    );
    let Fact::PoolConfig(p) = one(&by_url) else {
        panic!()
    };
    assert_eq!(p.pool, "pool-etl");
    assert_eq!(p.identities[0].client_id.as_deref(), Some("c1"));
    let no_url = format!(
        r#"{{"id":"pool-etl","identity":{{"type":"UserAssigned","userAssignedIdentities":[{{"resourceId":"{UAMI}"}}]}}}}"#
    );
    assert!(matches!(one(&no_url), Fact::PoolConfig(_)));
}

#[test]
fn rest_example_wrappers_are_read_by_their_answer() {
    // The x-ms-examples layout: parameters (the request) and answers by status.
    let json = r#"{"operationId":"Nodes_GetNode","parameters":{"poolId":"poolId","nodeId":"tvm-1_2-x"},
      "responses":{"200":{"headers":{},"body":{"id":"tvm-1_2-x","url":"https://acct.region.batch.azure.com/pools/poolId/nodes/tvm-1_2-x","state":"idle"}}}}"#;
    let Fact::NodeStatus(n) = one(json) else {
        panic!()
    };
    assert_eq!(n.pool.as_deref(), Some("poolId"));
    // An error answer is an error, never a resource.
    let json = r#"{"parameters":{},"responses":{"409":{"body":{"error":{"code":"AutoStorageNoPermission","message":"m","target":"BatchAccount"}}}}}"#;
    let Fact::ArmError(a) = one(json) else {
        panic!()
    };
    assert_eq!((a.status, a.code.as_deref()), (409, Some("AutoStorageNoPermission")));
    // Two success answers show one resource once.
    let json = r#"{"parameters":{},"responses":{"200":{"body":{"id":"p1","vmSize":"a"}},"201":{"body":{"id":"p1","vmSize":"a"}}}}"#;
    assert!(matches!(one(json), Fact::PoolConfig(_)));
}

#[test]
fn batch_data_plane_error_bodies_are_evidence() {
    let json = r#"{"odata.metadata":"https://acct.eastus.batch.azure.com/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element",
      "code":"OperationNotValidOnNode","message":{"lang":"en-US","value":"The specified operation is not valid on the node.\nRequestId:r\nTime:t"},
      "values":[{"key":"Reason","value":"because"}]}"#;
    let Fact::BatchError(e) = one(json) else {
        panic!()
    };
    assert_eq!(e.account.as_deref(), Some("acct"));
    assert_eq!(e.code.as_deref(), Some("OperationNotValidOnNode"));
    assert_eq!(
        e.message.as_deref(),
        Some("The specified operation is not valid on the node.")
    );
    assert_eq!(e.details, vec!["Reason: because"]);
    // A task-add result carries one per failed task; successes are no evidence.
    let json = r#"{"value":[{"status":"Success","taskId":"t1","eTag":"e"},
      {"status":"ClientError","taskId":"t2","error":{"code":"TaskExists","message":{"lang":"en-US","value":"The specified task already exists."}}}]}"#;
    let Fact::BatchError(e) = one(json) else {
        panic!()
    };
    assert_eq!(e.task.as_deref(), Some("t2"));
}

#[test]
fn a_node_snapshot_knows_how_long_it_has_been_in_its_state() {
    let json = r#"{"id":"tvm-1_1-x","url":"https://a.r.batch.azure.com/pools/p/nodes/tvm-1_1-x","state":"starting",
      "stateTransitionTime":"2023-03-14T01:42:39.7548824Z","allocationTime":"2023-03-14T01:42:29.0527822Z",
      "startTask":{"commandLine":"x","resourceFiles":[{"httpUrl":"https://sa.blob.core.windows.net/c/f?sig=s","filePath":"f"}]}}"#;
    let Fact::NodeStatus(n) = one(json) else {
        panic!()
    };
    // The snapshot holds no time after the transition: 0 s, not stuck.
    assert_eq!(n.in_state_seconds(), Some(0));
    assert_eq!(n.start_task_files.len(), 1);
    assert!(n.start_task_files[0].has_sas);
    let json = r#"{"id":"tvm-1_1-x","state":"starting","affinityId":"a","stateTransitionTime":"2023-03-14T01:00:00Z",
      "startTaskInfo":{"state":"running","startTime":"2023-03-14T01:30:00Z"}}"#;
    let Fact::NodeStatus(n) = one(json) else {
        panic!()
    };
    assert_eq!(n.in_state_seconds(), Some(1800));
}

#[test]
fn pool_resize_errors_and_start_task_files_are_read_in_both_planes() {
    let mgmt = r#"{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/pools/p","name":"p","type":"Microsoft.Batch/batchAccounts/pools",
      "properties":{"resizeOperationStatus":{"errors":[{"code":"AccountVMSeriesCoreQuotaReached","message":"quota"}]},
        "startTask":{"resourceFiles":[{"autoStorageContainerName":"tools","filePath":"t"}]}}}"#;
    let Fact::PoolConfig(p) = one(mgmt) else {
        panic!()
    };
    assert_eq!(p.resize_errors[0].code.as_deref(), Some("AccountVMSeriesCoreQuotaReached"));
    assert_eq!(p.start_task_files[0].kind, ResourceFileKind::AutoStorageContainer);
    let data = r#"{"id":"p","vmSize":"a","resizeErrors":[{"code":"AllocationTimedout","message":"m"}]}"#;
    let Fact::PoolConfig(p) = one(data) else {
        panic!()
    };
    assert_eq!(p.resize_errors[0].code.as_deref(), Some("AllocationTimedout"));
}

#[test]
fn json_of_no_known_shape_gives_no_evidence() {
    for json in [
        r#"{"value":[{"id":"job-1","poolInfo":{"poolId":"p"},"state":"completed"}]}"#,
        r#"{"value":[]}"#,
        r#"{"error":{"code":"X","message":"no status known"}}"#,
    ] {
        let r = read_resources(json.as_bytes(), &Location::file("x.json")).unwrap();
        assert!(r.evidence.is_empty(), "{json}");
    }
}

#[test]
fn jobs_with_common_resource_files_are_evidence() {
    let json = r#"{"value":[{"id":"job-1","url":"https://a.r.batch.azure.com/jobs/job-1","poolInfo":{"poolId":"p"},
      "commonResourceFiles":[{"autoStorageContainerName":"shared","filePath":"s"}]},
      {"id":"job-2","url":"https://a.r.batch.azure.com/jobs/job-2","poolInfo":{"poolId":"p"}}]}"#;
    let Fact::JobConfig(j) = one(json) else {
        panic!()
    };
    assert_eq!((j.job.as_str(), j.pool.as_deref(), j.account.as_deref()), ("job-1", Some("p"), Some("a")));
    assert_eq!(j.common_resource_files[0].kind, ResourceFileKind::AutoStorageContainer);
}

#[test]
fn arm_template_exports_resolve_names_from_parameter_defaults() {
    // As `az group export` writes it: names as parameters, identities by resourceId().
    let json = r#"{"template":{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0",
      "parameters":{"batchAccounts_contoso_name":{"defaultValue":"contoso","type":"String"},
                    "uami_name":{"defaultValue":"batch-nodes","type":"String"}},
      "variables":{"uamiId":"[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('uami_name'))]"},
      "resources":[
        {"type":"Microsoft.Batch/batchAccounts","apiVersion":"2024-07-01","name":"[parameters('batchAccounts_contoso_name')]",
         "identity":{"type":"SystemAssigned"},
         "properties":{"autoStorage":{"storageAccountId":"[resourceId('Microsoft.Storage/storageAccounts', 'contososa')]",
           "authenticationMode":"BatchAccountManagedIdentity","nodeIdentityReference":{"resourceId":"[variables('uamiId')]"}}},
         "resources":[{"type":"pools","name":"render","identity":{"type":"UserAssigned","userAssignedIdentities":{"[variables('uamiId')]":{}}},"properties":{}}]},
        {"type":"Microsoft.Batch/batchAccounts/pools","name":"[concat(parameters('batchAccounts_contoso_name'), '/sim')]","properties":{}}
      ]}}"#;
    let r = read_resources(json.as_bytes(), &Location::file("t.json")).unwrap();
    assert_eq!(r.evidence.len(), 3);
    let Fact::AccountConfig(a) = &r.evidence[0].fact else {
        panic!()
    };
    assert_eq!(a.name.as_deref(), Some("contoso"));
    let auto = a.autostorage.as_ref().unwrap();
    let uami = "/subscriptions/<subscription>/resourceGroups/<resource-group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/batch-nodes";
    assert_eq!(auto.node_identity_reference.as_deref(), Some(uami));
    let Fact::PoolConfig(render) = &r.evidence[1].fact else {
        panic!()
    };
    assert_eq!((render.pool.as_str(), render.account.as_deref()), ("render", Some("contoso")));
    assert_eq!(render.identities[0].resource_id, uami);
    let Fact::PoolConfig(sim) = &r.evidence[2].fact else {
        panic!()
    };
    assert_eq!((sim.pool.as_str(), sim.account.as_deref()), ("sim", Some("contoso")));
}

#[test]
fn template_expressions_of_unknown_functions_are_kept_as_written() {
    let json = r#"{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0",
      "parameters":{"p":{"defaultValue":"[parameters('p')]"}},
      "variables":{"a":"[variables('b')]","b":"[concat(variables('a'), parameters('p'))]"},
      "resources":[{"type":"Microsoft.Batch/batchAccounts","name":"[uniqueString(resourceGroup().id)]","properties":{"autoStorage":{"storageAccountId":"[variables('a')]"}}}]}"#;
    let r = read_resources(json.as_bytes(), &Location::file("t.json")).unwrap();
    let Fact::AccountConfig(a) = &r.evidence[0].fact else {
        panic!()
    };
    assert_eq!(a.name.as_deref(), Some("[uniqueString(resourceGroup().id)]"));
    // A loop of variables ends, unresolved.
    assert!(a.autostorage.as_ref().unwrap().storage_account_id.is_some());
}

const AUTOSTORAGE_MESSAGE: &str = r#"{\"error\":{\"code\":\"AutoStorageNoPermission\",\"message\":\"The managed identity does not have permission to access auto storage account. Please use Azure RBAC to assign the managed identity access to auto storage.\",\"target\":\"BatchAccount\"}}"#;
const VERSION_ID: &str = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/contoso/applications/render/versions/2.1.0";

fn arm_error_of(json: &str) -> crate::evidence::ArmError {
    match one(json) {
        Fact::ArmError(a) => a,
        other => panic!("{other:?}"),
    }
}

#[test]
fn activity_log_list_events_carry_the_error_as_escaped_json() {
    // `az monitor activity-log list`: a bare array of events, objects for values.
    let json = format!(
        r#"[{{"eventTimestamp":"2024-05-01T10:00:32.6Z","correlationId":"c","operationName":{{"value":"Microsoft.Batch/batchAccounts/applications/versions/write"}},
           "resourceId":"{VERSION_ID}","status":{{"value":"Failed"}},"subStatus":{{"value":"Conflict"}},
           "properties":{{"statusCode":"Conflict","statusMessage":"{AUTOSTORAGE_MESSAGE}"}}}},
          {{"eventTimestamp":"2024-05-01T10:00:30Z","correlationId":"c","operationName":{{"value":"Microsoft.Batch/batchAccounts/applications/versions/write"}},
           "resourceId":"{VERSION_ID}","status":{{"value":"Started"}}}}]"#
    );
    let a = arm_error_of(&json);
    assert_eq!((a.status, a.method.as_deref()), (409, Some("PUT")));
    assert_eq!(a.code.as_deref(), Some("AutoStorageNoPermission"));
    assert_eq!(a.target.as_deref(), Some("BatchAccount"));
    assert_eq!(
        a.resource.as_ref().and_then(|r| r.name_of("applications")),
        Some("render")
    );
}

#[test]
fn activity_log_archives_in_json_lines_and_records() {
    let record = format!(
        r#"{{"time":"2024-05-01T10:00:32.6Z","resourceId":"{}","operationName":"MICROSOFT.BATCH/BATCHACCOUNTS/APPLICATIONS/VERSIONS/WRITE","category":"Administrative","resultType":"Failure","resultSignature":"Failed.Conflict","properties":{{"statusCode":"Conflict","statusMessage":"{AUTOSTORAGE_MESSAGE}"}}}}"#,
        VERSION_ID.to_uppercase()
    );
    let ok = r#"{"time":"2024-05-01T10:00:30Z","resourceId":"/SUBSCRIPTIONS/S","operationName":"MICROSOFT.BATCH/BATCHACCOUNTS/WRITE","category":"Administrative","resultType":"Success"}"#;
    let lines = format!("{ok}\n{record}\n");
    let r = read_resources(lines.as_bytes(), &Location::file("PT1H.json")).unwrap();
    assert_eq!(r.evidence.len(), 1);
    assert_eq!(r.understood, 1);
    assert_eq!(r.evidence[0].time.as_deref(), Some("2024-05-01T10:00:32.6Z"));
    let wrapped = format!(r#"{{"records":[{ok},{record}]}}"#);
    let a = arm_error_of(&wrapped);
    assert_eq!(a.status, 409);
    // A clean archive is understood, with no evidence.
    let r = read_resources(format!("{ok}\n{ok}\n").as_bytes(), &Location::file("PT1H.json")).unwrap();
    assert_eq!((r.evidence.len(), r.understood), (0, 2));
}

#[test]
fn batch_service_log_events() {
    let lines = r#"{"time":"2024-05-01T10:05:00Z","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.BATCH/BATCHACCOUNTS/CONTOSO","category":"ServiceLog","operationName":"TaskFailEvent","properties":{"jobId":"job-1","id":"render-001","nodeInfo":{"poolId":"pool-render","nodeId":"tvm-1"},"executionInfo":{"exitCode":-1,"failureInfo":{"category":"UserError","code":"ResourceContainerAccessDenied","message":"Access for one of the specified Azure Blob container(s) is denied"}}}}
{"time":"2024-05-01T10:15:00Z","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.BATCH/BATCHACCOUNTS/CONTOSO","category":"ServiceLog","operationName":"PoolResizeCompleteEvent","properties":{"id":"pool-render","resultCode":"AllocationTimedOut","resultMessage":"Desired number of dedicated nodes could not be allocated"}}
"#;
    let r = read_resources(lines.as_bytes(), &Location::file("PT1H.json")).unwrap();
    assert_eq!(r.evidence.len(), 2);
    let Fact::TaskResult(t) = &r.evidence[0].fact else {
        panic!()
    };
    assert_eq!((t.account.as_deref(), t.pool.as_deref()), (Some("contoso"), Some("pool-render")));
    assert_eq!(t.failure.as_ref().and_then(|f| f.code.as_deref()), Some("ResourceContainerAccessDenied"));
    assert!(matches!(&r.evidence[1].fact, Fact::BatchError(e) if e.code.as_deref() == Some("AllocationTimedOut")));
}

#[test]
fn az_json_with_every_attribute_null_says_nothing_it_does_not_hold() {
    // `az batch account show` prints unset attributes as null.
    let json = r#"{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/acct","name":"acct",
      "type":"Microsoft.Batch/batchAccounts","identity":null,"autoStorage":null,"encryption":null,"keyVaultReference":null}"#;
    let Fact::AccountConfig(a) = one(json) else {
        panic!()
    };
    assert_eq!(a.autostorage, None, "null autostorage is none linked");
    assert_eq!(a.identity_type, None);
    let task = r#"{"id":"t1","commandLine":"x","resourceFiles":null,"executionInfo":{"failureInfo":null},"nodeInfo":null,"url":null}"#;
    let Fact::TaskResult(t) = one(task) else {
        panic!()
    };
    assert!(t.failure.is_none() && t.resource_files.is_empty() && t.pool.is_none());
}

#[test]
fn az_yaml_output_reads_as_its_json() {
    let yaml = "accountEndpoint: acct.westeurope.batch.azure.com\n\
autoStorage:\n  authenticationMode: BatchAccountManagedIdentity\n  lastKeySync: '2024-05-01T09:00:00+00:00'\n  nodeIdentityReference: null\n  storageAccountId: /subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa\n\
id: /subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/acct\n\
identity:\n  principalId: p\n  tenantId: t\n  type: SystemAssigned\n  userAssignedIdentities: null\n\
name: acct\ntype: Microsoft.Batch/batchAccounts\n";
    assert!(crate::detect::detect(&crate::detect::Head { bytes: yaml.as_bytes(), name: "account.yaml" }) == crate::detect::Format::Yaml);
    let json = yaml_as_json(yaml.as_bytes()).unwrap();
    let Fact::AccountConfig(a) = one(std::str::from_utf8(&json).unwrap()) else {
        panic!()
    };
    let auto = a.autostorage.unwrap();
    assert_eq!(auto.authentication_mode.as_deref(), Some("BatchAccountManagedIdentity"));
    assert_eq!(auto.node_identity_reference, None);
    // A list of nodes, and a damaged document that names its line.
    let nodes = "- id: tvm-1_1-x\n  state: starting\n  affinityId: TVM:tvm-1_1-x\n  stateTransitionTime: '2024-05-01T10:00:00+00:00'\n- id: tvm-1_2-y\n  state: idle\n  affinityId: a\n";
    let r = read_resources(&yaml_as_json(nodes.as_bytes()).unwrap(), &Location::file("n.yaml")).unwrap();
    assert_eq!(r.evidence.len(), 2);
    let err = yaml_as_json(b"a: 1\nb: [unclosed\nc: 2\n").unwrap_err();
    assert!(err.starts_with("not valid YAML at line"), "{err}");
    // Prose and PowerShell lists are not YAML.
    for text in ["Hello there\nsecond line\nthird\n", "access_token : x\nclient_id : y\nexpires_in : 1\n"] {
        assert_ne!(crate::detect::detect(&crate::detect::Head { bytes: text.as_bytes(), name: "x.txt" }), crate::detect::Format::Yaml);
    }
}

#[test]
fn az_yaml_as_pyyaml_writes_it_is_yaml_not_a_log() {
    // Keys sorted, a key's sequence unindented, a node id (holding a time) first.
    let nodes = "- affinityId: TVM:tvm-8801234567_1-20240611t180000z\n  allocationTime: '2024-06-11T18:00:00Z'\n  errors:\n  - code: ApplicationPackageError\n    message: One or more application packages specified for the pool are\n      invalid\n  id: tvm-8801234567_1-20240611t180000z\n  state: unusable\n";
    let head = crate::detect::Head { bytes: nodes.as_bytes(), name: "nodes.yaml" };
    assert_eq!(crate::detect::detect(&head), crate::detect::Format::Yaml);
    let account = "accountEndpoint: a.westeurope.batch.azure.com\nallowedAuthenticationModes:\n- SharedKey\n- AAD\n- TaskAuthenticationToken\nautoStorage:\n  authenticationMode: BatchAccountManagedIdentity\nid: /subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a\nname: a\n";
    let head = crate::detect::Head { bytes: account.as_bytes(), name: "account.yaml" };
    assert_eq!(crate::detect::detect(&head), crate::detect::Format::Yaml);
    let r = read_resources(&yaml_as_json(nodes.as_bytes()).unwrap(), &Location::file("n.yaml")).unwrap();
    let Fact::NodeStatus(n) = &r.evidence[0].fact else {
        panic!("{:?}", r.evidence)
    };
    assert_eq!(n.errors[0].message.as_deref(), Some("One or more application packages specified for the pool are invalid"));
    // A log whose first line starts with a time stays a log.
    let log = "2024-06-11T18:00:00.123Z INFO [agent.core] main:12: starting\n2024-06-11T18:00:01.000Z INFO [agent.core] main:13: more\n";
    let head = crate::detect::Head { bytes: log.as_bytes(), name: "other.log" };
    assert_eq!(crate::detect::detect(&head), crate::detect::Format::Log);
}

#[test]
fn activity_and_service_log_records_name_their_shape() {
    let ok = r#"{"time":"2024-05-01T10:00:30Z","resourceId":"/SUBSCRIPTIONS/S","operationName":"MICROSOFT.BATCH/BATCHACCOUNTS/WRITE","category":"Administrative","resultType":"Success"}"#;
    let r = read_resources(format!("{ok}\n{ok}\n").as_bytes(), &Location::file("PT1H.json")).unwrap();
    assert_eq!(r.shapes, vec![Shape::ActivityLog]);
    let svc = r#"{"time":"2024-05-01T10:15:00Z","resourceId":"/S","category":"ServiceLog","operationName":"PoolResizeCompleteEvent","properties":{"id":"p","resultCode":"Success"}}"#;
    let r = read_resources(svc.as_bytes(), &Location::file("PT1H.json")).unwrap();
    assert_eq!(r.shapes, vec![Shape::ServiceLog]);
    let r = read_resources(br#"{"id":"p1","vmSize":"a"}"#, &Location::file("p.json")).unwrap();
    assert!(r.shapes.is_empty());
}
