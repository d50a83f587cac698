use super::catalog::{find, RULES};
use super::*;
use crate::report::ScenarioTable;

impl Rule {
    fn evaluate_default(&self, e: &[EvidenceItem]) -> Vec<Diagnosis> {
        self.evaluate(&World::new(e), &Settings::default())
    }
}

fn items(json: &str) -> Vec<EvidenceItem> {
    let ev: Vec<Evidence> =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("bad sample {json}: {e}"));
    ev.into_iter()
        .enumerate()
        .map(|(i, e)| EvidenceItem {
            id: format!("E{}", i + 1),
            evidence: e,
        })
        .collect()
}

#[test]
fn every_sample_behaves_as_declared() {
    for rule in RULES {
        assert!(
            rule.samples.iter().any(|s| s.fires),
            "{} has no sample that fires",
            rule.code
        );
        assert!(
            rule.samples.iter().any(|s| !s.fires),
            "{} has no sample that must not fire",
            rule.code
        );
        for s in rule.samples {
            let fired = !rule.evaluate_default(&items(s.evidence)).is_empty();
            assert_eq!(fired, s.fires, "{} sample {:?}", rule.code, s.name);
        }
    }
}

#[test]
fn codes_are_sorted_unique_and_findable() {
    let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted);
    assert_eq!(find("bd101").unwrap().slug, "autostorage-no-permission");
    assert_eq!(find("autostorage-no-permission").unwrap().code, "BD101");
    assert!(find("BD999").is_none());
}

#[test]
fn bd101_fills_the_fix_from_the_url() {
    let diags = find("BD101")
        .unwrap()
        .evaluate_default(&items(find("BD101").unwrap().samples[0].evidence));
    assert_eq!(diags.len(), 1);
    let d = &diags[0];
    assert_eq!(d.subjects.account.as_deref(), Some("a"));
    assert_eq!(
        d.subjects.account_id.as_deref(),
        Some("/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a")
    );
    assert_eq!(d.subjects.applications[0].version.as_deref(), Some("1.0"));
    assert!(d.summary.contains("Batch account a "), "{}", d.summary);
    assert!(d.summary.contains("app 1.0"), "{}", d.summary);
    let grant = &d.remediation.commands[1].shell;
    assert!(
        grant.contains("--subscription s --resource-group g --name a"),
        "{grant}"
    );
    assert!(
        grant.contains("\"Storage Blob Data Contributor\""),
        "{grant}"
    );
    assert!(!grant.contains('<'), "every value known: {grant}");
    assert_eq!(d.evidence, vec!["E1"]);
}

#[test]
fn unknown_values_are_marked_for_the_reader() {
    let rule = find("BD101").unwrap();
    let diags = rule.evaluate_default(&items(rule.samples[1].evidence));
    assert!(diags[0].remediation.commands[0]
        .shell
        .contains("--name <account>"));
}

#[test]
fn one_diagnosis_per_account() {
    let e = r#"[
      {"source":{"path":"p.har"},"kind":"arm_error","status":409,"code":"AutoStorageNoPermission",
       "resource":{"id":"x","subscription":"S","resource_group":"G","provider":"Microsoft.Batch","types":[["batchAccounts","A"],["applications","x"]]}},
      {"source":{"path":"p.har"},"kind":"arm_error","status":409,"code":"AutoStorageNoPermission",
       "resource":{"id":"x","subscription":"s","resource_group":"g","provider":"Microsoft.Batch","types":[["batchAccounts","a"],["applications","y"],["versions","2"]]}},
      {"source":{"path":"p.har"},"kind":"arm_error","status":409,"code":"AutoStorageNoPermission",
       "resource":{"id":"x","subscription":"s","resource_group":"g","provider":"Microsoft.Batch","types":[["batchAccounts","other"]]}}
    ]"#;
    let diags = find("BD101").unwrap().evaluate_default(&items(e));
    assert_eq!(diags.len(), 2);
    assert_eq!(diags[0].evidence, vec!["E1", "E2"]);
    assert_eq!(diags[0].subjects.applications.len(), 2);
    assert_eq!(diags[1].subjects.account.as_deref(), Some("other"));
}

#[test]
fn bd201_lists_every_stuck_node_and_honours_the_threshold() {
    let rule = find("BD201").unwrap();
    let one = rule.samples[0].evidence;
    let mut two: Vec<serde_json::Value> = serde_json::from_str(one).unwrap();
    let mut b = two[0].clone();
    b["node"] = "tvm-2_1-y".into();
    b["pool"] = "pool-b".into();
    two.push(b);
    let ev = items(&serde_json::to_string(&two).unwrap());
    let d = rule.evaluate_default(&ev);
    assert_eq!(d.len(), 1, "one account-wide diagnosis");
    assert_eq!(d[0].subjects.pools, vec!["pool-a", "pool-b"]);
    assert_eq!(d[0].subjects.nodes.len(), 2);
    assert!(
        d[0].summary
            .contains("shows 2 nodes of pool pool-a, pool-b failing"),
        "{}",
        d[0].summary
    );
    let reboot = &d[0].remediation.commands[3].shell;
    assert_eq!(reboot, "az batch node reboot --pool-id pool-a --node-id tvm-1_1-x\naz batch node reboot --pool-id pool-b --node-id tvm-2_1-y");
    // A 4-hour loop is not stuck under a 5-hour threshold.
    assert!(rule
        .evaluate(
            &World::new(&ev),
            &Settings {
                join_threshold_secs: 5 * 3600
            }
        )
        .is_empty());
}

#[test]
fn symptoms_are_judged_by_their_own_account() {
    // Account "a" has no node identity reference; account "b" has one, in its pool.
    // A task of "b" denied access is BD202 for "b", while "a" is still predicted BD201.
    let e = r#"[
      {"source":{"path":"a.json"},"kind":"account_config","name":"a","autostorage":{"authentication_mode":"BatchAccountManagedIdentity"}},
      {"source":{"path":"b.json"},"kind":"account_config","name":"b",
       "autostorage":{"authentication_mode":"BatchAccountManagedIdentity","node_identity_reference":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}},
      {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","account":"b","plane":"data","identity_type":"UserAssigned",
       "identities":[{"resource_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}]},
      {"source":{"path":"task.json"},"kind":"task_result","account":"b","task":"t1","failure":{"code":"ResourceContainerAccessDenied"}}
    ]"#;
    let ev = items(e);
    let bd202 = find("BD202").unwrap().evaluate_default(&ev);
    assert_eq!(bd202.len(), 1);
    assert_eq!(bd202[0].confidence, Confidence::Confirmed);
    assert_eq!(bd202[0].subjects.account.as_deref(), Some("b"));
    let bd201 = find("BD201").unwrap().evaluate_default(&ev);
    assert_eq!(bd201.len(), 1, "{bd201:?}");
    assert_eq!(
        (bd201[0].confidence, bd201[0].subjects.account.as_deref()),
        (Confidence::Likely, Some("a"))
    );
    assert_eq!(bd201[0].evidence, vec!["E1"]);
}

const CONTOSO_409: &str = r#"{"source":{"path":"p.har"},"kind":"arm_error","status":409,"code":"AutoStorageNoPermission",
  "resource":{"id":"x","subscription":"s","resource_group":"rg-render","provider":"Microsoft.Batch","types":[["batchAccounts","contoso"],["applications","render"],["versions","2.1"]]}}"#;

fn account_json(name: &str, rg: &str, reference: Option<&str>) -> String {
    let reference = reference.map_or("null".to_string(), |r| format!("{r:?}"));
    format!(
        r#"{{"source":{{"path":"{name}.json"}},"kind":"account_config","name":"{name}",
          "account_id":"/subscriptions/s/resourceGroups/{rg}/providers/Microsoft.Batch/batchAccounts/{name}",
          "identity_type":"SystemAssigned","principal_id":"principal-of-{name}",
          "autostorage":{{"storage_account_id":"/subscriptions/s/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/sa{name}",
            "authentication_mode":"BatchAccountManagedIdentity","node_identity_reference":{reference}}}}}"#
    )
}

const UAMI: &str = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u";

fn pool_json(pool: &str, account: Option<&str>, identity: Option<&str>) -> String {
    let account = account.map_or("null".to_string(), |a| format!("{a:?}"));
    let (ty, ids) = match identity {
        Some(i) => (
            "\"UserAssigned\"".to_string(),
            format!(r#"[{{"resource_id":{i:?}}}]"#),
        ),
        None => ("null".to_string(), "[]".to_string()),
    };
    format!(
        r#"{{"source":{{"path":"{pool}.json"}},"kind":"pool_config","pool":"{pool}","account":{account},"plane":"data","identity_type":{ty},"identities":{ids}}}"#
    )
}

#[test]
fn bd101_is_judged_by_the_account_it_names_not_another_in_the_bundle() {
    let ev = items(&format!(
        "[{CONTOSO_409},{}]",
        account_json("fabrikam", "rg-other", None)
    ));
    let d = find("BD101").unwrap().evaluate_default(&ev);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].subjects.account.as_deref(), Some("contoso"));
    assert_eq!(d[0].subjects.principal_id, None, "not fabrikam's identity");
    assert_eq!(d[0].subjects.storage_account, None);
    assert_eq!(d[0].evidence, vec!["E1"]);
    let grant = &d[0].remediation.commands[1].shell;
    assert!(
        grant.contains("--resource-group rg-render --name contoso"),
        "{grant}"
    );
}

#[test]
fn an_account_of_the_same_name_elsewhere_is_another_account() {
    let ev = items(&format!(
        "[{CONTOSO_409},{}]",
        account_json("contoso", "rg-other", None)
    ));
    let d = find("BD101").unwrap().evaluate_default(&ev);
    assert_eq!(d[0].evidence, vec!["E1"]);
    assert_eq!(d[0].subjects.resource_group.as_deref(), Some("rg-render"));
    assert_eq!(d[0].subjects.principal_id, None);
}

#[test]
fn bd101_cites_and_uses_its_own_account_json() {
    let ev = items(&format!(
        "[{CONTOSO_409},{},{}]",
        account_json("contoso", "rg-render", None),
        account_json("fabrikam", "rg-other", None)
    ));
    let d = find("BD101").unwrap().evaluate_default(&ev);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].evidence, vec!["E1", "E2"], "the account JSON is cited");
    assert_eq!(
        d[0].subjects.principal_id.as_deref(),
        Some("principal-of-contoso")
    );
    assert!(
        d[0].subjects
            .storage_account
            .as_deref()
            .is_some_and(|s| s.ends_with("sacontoso")),
        "{:?}",
        d[0].subjects
    );
    assert!(
        d[0].missing_evidence.is_empty(),
        "the account JSON is here: {:?}",
        d[0].missing_evidence
    );
    let grant = &d[0].remediation.commands[1].shell;
    assert!(grant.contains("principal-of-contoso"), "{grant}");
    assert!(grant.contains("sacontoso"), "{grant}");
}

#[test]
fn pools_of_another_account_are_not_judged_by_its_configuration() {
    let ev = items(&format!(
        "[{},{},{}]",
        account_json("fabrikam", "rg-other", Some(UAMI)),
        pool_json("pool-a", Some("contoso"), Some(&UAMI.replace("/u", "/v"))),
        pool_json("pool-none", Some("contoso"), None)
    ));
    for code in ["BD203", "BD204"] {
        let d = find(code).unwrap().evaluate_default(&ev);
        assert!(d.is_empty(), "{code}: {d:?}");
    }
}

#[test]
fn bd204_fix_patches_every_pool_without_identity() {
    let ev = items(&format!(
        "[{},{},{}]",
        account_json("contoso", "rg-render", Some(UAMI)),
        pool_json("pool-noid", None, None),
        pool_json("pool-none", None, None)
    ));
    let d = find("BD204").unwrap().evaluate_default(&ev);
    assert_eq!(d.len(), 1, "{d:?}");
    let all: String = d[0]
        .remediation
        .commands
        .iter()
        .map(|c| c.shell.as_str())
        .collect();
    for pool in ["pool-noid", "pool-none"] {
        assert!(
            all.contains(&format!("/pools/{pool}?api-version")),
            "{pool} is patched: {all}"
        );
    }
    assert!(
        d[0].missing_evidence.is_empty(),
        "{:?}",
        d[0].missing_evidence
    );
}

#[test]
fn bd201_from_configuration_cites_the_pool_it_names_the_identity_from() {
    let ev = items(&format!(
        "[{},{}]",
        account_json("contoso", "rg-render", None),
        pool_json("pool-render", None, Some(UAMI))
    ));
    let d = find("BD201").unwrap().evaluate_default(&ev);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].evidence, vec!["E1", "E2"]);
    assert_eq!(d[0].subjects.pools, vec!["pool-render"]);
    assert_eq!(d[0].subjects.identity.as_deref(), Some(UAMI));
    assert!(
        d[0].missing_evidence.is_empty(),
        "{:?}",
        d[0].missing_evidence
    );
    for c in &d[0].remediation.commands {
        assert!(!c.shell.contains("<pool"), "{}", c.shell);
    }
}

#[test]
fn start_task_resource_file_failures_are_task_failures() {
    // A start task's resource-file failure is reported on the node
    // (state starttaskfailed, startTaskInfo.failureInfo), not on a task.
    let node = r#"[{"source":{"path":"nodes.json"},"kind":"node_status","pool":"pool-render","node":"tvm-1_1-x","state":"starttaskfailed",
        "start_task_failure":{"code":"ResourceContainerAccessDenied","message":"Access for one of the specified Azure Blob container(s) is denied"}}]"#;
    let ev = items(node);
    for code in ["BD201", "BD202"] {
        let d = find(code).unwrap().evaluate_default(&ev);
        assert_eq!(d.len(), 1, "{code}: {d:?}");
        assert_eq!(d[0].subjects.nodes.len(), 1);
    }
    let other = node.replace("ResourceContainerAccessDenied", "TaskFailedToStart");
    assert!(find("BD202")
        .unwrap()
        .evaluate_default(&items(&other))
        .is_empty());
}

#[test]
fn only_autostorage_resource_files_involve_the_node_identity_reference() {
    let task = |files: &str| {
        items(&format!(
            r#"[{{"source":{{"path":"t.json"}},"kind":"task_result","task":"t1","job":"j","resource_files":{files},
              "failure":{{"code":"ResourceContainerListMiscError"}}}}]"#
        ))
    };
    let bd203 = find("BD203").unwrap();
    let explicit = task(
        r#"[{"kind":"storage_container_url","source":"https://sa.blob.core.windows.net/raw","identity":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/reader"}]"#,
    );
    assert!(
        bd203.evaluate_default(&explicit).is_empty(),
        "a resource file with its own identity is BD301's case"
    );
    let auto = task(r#"[{"kind":"auto_storage_container","source":"scenes"}]"#);
    assert_eq!(bd203.evaluate_default(&auto).len(), 1);
    let unknown = task("[]");
    assert_eq!(
        bd203.evaluate_default(&unknown).len(),
        1,
        "files not exported"
    );
}

#[test]
fn a_node_named_by_the_upload_layout_and_by_its_json_is_one_node() {
    // The upload layout writes tvm-1_1-x as tvm-1-1-x; node JSON has the real id.
    let rule = find("BD201").unwrap();
    let mut ev: Vec<serde_json::Value> = serde_json::from_str(rule.samples[0].evidence).unwrap();
    let node_id = ev[0]["node"].as_str().unwrap().to_string();
    assert!(node_id.contains('_'), "{node_id}");
    ev[0]["node"] = node_id.replace('_', "-").into();
    ev.push(
        serde_json::json!({"source":{"path":"nodes.json"},"kind":"node_status",
        "pool": ev[0]["pool"].clone(), "node": node_id, "state":"starting",
        "state_since":"2024-05-01T10:00:00Z", "observed_at":"2024-05-01T11:00:00Z"}),
    );
    let d = rule.evaluate_default(&items(&serde_json::to_string(&ev).unwrap()));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].subjects.nodes.len(), 1, "{:?}", d[0].subjects.nodes);
    assert_eq!(d[0].subjects.nodes[0].node, node_id, "the real id wins");
}

#[test]
fn reboot_commands_use_the_real_node_id_not_the_upload_layouts() {
    assert_eq!(
        super::real_node_id("tvm-1695681911-2-20240501t095900z"),
        "tvm-1695681911_2-20240501t095900z"
    );
    assert_eq!(
        super::real_node_id("tvm-1695681911_2-20240501t095900z"),
        "tvm-1695681911_2-20240501t095900z",
        "already real"
    );
    for other in ["node-1", "tvm-abc-2-x", "tvm-1-2", "mynode"] {
        assert_eq!(super::real_node_id(other), other);
    }
    // Through the rule: a node known only from the layout.
    let rule = find("BD201").unwrap();
    let mut ev: Vec<serde_json::Value> = serde_json::from_str(rule.samples[0].evidence).unwrap();
    let node_id = ev[0]["node"].as_str().unwrap().to_string();
    ev[0]["node"] = node_id.replace('_', "-").into();
    let d = rule.evaluate_default(&items(&serde_json::to_string(&ev).unwrap()));
    let cmds: Vec<&str> = d[0]
        .remediation
        .commands
        .iter()
        .map(|c| c.shell.as_str())
        .collect();
    let reboot = cmds.iter().find(|c| c.contains("node reboot")).unwrap();
    assert!(
        reboot.ends_with(&format!("--node-id {node_id}")),
        "{reboot}"
    );
}

#[test]
fn bd204_without_the_account_json_is_no_verdict() {
    // Without the account, a pool with packages and no identity needs
    // autostorage by identity only if the account uses it: an assumption no
    // input supports (storage keys, the default, need no pool identity).
    let pool = r#"{"source":{"path":"pool.json"},"kind":"pool_config","pool":"pool-pkg","plane":"data","application_packages":["render"]}"#;
    let d = find("BD204")
        .unwrap()
        .evaluate_default(&items(&format!("[{pool}]")));
    assert!(d.is_empty(), "{d:?}");
    // With the account JSON (managed identity), it is the predicted confidence.
    let ev = items(&format!(
        "[{},{pool}]",
        account_json("contoso", "rg", Some(UAMI))
    ));
    let d = find("BD204").unwrap().evaluate_default(&ev);
    assert_eq!(d[0].confidence, Confidence::Likely);
}

#[test]
fn a_task_symptom_names_the_resource_files_table() {
    let task = r#"[{"source":{"path":"t.json"},"kind":"task_result","task":"t1","job":"j",
        "failure":{"code":"ResourceContainerListMiscError"}}]"#;
    let d = find("BD203").unwrap().evaluate_default(&items(task));
    let s = d[0].scenario.expect("BD203 is a table row");
    assert_eq!((s.table, s.number), (ScenarioTable::ResourceFiles, 4));
    // Node symptoms keep the application packages table.
    let node = r#"[{"source":{"path":"n.json"},"kind":"node_status","pool":"p","node":"tvm-1","state":"unusable",
        "errors":[{"code":"ApplicationPackageError"}]}]"#;
    let d = find("BD203").unwrap().evaluate_default(&items(node));
    assert_eq!(
        d[0].scenario.map(|s| s.table),
        Some(ScenarioTable::ApplicationPackages)
    );
}

#[test]
fn every_placeholder_of_every_template_is_in_the_table() {
    use crate::template::{names, Placeholder};
    let mut used: Vec<&str> = Vec::new();
    for rule in RULES {
        for t in rule.templates() {
            for name in names(t) {
                assert!(
                    Placeholder::from_name(name).is_some(),
                    "{}: {{{name}}} is not a placeholder, in {t:?}",
                    rule.code
                );
                used.push(name);
            }
        }
    }
    // And the table holds nothing the catalog never asks for.
    for p in Placeholder::ALL {
        assert!(used.contains(&p.name()), "{{{}}} is never used", p.name());
    }
}

#[test]
fn the_engine_fills_only_table_placeholders() {
    // A template name outside the table shows as `<name>` even when the
    // subjects would know it: values are keyed by the table, nothing else.
    let mut v = Values::new();
    v.insert(crate::template::Placeholder::Account, "a".into());
    assert_eq!(fill("{account} {acount}", &v), "a <acount>");
}

fn starting_node(node: &str, since: &str, seen: &str) -> String {
    format!(
        r#"{{"source":{{"path":"{node}.json"}},"kind":"node_status","pool":"p","node":"{node}","state":"starting",
           "state_since":"{since}","observed_at":"{seen}"}}"#
    )
}

#[test]
fn a_node_starting_for_seconds_is_not_stuck() {
    // A node list taken 10 s after allocation shows nodes starting: normal.
    let bd201 = find("BD201").unwrap();
    let fresh = starting_node("n1", "2023-03-14T01:42:39Z", "2023-03-14T01:42:49Z");
    assert!(bd201
        .evaluate_default(&items(&format!("[{fresh}]")))
        .is_empty());
    // Past the join threshold it is.
    let old = starting_node("n1", "2023-03-14T01:00:00Z", "2023-03-14T01:42:49Z");
    let d = bd201.evaluate_default(&items(&format!("[{old}]")));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].confidence, Confidence::Possible);
    // A snapshot that does not say when it was taken proves nothing.
    let untimed = r#"{"source":{"path":"n.json"},"kind":"node_status","pool":"p","node":"n1","state":"starting"}"#;
    assert!(bd201
        .evaluate_default(&items(&format!("[{untimed}]")))
        .is_empty());
}

#[test]
fn a_later_snapshot_of_the_same_node_supersedes_an_earlier_one() {
    let bd201 = find("BD201").unwrap();
    let old = starting_node("n1", "2023-03-14T01:00:00Z", "2023-03-14T01:42:49Z");
    let idle = r#"{"source":{"path":"later.json"},"kind":"node_status","pool":"p","node":"n1","state":"idle",
        "state_since":"2023-03-14T01:43:00Z","observed_at":"2023-03-14T01:43:10Z"}"#;
    assert!(bd201
        .evaluate_default(&items(&format!("[{old},{idle}]")))
        .is_empty());
    // An earlier idle snapshot does not hide a later stuck one.
    let early = r#"{"source":{"path":"early.json"},"kind":"node_status","pool":"p","node":"n1","state":"idle",
        "state_since":"2023-03-14T00:00:00Z","observed_at":"2023-03-14T00:10:00Z"}"#;
    assert_eq!(
        bd201
            .evaluate_default(&items(&format!("[{early},{old}]")))
            .len(),
        1
    );
}

fn storage_403(bearer: bool, known: bool, url: &str) -> String {
    format!(
        r#"[{{"source":{{"path":"s.txt"}},"kind":"storage_request","url":"{url}","status":403,
           "error_code":"AuthorizationPermissionMismatch","bearer":{bearer},"request_known":{known}}}]"#
    )
}

#[test]
fn a_storage_403_blames_the_node_identity_only_when_a_token_was_sent() {
    let bd202 = find("BD202").unwrap();
    let url = "https://sa.blob.core.windows.net/c?restype=container";
    let d = bd202.evaluate_default(&items(&storage_403(true, true, url)));
    assert_eq!(d[0].confidence, Confidence::Likely);
    // A SAS request with no bearer token used no identity.
    assert!(bd202
        .evaluate_default(&items(&storage_403(false, true, url)))
        .is_empty());
    let sas = "https://sa.blob.core.windows.net/c?sv=2019-02-02&sig=abc";
    assert!(bd202
        .evaluate_default(&items(&storage_403(false, false, sas)))
        .is_empty());
    // The body alone: the request is unknown, so only possible.
    let d = bd202.evaluate_default(&items(&storage_403(false, false, "")));
    assert_eq!(d[0].confidence, Confidence::Possible);
}

#[test]
fn an_account_without_a_node_reference_is_never_cited_as_setting_it_correctly() {
    // The account names no reference: BD202 ("set correctly") must not fire on it.
    let ev = format!(
        r#"[{},{{"source":{{"path":"s.txt"}},"kind":"storage_request","status":403,
           "error_code":"AuthorizationPermissionMismatch","bearer":true,"request_known":true}}]"#,
        account_json("contoso", "rg", None)
    );
    assert!(find("BD202")
        .unwrap()
        .evaluate_default(&items(&ev))
        .is_empty());
    // Storage keys autostorage: nodes use no identity for it at all.
    let keys = r#"[{"source":{"path":"a.json"},"kind":"account_config","name":"a",
        "autostorage":{"authentication_mode":"StorageKeys"}},
        {"source":{"path":"i.json"},"kind":"imds_token","status":400,"error":"invalid_request","error_description":"Identity not found"}]"#;
    assert!(find("BD203")
        .unwrap()
        .evaluate_default(&items(keys))
        .is_empty());
}

#[test]
fn imds_identity_not_found_alone_is_only_possible_and_worded_as_an_assumption() {
    let ev = r#"[{"source":{"path":"i.json"},"kind":"imds_token","status":400,"error":"invalid_request","error_description":"Identity not found"}]"#;
    let d = find("BD203").unwrap().evaluate_default(&items(ev));
    assert_eq!(d[0].confidence, Confidence::Possible);
    assert!(
        d[0].summary.contains("is an assumption"),
        "{}",
        d[0].summary
    );
}

#[test]
fn a_start_task_failure_with_sas_files_implicates_no_identity() {
    let node = |files: &str| {
        format!(
            r#"[{{"source":{{"path":"n.json"}},"kind":"node_status","pool":"p","node":"n1","state":"starttaskfailed",
               "start_task_failure":{{"code":"ResourceContainerAccessDenied"}},"start_task_files":{files}}}]"#
        )
    };
    let bd201 = find("BD201").unwrap();
    let sas = r#"[{"kind":"storage_container_url","source":"https://sa.blob.core.windows.net/c?sig=x","has_sas":true}]"#;
    assert!(bd201.evaluate_default(&items(&node(sas))).is_empty());
    let auto = r#"[{"kind":"auto_storage_container","source":"inputs"}]"#;
    assert_eq!(bd201.evaluate_default(&items(&node(auto))).len(), 1);
}

#[test]
fn a_symptom_is_judged_by_the_configuration_of_its_own_pool() {
    // pool-good lists the reference identity, pool-bad does not. A task
    // denied on pool-good is BD202 (the identity lacks a role); pool-bad's
    // configuration predicts BD203 on its own.
    const OTHER: &str = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other";
    let task = r#"{"source":{"path":"task.json"},"kind":"task_result","account":"contoso","job":"j","task":"t1","pool":"pool-good",
        "resource_files":[{"kind":"auto_storage_container","source":"inputs"}],
        "failure":{"code":"ResourceContainerAccessDenied"}}"#;
    let ev = items(&format!(
        "[{},{},{},{task}]",
        account_json("contoso", "rg", Some(UAMI)),
        pool_json("pool-good", Some("contoso"), Some(UAMI)),
        pool_json("pool-bad", Some("contoso"), Some(OTHER)),
    ));
    let bd202 = find("BD202").unwrap().evaluate_default(&ev);
    assert_eq!(bd202.len(), 1, "{bd202:?}");
    assert_eq!(bd202[0].confidence, Confidence::Confirmed);
    assert_eq!(bd202[0].subjects.pools, vec!["pool-good"]);
    assert!(
        !bd202[0].evidence.contains(&"E3".to_string()),
        "pool-bad is not cited"
    );
    let bd203 = find("BD203").unwrap().evaluate_default(&ev);
    assert_eq!(bd203.len(), 1, "{bd203:?}");
    assert!(
        !bd203[0].evidence.contains(&"E4".to_string()),
        "the task is not BD203's"
    );
}
