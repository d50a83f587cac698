//! The diagnosis catalog (`../shared/domain.md`): one [`Rule`] per code.
//! Codes and slugs never change meaning once shipped; scripts match on them.

use batchdiag_parser::InputKind;

use super::{Condition, GroupBy, RemediationTemplate, Rule, Sample};
use crate::report::{Confidence, Scenario, ScenarioTable};

/// Every rule, in code order.
pub static RULES: &[Rule] = &[BD101, BD201];

/// Looks a rule up by code (case-insensitive) or slug.
pub fn find(code_or_slug: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_slug) || r.slug.eq_ignore_ascii_case(code_or_slug)
    })
}

/// BD101: the account identity lacks a role on autostorage.
pub const BD101: Rule = Rule {
    code: "BD101",
    slug: "autostorage-no-permission",
    title: "Batch account identity lacks permission on the autostorage account",
    scenario: None,
    summary: "The managed identity of Batch account {account} has no role on its autostorage account, so Azure Batch could not store {applications}.",
    explanation: "\
When a Batch account's autostorage uses the authentication mode BatchAccountManagedIdentity \
(portal: \"Batch Account Managed Identity\"), the Batch service reaches the autostorage account \
with the account's own managed identity (system-assigned or user-assigned), for example to store \
an application package. If that identity holds no data-plane role on the storage account, the \
service refuses the request: the portal reports \"Upload Error for <package>.zip / File Upload \
encountered an unexpected error during upload.\", and the browser capture shows a POST to \
https://management.azure.com/batch?api-version=2020-06-01 answered with HTTP 200 whose body \
holds the real answer to the inner PUT of \
.../batchAccounts/<account>/applications/<application>/versions/<version>: HTTP 409 with \
error code AutoStorageNoPermission, target BatchAccount, and the message \"The managed identity \
does not have permission to access auto storage account. Please use Azure RBAC to assign the \
managed identity access to auto storage.\"\n\n\
This is the account plane (Batch service to storage). It is unrelated to pool identities and \
to the node identity reference, which only matter to compute nodes.",
    when: &[Condition::ArmErrorCode("AutoStorageNoPermission"), Condition::ArmStatus(409)],
    group_by: GroupBy::BatchAccount,
    confidence: Confidence::Confirmed,
    remediation: RemediationTemplate {
        summary: "Grant the managed identity of Batch account {account} the Storage Blob Data Contributor role on its autostorage account, then upload {applications} again.",
        steps: &[
            "Find the identity the account uses and its autostorage account: the first command prints `identity` (SystemAssigned: `principalId`; UserAssigned: the `principalId` of the identity under `userAssignedIdentities`) and `autoStorage.storageAccountId`.",
            "Assign Storage Blob Data Contributor to that principal, scoped to the autostorage account (second command). In the portal: storage account > Access control (IAM) > Add role assignment > Storage Blob Data Contributor > Managed identity > the Batch account's identity.",
            "Check it took effect: storage account > Access control (IAM) > Check access > Managed identity > the account's identity; the role must be listed under Current role assignments. Role assignments can take up to 10 minutes to apply.",
            "Upload {applications} again.",
        ],
        commands: &[
            (
                "Show the account identity and autostorage settings",
                "az batch account show --subscription {subscription} --resource-group {resource_group} --name {account} --query \"{{identity: identity, autoStorage: autoStorage}}\" -o json",
            ),
            (
                "Grant the account identity Storage Blob Data Contributor on the autostorage account",
                "principal=$(az batch account show --subscription {subscription} --resource-group {resource_group} --name {account} --query \"identity.principalId || values(identity.userAssignedIdentities)[0].principalId\" -o tsv)\n\
storage=$(az batch account show --subscription {subscription} --resource-group {resource_group} --name {account} --query autoStorage.storageAccountId -o tsv)\n\
az role assignment create --assignee-object-id \"$principal\" --assignee-principal-type ServicePrincipal --role \"Storage Blob Data Contributor\" --scope \"$storage\"",
            ),
        ],
    },
    missing_evidence: &[
        "The Batch account JSON (`az batch account show` or the portal's JSON View) would name the account's identity and its autostorage account, so the fix could name them too.",
    ],
    seen_in: &[InputKind::Har],
    samples: &[
        Sample {
            name: "inner 409 AutoStorageNoPermission on an application version PUT",
            fires: true,
            evidence: r#"[{"source":{"path":"p.har","entry":3},"kind":"arm_error","method":"PUT",
              "url":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/1.0",
              "status":409,"code":"AutoStorageNoPermission","message":"m","target":"BatchAccount",
              "resource":{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/1.0",
                "subscription":"s","resource_group":"g","provider":"Microsoft.Batch",
                "types":[["batchAccounts","a"],["applications","app"],["versions","1.0"]]},
              "envelope":{"url":"https://management.azure.com/batch?api-version=2020-06-01","status":200,"name":"n1"}}]"#,
        },
        Sample {
            name: "the code is matched without regard to case, and a URL that does not parse still fires",
            fires: true,
            evidence: r#"[{"source":{"path":"p.har"},"kind":"arm_error","status":409,"code":"autostoragenopermission"}]"#,
        },
        Sample {
            name: "a different 409 is evidence, not BD101",
            fires: false,
            evidence: r#"[{"source":{"path":"p.har"},"kind":"arm_error","method":"PUT","status":409,"code":"Conflict","message":"The application package is already active."}]"#,
        },
        Sample {
            name: "the code with another status is not the documented failure",
            fires: false,
            evidence: r#"[{"source":{"path":"p.har"},"kind":"arm_error","status":400,"code":"InvalidRequest","message":"AutoStorageNoPermission"}]"#,
        },
    ],
};

/// BD201: the account's autostorage has no node identity reference (scenario 3).
pub const BD201: Rule = Rule {
    code: "BD201",
    slug: "node-identity-reference-missing",
    title: "Autostorage has no node identity reference; nodes cannot join their pool",
    scenario: Some(Scenario { table: ScenarioTable::ApplicationPackages, number: 3 }),
    summary: "{node_count} of pool {pools} never finished joining: the node agent kept reporting health=Status.TvmJoinPoolInProgress and never another status, which is what nodes do when the Batch account's autostorage has no node identity reference.",
    explanation: "\
When the autostorage of a Batch account uses the authentication mode BatchAccountManagedIdentity, \
compute nodes reach the autostorage account (for application packages and for resource files \
named by autoStorageContainerName) with a user-assigned managed identity obtained from IMDS. \
Which identity is set in two places: the account's autostorage node identity reference \
(properties.autoStorage.nodeIdentityReference.resourceId) and the pool identity \
(identity.userAssignedIdentities), and the reference must be one of the pool's identities.\n\n\
If the node identity reference is not set, the reference is null when a node starts: the node \
stays in the Starting state forever and its application packages are never downloaded \
(scenario 3 of the application-packages table); tasks with resource files from autostorage fail \
with ResourceContainerAccessDenied (scenario 3 of the resource-files table). The node's \
agent-debug.log, obtained with \"Upload batch logs\", then holds many lines with \
\"pool not fully joined yet, health=Status.TvmJoinPoolInProgress\", and no later health report \
with another status. Whether the identity has permission on the storage account, or which \
identity the pool was created with, does not change this outcome.\n\n\
Node agents older than 1.11.5 also had a bug that left nodes stuck in join-pool-in-progress; \
the node's nodeAgentInfo.version tells which agent ran.",
    when: &[Condition::JoinLoopStuck],
    group_by: GroupBy::All,
    confidence: Confidence::Likely,
    remediation: RemediationTemplate {
        summary: "Set the Batch account's autostorage node identity reference to the user-assigned identity that pool {pools} uses, then restart the stuck nodes.",
        steps: &[
            "Confirm the cause: the first command prints the account's autoStorage; nodeIdentityReference is missing or null.",
            "Find the user-assigned identity of pool {pool}: the second command lists identity.userAssignedIdentities (their resourceId values). The node identity reference must be one of them.",
            "Set the reference with the third command, filling in the autostorage account id (from the first command) and the identity's resource id. The identity also needs a Storage Blob Data role (Reader at least, Contributor to upload) on the autostorage account.",
            "Nodes read the reference when they start: reboot the stuck nodes (last command), or resize the pool to 0 and back.",
        ],
        commands: &[
            (
                "Show the account's autostorage settings",
                "az batch account show --subscription {subscription} --resource-group {resource_group} --name {account} --query autoStorage -o json",
            ),
            (
                "Show the pool's identities",
                "az batch account login --subscription {subscription} --resource-group {resource_group} --name {account}\n\
az batch pool show --pool-id {pool} --query identity -o json",
            ),
            (
                "Set the node identity reference on the account's autostorage",
                "az rest --method patch --url \"https://management.azure.com/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.Batch/batchAccounts/{account}?api-version=2024-07-01\" \\\n\
  --body '{{\"properties\": {{\"autoStorage\": {{\"storageAccountId\": \"{storage_account_id}\", \"authenticationMode\": \"BatchAccountManagedIdentity\", \"nodeIdentityReference\": {{\"resourceId\": \"{identity_resource_id}\"}}}}}}}}'",
            ),
            ("Reboot the stuck nodes", "{node_reboots}"),
        ],
    },
    missing_evidence: &[
        "The Batch account JSON (`az batch account show`) would confirm that autostorage has no nodeIdentityReference, raising this diagnosis to confirmed, and would name the account and its autostorage account.",
        "The pool JSON (`az batch pool show`) would name the identity the reference should point to.",
    ],
    seen_in: &[InputKind::AgentLog, InputKind::Log],
    samples: &[
        Sample {
            name: "a loop of 4 hours that never ended",
            fires: true,
            evidence: r#"[{"source":{"path":"b.zip","member":"pool-a/tvm-1-x/0b1c/agent-debug.log","line":17},"time":"2024-05-01T10:00:00Z",
              "kind":"join_loop","pool":"pool-a","node":"tvm-1_1-x","attribution":"content","count":2880,
              "first":"2024-05-01T10:00:00Z","last":"2024-05-01T14:00:00Z","duration_seconds":14400,"ended":false,
              "last_source":{"path":"b.zip","member":"pool-a/tvm-1-x/0b1c/agent-debug.log","line":9000},"files":["b.zip!/pool-a/tvm-1-x/0b1c/agent-debug.log"]}]"#,
        },
        Sample {
            name: "a loop that a later health report ended is a node that joined",
            fires: false,
            evidence: r#"[{"source":{"path":"a.log","line":1},"kind":"join_loop","pool":"p","node":"n","attribution":"layout","count":900,
              "first":"2024-05-01T10:00:00Z","last":"2024-05-01T11:00:00Z","duration_seconds":3600,"ended":true,
              "ended_by":{"status":"Ok","time":"2024-05-01T11:00:05Z","source":{"path":"a.log","line":901}},
              "last_source":{"path":"a.log","line":900},"files":["a.log"]}]"#,
        },
        Sample {
            name: "a short loop, under the threshold, is a node still joining",
            fires: false,
            evidence: r#"[{"source":{"path":"a.log","line":1},"kind":"join_loop","pool":"p","node":"n","attribution":"layout","count":40,
              "first":"2024-05-01T10:00:00Z","last":"2024-05-01T10:03:20Z","duration_seconds":200,"ended":false,
              "last_source":{"path":"a.log","line":40},"files":["a.log"]}]"#,
        },
        Sample {
            name: "a loop without timestamps has no known length",
            fires: false,
            evidence: r#"[{"source":{"path":"a.log","line":1},"kind":"join_loop","attribution":"unknown","count":5000,"ended":false,
              "last_source":{"path":"a.log","line":5000},"files":["a.log"]}]"#,
        },
    ],
};
