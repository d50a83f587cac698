//! The binary over every public real artifact in `../shared/real/` (see its
//! `SOURCES.md`), read in place, never copied into the repository: each file
//! is either read into the evidence its content holds or reported as not
//! understood, and healthy real data gives no diagnosis.
//!
//! The folder is found at `../shared/real` from the repository root (as in
//! CI), or in the nearest ancestor holding `shared/real` (a worktree), or at
//! `BATCHDIAG_REAL_DATA`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

fn real_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("BATCHDIAG_REAL_DATA") {
        return PathBuf::from(p);
    }
    root()
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared").join("real"))
        .find(|p| p.join("SOURCES.md").is_file())
        .unwrap_or_else(|| {
            panic!(
                "the real artifacts are not at ../shared/real from {} nor in any ancestor; set BATCHDIAG_REAL_DATA",
                root().display()
            )
        })
}

/// Files read into evidence: (path under the folder, the evidence kinds it gives).
const READ: &[(&str, &[&str])] = &[
    (
        "azure-cli-recordings/account_uai_storagekeys.body.json",
        &["account_config"],
    ),
    ("imds/docs-token-response.http.txt", &["imds_token"]),
    // PowerShell's Invoke-WebRequest and its error record.
    (
        "imds/azure-docs-issue21322-identity-not-found.ps1.txt",
        &["imds_token"],
    ),
    // A curl command and its plain output.
    (
        "imds/rust-pr748-multiple-identities.curl.txt",
        &["imds_token"],
    ),
    ("imds/docs-token.json", &["imds_token"]),
    (
        "imds/hexadite-pr43-multiple-identities.http.txt",
        &["imds_token"],
    ),
    ("imds/identity-not-found.json", &["imds_token"]),
    ("imds/multiple-identities.json", &["imds_token"]),
    (
        "jssdk-recordings/arm_account_get_storagekeys.body.json",
        &["account_config"],
    ),
    (
        "jssdk-recordings/arm_pool_get_resize_error.body.json",
        &["pool_config"],
    ),
    ("jssdk-recordings/node_get_idle.body.json", &["node_status"]),
    // A whole test-proxy recording: its exchanges read as a HAR's entries.
    (
        "jssdk-recordings/recording_pooloperations_get_test.json",
        &["pool_config"],
    ),
    (
        "jssdk-recordings/tasks_list_outputfiles.body.json",
        &["task_result"],
    ),
    (
        "powershell-recordings/pool_get_resizing.body.json",
        &["pool_config"],
    ),
    (
        "pysdk-recordings/batch_error_409_OperationNotValidOnNode.body.json",
        &["batch_error"],
    ),
    ("pysdk-recordings/node_get_idle.body.json", &["node_status"]),
    (
        "pysdk-recordings/nodes_list_starting.body.json",
        &["node_status"],
    ),
    ("specs-data/Nodes_GetNode.body.json", &["node_status"]),
    ("specs-data/Nodes_GetNode.json", &["node_status"]),
    ("specs-data/Pools_GetPool_Basic.body.json", &["pool_config"]),
    ("specs-data/Pools_GetPool_Basic.json", &["pool_config"]),
    (
        "specs-data/Tasks_CreateTaskCollection_Complex.request.json",
        &["task_result"],
    ),
    ("specs-data/Tasks_GetTask.body.json", &["task_result"]),
    ("specs-data/Tasks_GetTask.json", &["task_result"]),
    ("specs-data/Tasks_ListTasks.body.json", &["task_result"]),
    ("specs-data/Tasks_ListTasks.json", &["task_result"]),
    (
        "specs-mgmt/BatchAccountCreate_SystemAssignedIdentity.body.json",
        &["account_config"],
    ),
    (
        "specs-mgmt/BatchAccountCreate_SystemAssignedIdentity.json",
        &["account_config"],
    ),
    (
        "specs-mgmt/BatchAccountCreate_UserAssignedIdentity.body.json",
        &["account_config"],
    ),
    (
        "specs-mgmt/BatchAccountCreate_UserAssignedIdentity.json",
        &["account_config"],
    ),
    ("specs-mgmt/BatchAccountGet.body.json", &["account_config"]),
    ("specs-mgmt/BatchAccountGet.json", &["account_config"]),
    ("specs-mgmt/BatchAccountList.body.json", &["account_config"]),
    ("specs-mgmt/BatchAccountList.json", &["account_config"]),
    (
        "specs-mgmt/PoolCreate_UserAssignedIdentities.body.json",
        &["pool_config"],
    ),
    (
        "specs-mgmt/PoolCreate_UserAssignedIdentities.json",
        &["pool_config"],
    ),
    ("specs-mgmt/PoolGet.body.json", &["pool_config"]),
    ("specs-mgmt/PoolGet.json", &["pool_config"]),
    (
        "storage-errors/jssdk-nock-AuthorizationPermissionMismatch.xml",
        &["storage_request"],
    ),
    (
        "storage-errors/azurite-2477-bearer-not-allowed-http.log",
        &["storage_request"],
    ),
    (
        "storage-errors/kusto-copy-79-dotnet-AuthorizationPermissionMismatch.txt",
        &["storage_request"],
    ),
    (
        "storage-errors/prime-reportstream-12209-dotnet-AuthorizationFailure.txt",
        &["storage_request"],
    ),
    (
        "storage-errors/storage-explorer-3586-details.txt",
        &["storage_request"],
    ),
    (
        "storage-errors/typespec-7216-node-AuthenticationFailed.txt",
        &["storage_request"],
    ),
    (
        "storage-errors/storage-explorer-3586-bearer-not-supported.xml",
        &["storage_request"],
    ),
];

/// Real failures, and the only diagnoses they may give: (path, code:confidence).
const DIAGNOSED: &[(&str, &[&str])] = &[
    (
        "imds/hexadite-pr43-multiple-identities.http.txt",
        &["BD402:confirmed"],
    ),
    ("imds/multiple-identities.json", &["BD402:confirmed"]),
    // A VM that may have no identity at all gets the same answer: only a candidate.
    ("imds/identity-not-found.json", &["BD203:possible"]),
    (
        "imds/azure-docs-issue21322-identity-not-found.ps1.txt",
        &["BD203:possible"],
    ),
    (
        "imds/rust-pr748-multiple-identities.curl.txt",
        &["BD402:confirmed"],
    ),
    (
        "storage-errors/kusto-copy-79-dotnet-AuthorizationPermissionMismatch.txt",
        &["BD202:possible"],
    ),
    (
        "storage-errors/storage-explorer-3586-details.txt",
        &["BD403:confirmed"],
    ),
    (
        "storage-errors/typespec-7216-node-AuthenticationFailed.txt",
        &["BD403:confirmed"],
    ),
    // The body alone: whether the request carried a token or a SAS is unknown.
    (
        "storage-errors/jssdk-nock-AuthorizationPermissionMismatch.xml",
        &["BD202:possible"],
    ),
    (
        "storage-errors/storage-explorer-3586-bearer-not-supported.xml",
        &["BD403:confirmed"],
    ),
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.file_name().is_some_and(|n| n != "SOURCES.md") {
            out.push(p);
        }
    }
}

fn strings(v: &serde_json::Value, f: impl Fn(&serde_json::Value) -> String) -> BTreeSet<String> {
    v.as_array().into_iter().flatten().map(f).collect()
}

#[test]
fn every_real_artifact_is_read_or_reported_as_not_understood() {
    let dir = real_dir();
    let mut all = Vec::new();
    files(&dir, &mut all);
    assert!(
        all.len() >= 60,
        "the real folder holds its files: {}",
        all.len()
    );
    let mut failures = Vec::new();
    for path in &all {
        let rel = path
            .strip_prefix(&dir)
            .expect("under the folder")
            .to_string_lossy()
            .replace('\\', "/");
        let out = Command::new(env!("CARGO_BIN_EXE_batchdiag"))
            .args(["analyze", "-f", "json"])
            .arg(path)
            .output()
            .expect("the binary runs");
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{rel}: not JSON ({e})"));
        let input = &report["inputs"][0];
        let kind = input["kind"].as_str().unwrap_or_default().to_string();
        let evidence = strings(&report["evidence"], |e| {
            e["kind"].as_str().unwrap_or_default().into()
        });
        let diagnoses = strings(&report["diagnoses"], |d| {
            format!(
                "{}:{}",
                d["code"].as_str().unwrap_or_default(),
                d["confidence"].as_str().unwrap_or_default()
            )
        });
        let code = out.status.code();
        let expected_read = READ.iter().find(|(p, _)| *p == rel).map(|(_, k)| *k);
        let expected_diag: BTreeSet<String> = DIAGNOSED
            .iter()
            .find(|(p, _)| *p == rel)
            .map(|(_, d)| d.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        let mut problem = |what: String| failures.push(format!("{rel}: {what}"));
        if diagnoses != expected_diag {
            problem(format!(
                "diagnoses {diagnoses:?}, expected {expected_diag:?}"
            ));
        }
        match expected_read {
            Some(kinds) => {
                let want: BTreeSet<String> = kinds.iter().map(|s| s.to_string()).collect();
                if evidence != want {
                    problem(format!("evidence kinds {evidence:?}, expected {want:?}"));
                }
                if !input["error"].is_null() {
                    problem(format!("read with an error: {}", input["error"]));
                }
            }
            None if rel.ends_with(".har") => {
                // Public HAR captures of other sites: read as HAR, nothing Batch in them.
                if kind != "har" || !evidence.is_empty() {
                    problem(format!("kind {kind}, evidence {evidence:?}"));
                }
            }
            None => {
                // Not understood must say so, and never read as clean.
                let said = matches!(kind.as_str(), "unknown_json" | "unrecognized")
                    || !input["error"].is_null();
                if !said || !evidence.is_empty() || code != Some(3) {
                    problem(format!(
                        "kind {kind}, evidence {evidence:?}, exit {code:?}: neither read nor reported as not understood"
                    ));
                }
            }
        }
        if !expected_diag.is_empty() && code != Some(1) {
            problem(format!("exit {code:?} with diagnoses"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The SDK test-proxy recording is read exchange by exchange: the pool its
/// GET answered, at the answer's `Date`, the same as the body extracted from it.
#[test]
fn a_test_proxy_recording_reads_as_its_http_exchanges() {
    let dir = real_dir();
    let run = |rel: &str| -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_batchdiag"))
            .args(["analyze", "-f", "json"])
            .arg(dir.join(rel))
            .output()
            .expect("the binary runs");
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let rec = run("jssdk-recordings/recording_pooloperations_get_test.json");
    let body = run("jssdk-recordings/arm_pool_get_resize_error.body.json");
    assert_eq!(
        rec["inputs"][0]["shapes"],
        serde_json::json!(["http_recording"])
    );
    let (r, b) = (&rec["evidence"][0], &body["evidence"][0]);
    assert_eq!(r["source"]["entry"], 0);
    assert_eq!(r["time"], "2022-11-10T09:07:34Z", "the answer's Date");
    for field in [
        "kind",
        "pool",
        "account",
        "plane",
        "identities",
        "resize_errors",
    ] {
        assert_eq!(r[field], b[field], "{field}");
    }
    assert_eq!(
        rec["diagnoses"],
        serde_json::json!([]),
        "a healthy recording"
    );
}
