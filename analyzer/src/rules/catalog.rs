//! The diagnosis catalog (`../shared/domain.md`): one [`Rule`] per code.
//! Codes and slugs never change meaning once shipped; scripts match on them.

use batchdiag_parser::InputKind;

use super::{Condition, ConfigCheck, GroupBy, Needs, RemediationTemplate, Rule, Sample, Symptom};
use crate::report::{Confidence, Scenario, ScenarioTable};

/// Every rule, in code order.
pub static RULES: &[Rule] = &[
    BD101, BD201, BD202, BD203, BD204, BD301, BD401, BD402, BD403,
];

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
    symptoms: &[Symptom { all: &[Condition::ArmErrorCode("AutoStorageNoPermission"), Condition::ArmStatus(409)], alone: Confidence::Confirmed }],
    config: None,
    refuted_by: &[],
    predicted: None,
    group_by: GroupBy::BatchAccount,
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
                "principal={principal_id|$(az batch account show --subscription {subscription} --resource-group {resource_group} --name {account} --query \"identity.principalId || values(identity.userAssignedIdentities)[0].principalId\" -o tsv)}\n\
storage={storage_account_id|$(az batch account show --subscription {subscription} --resource-group {resource_group} --name {account} --query autoStorage.storageAccountId -o tsv)}\n\
az role assignment create --assignee-object-id \"$principal\" --assignee-principal-type ServicePrincipal --role \"Storage Blob Data Contributor\" --scope \"$storage\"",
            ),
        ],
    },
    missing_evidence: &[
        (Needs::Account, "The Batch account JSON (`az batch account show` or the portal's JSON View) would name the account's identity and its autostorage account, so the fix could name them too."),
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
    summary: "The autostorage of {the_account} authenticates with a managed identity but names no node identity reference, so {nodes_phrase} cannot reach it: nodes stay in Starting (the node agent repeats health=Status.TvmJoinPoolInProgress) and tasks fail with ResourceContainerAccessDenied.",
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
    symptoms: &[
        Symptom { all: &[Condition::JoinLoopStuck], alone: Confidence::Likely },
        Symptom { all: &[Condition::NodeState("starting")], alone: Confidence::Possible },
        Symptom { all: &[Condition::TaskFailure("ResourceContainerAccessDenied")], alone: Confidence::Possible },
    ],
    config: Some(ConfigCheck::NodeReferenceMissing),
    refuted_by: &[],
    predicted: Some(Confidence::Likely),
    group_by: GroupBy::All,
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
        (Needs::Account, "The Batch account JSON (`az batch account show`) decides: autostorage.nodeIdentityReference null or absent confirms this cause; if it is set, the cause is the identity's permission (BD202) or the pool identity (BD203)."),
        (Needs::Pool, "The pool JSON (`az batch pool show`) would name the identity the reference should point to."),
    ],
    seen_in: &[InputKind::AgentLog, InputKind::Log, InputKind::Json],
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
            name: "account JSON with a node identity reference rules this cause out",
            fires: false,
            evidence: r#"[{"source":{"path":"a.log","line":1},"kind":"join_loop","pool":"p","node":"n","attribution":"layout","count":900,
              "first":"2024-05-01T10:00:00Z","last":"2024-05-01T11:00:00Z","duration_seconds":3600,"ended":false,
              "last_source":{"path":"a.log","line":900},"files":["a.log"]},
              {"source":{"path":"account.json"},"kind":"account_config","name":"acct","identity_type":"UserAssigned",
               "autostorage":{"storage_account_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa",
                 "authentication_mode":"BatchAccountManagedIdentity","node_identity_reference":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}}]"#,
        },
        Sample {
            name: "account JSON alone, MI autostorage without a reference, predicts it",
            fires: true,
            evidence: r#"[{"source":{"path":"account.json"},"kind":"account_config","name":"acct","identity_type":"SystemAssigned",
               "autostorage":{"storage_account_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa",
                 "authentication_mode":"BatchAccountManagedIdentity"}}]"#,
        },
        Sample {
            name: "storage keys autostorage needs no node identity",
            fires: false,
            evidence: r#"[{"source":{"path":"account.json"},"kind":"account_config","name":"acct",
               "autostorage":{"storage_account_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa","authentication_mode":"StorageKeys"}}]"#,
        },
        Sample {
            name: "a loop without timestamps has no known length",
            fires: false,
            evidence: r#"[{"source":{"path":"a.log","line":1},"kind":"join_loop","attribution":"unknown","count":5000,"ended":false,
              "last_source":{"path":"a.log","line":5000},"files":["a.log"]}]"#,
        },
    ],
};

/// BD202: the node identity lacks a data role on autostorage (scenario 2).
pub const BD202: Rule = Rule {
    code: "BD202",
    slug: "node-identity-insufficient-permission",
    title: "Node identity lacks a Storage Blob Data role on the autostorage account",
    scenario: Some(Scenario { table: ScenarioTable::ResourceFiles, number: 2 }),
    summary: "Nodes of {pool_phrase} reach autostorage with {identity_name}, which is set correctly in the account and the pool but has no sufficient role on the storage account: tasks fail with ResourceContainerAccessDenied and application packages are not downloaded (nodes stay idle).",
    explanation: "\
Nodes reach the autostorage account with the user-assigned identity named by the account's \
autostorage node identity reference, which must also be one of the pool's identities. When both \
are right but that identity holds no sufficient Azure RBAC data role on the storage account, \
Azure Storage answers the node's requests with 403 AuthorizationPermissionMismatch (\"This \
request is not authorized to perform this operation using this permission.\"). Nodes then start \
but stay Idle without their application packages (scenario 2 of the application-packages \
table), and tasks with resource files from autostorage fail with ResourceContainerAccessDenied, \
\"Access for one of the specified Azure Blob container(s) is denied\" (scenario 2 of the \
resource-files table).\n\n\
The same task error appears when the node identity reference is not set at all (BD201): the \
account JSON tells the two apart.",
    symptoms: &[
        Symptom { all: &[Condition::TaskFailure("ResourceContainerAccessDenied")], alone: Confidence::Possible },
        Symptom { all: &[Condition::StorageErrorCode("AuthorizationPermissionMismatch")], alone: Confidence::Likely },
    ],
    config: Some(ConfigCheck::NodeReferenceInPool),
    refuted_by: &[ConfigCheck::NodeReferenceMissing, ConfigCheck::NodeReferenceNotInPool],
    predicted: None,
    group_by: GroupBy::All,
    remediation: RemediationTemplate {
        summary: "Grant identity {identity_resource_id} the Storage Blob Data Reader role (Contributor if tasks upload) on the autostorage account, then rerun the tasks.",
        steps: &[
            "Find the identity's principal id and the autostorage account (commands below).",
            "Assign Storage Blob Data Reader (or Contributor, or Owner as in the support article) to that principal, scoped to the autostorage account.",
            "Role assignments take up to 10 minutes to apply; then reboot the idle nodes so they download their packages, and requeue the failed tasks ({tasks}).",
        ],
        commands: &[
            (
                "Principal id of the node identity",
                "az identity show --ids \"{identity_resource_id}\" --query principalId -o tsv",
            ),
            (
                "Grant it Storage Blob Data Reader on the autostorage account",
                "az role assignment create --assignee-object-id \"$(az identity show --ids \"{identity_resource_id}\" --query principalId -o tsv)\" --assignee-principal-type ServicePrincipal --role \"Storage Blob Data Reader\" --scope \"{storage_account_id}\"",
            ),
        ],
    },
    missing_evidence: &[
        (Needs::AccountAndPool, "The Batch account JSON (`az batch account show`) and the pool JSON (`az batch pool show`) decide: a node identity reference that is set and listed among the pool identities confirms this cause; a missing reference means BD201, a reference the pool lacks means BD203."),
        (Needs::Other, "A storage probe from a node (Get Blob with the node's IMDS token) answering 403 AuthorizationPermissionMismatch would show it directly."),
    ],
    seen_in: &[InputKind::Json],
    samples: &[
        Sample {
            name: "denied task, reference set and in the pool",
            fires: true,
            evidence: r#"[{"source":{"path":"task.json"},"kind":"task_result","task":"t1","job":"j",
               "resource_files":[{"kind":"auto_storage_container","source":"inputs","has_sas":false}],
               "failure":{"code":"ResourceContainerAccessDenied","message":"Access for one of the specified Azure Blob container(s) is denied"}},
              {"source":{"path":"account.json"},"kind":"account_config","name":"acct",
               "autostorage":{"authentication_mode":"BatchAccountManagedIdentity","node_identity_reference":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"UserAssigned",
               "identities":[{"resource_id":"/subscriptions/S/resourceGroups/G/providers/Microsoft.ManagedIdentity/userAssignedIdentities/U"}]}]"#,
        },
        Sample {
            name: "a denied task alone is possible (BD201 is the other candidate)",
            fires: true,
            evidence: r#"[{"source":{"path":"task.json"},"kind":"task_result","task":"t1",
               "failure":{"code":"ResourceContainerAccessDenied"}}]"#,
        },
        Sample {
            name: "a missing reference makes it BD201, not BD202",
            fires: false,
            evidence: r#"[{"source":{"path":"task.json"},"kind":"task_result","task":"t1","failure":{"code":"ResourceContainerAccessDenied"}},
              {"source":{"path":"account.json"},"kind":"account_config","name":"acct","autostorage":{"authentication_mode":"BatchAccountManagedIdentity"}}]"#,
        },
        Sample {
            name: "resource files with their own SAS never used an identity",
            fires: false,
            evidence: r#"[{"source":{"path":"task.json"},"kind":"task_result","task":"t1",
               "resource_files":[{"kind":"http_url","source":"https://sa.blob.core.windows.net/c/b?sig=x","has_sas":true}],
               "failure":{"code":"ResourceContainerAccessDenied"}}]"#,
        },
    ],
};

/// BD203: the node identity reference is not among the pool identities (scenario 4).
pub const BD203: Rule = Rule {
    code: "BD203",
    slug: "node-identity-not-in-pool",
    title: "Node identity reference is not one of the pool's identities",
    scenario: Some(Scenario { table: ScenarioTable::ApplicationPackages, number: 4 }),
    summary: "The autostorage node identity reference of {the_account} ({identity_name}) is not among the identities of {pool_phrase}: its nodes cannot get a token for it, so they go Unusable with ApplicationPackageError and tasks fail with ResourceContainerListMiscError.",
    explanation: "\
The identity nodes use for autostorage is set in two places that must agree: the account's \
autostorage node identity reference and the pool identity (identity.userAssignedIdentities). A \
pool may list several identities, but the reference must be one of them. When the pool was \
created with a different identity, the node asks IMDS for a token of an identity that is not \
attached to it (IMDS answers 400 \"Identity not found\"): nodes become Unusable with node error \
ApplicationPackageError, \"One or more application packages specified for the pool are \
invalid\" (portal: \"Node has 1 error(s).\"; scenario 4 of the application-packages table), and \
tasks with resource files from autostorage fail with ResourceContainerListMiscError, \
\"Miscellaneous error encountered while listing one of the specified Azure Blob container(s)\", \
with an HTTP 400 Bad Request underneath (scenario 4 of the resource-files table). Whether the \
identity has permission on the storage account does not matter.",
    symptoms: &[
        Symptom { all: &[Condition::NodeError("unusable", "ApplicationPackageError")], alone: Confidence::Likely },
        Symptom { all: &[Condition::TaskFailure("ResourceContainerListMiscError")], alone: Confidence::Likely },
        Symptom { all: &[Condition::ImdsErrorContains("Identity not found")], alone: Confidence::Likely },
    ],
    config: Some(ConfigCheck::NodeReferenceNotInPool),
    refuted_by: &[ConfigCheck::NodeReferenceInPool, ConfigCheck::NodeReferenceMissing],
    predicted: Some(Confidence::Likely),
    group_by: GroupBy::All,
    remediation: RemediationTemplate {
        summary: "Add identity {identity_resource_id} to pool {pools} (or point the account's node identity reference at an identity the pool has), then recreate the unusable nodes.",
        steps: &[
            "Compare the account's autostorage.nodeIdentityReference.resourceId with the pool's identity.userAssignedIdentities (first two commands); ARM ids compare without case.",
            "Either add the referenced identity to the pool (a pool identity can be changed while the pool has no nodes: resize it to 0 first), or change the account's node identity reference to one of the pool's identities.",
            "The identity must also hold a Storage Blob Data role on the autostorage account.",
            "Resize the pool to 0 and back (or recreate it) so nodes start with the matching identity.",
        ],
        commands: &[
            ("Show the account's node identity reference", "az batch account show --subscription {subscription} --resource-group {resource_group} --name {account} --query autoStorage.nodeIdentityReference -o json"),
            ("Show the pool's identities", "az batch account login --subscription {subscription} --resource-group {resource_group} --name {account}\naz batch pool show --pool-id {pool} --query identity -o json"),
            (
                "Add the referenced identity to the pool (management plane; keep the pool's other identities in the map)",
                "az rest --method patch --url \"https://management.azure.com{account_id}/pools/{pool}?api-version=2024-07-01\" \\\n  --body '{{\"identity\": {{\"type\": \"UserAssigned\", \"userAssignedIdentities\": {{\"{identity_resource_id}\": {{}}}}}}}}'",
            ),
        ],
    },
    missing_evidence: &[
        (Needs::AccountAndPool, "The Batch account JSON and the pool JSON decide: the account's nodeIdentityReference missing from the pool's userAssignedIdentities confirms this cause."),
    ],
    seen_in: &[InputKind::Json],
    samples: &[
        Sample {
            name: "unusable node with ApplicationPackageError, reference not in the pool",
            fires: true,
            evidence: r#"[{"source":{"path":"nodes.json"},"kind":"node_status","pool":"p","node":"tvm-1","state":"unusable",
               "errors":[{"code":"ApplicationPackageError","message":"One or more application packages specified for the pool are invalid"}]},
              {"source":{"path":"account.json"},"kind":"account_config","name":"acct",
               "autostorage":{"authentication_mode":"BatchAccountManagedIdentity","node_identity_reference":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"management","identity_type":"UserAssigned",
               "identities":[{"resource_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other"}]}]"#,
        },
        Sample {
            name: "configuration alone predicts it",
            fires: true,
            evidence: r#"[{"source":{"path":"account.json"},"kind":"account_config","name":"acct",
               "autostorage":{"authentication_mode":"BatchAccountManagedIdentity","node_identity_reference":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"UserAssigned",
               "identities":[{"resource_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other"}]}]"#,
        },
        Sample {
            name: "the reference is in the pool (case differs): not BD203",
            fires: false,
            evidence: r#"[{"source":{"path":"nodes.json"},"kind":"node_status","pool":"p","node":"tvm-1","state":"unusable","errors":[{"code":"ApplicationPackageError"}]},
              {"source":{"path":"account.json"},"kind":"account_config","name":"acct",
               "autostorage":{"authentication_mode":"BatchAccountManagedIdentity","node_identity_reference":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"UserAssigned",
               "identities":[{"resource_id":"/SUBSCRIPTIONS/S/resourcegroups/g/providers/microsoft.managedidentity/userassignedidentities/U"}]}]"#,
        },
        Sample {
            name: "an idle node is not this symptom",
            fires: false,
            evidence: r#"[{"source":{"path":"nodes.json"},"kind":"node_status","pool":"p","node":"tvm-1","state":"idle"}]"#,
        },
    ],
};

/// BD204: the pool has no user-assigned identity while its nodes need autostorage.
pub const BD204: Rule = Rule {
    code: "BD204",
    slug: "pool-identity-not-user-assigned",
    title: "Pool has no user-assigned identity, but its nodes need autostorage",
    scenario: None,
    summary: "Pool {pools} has no user-assigned managed identity, yet {the_account} authenticates to autostorage with managed identities: its nodes cannot download application packages or autostorage resource files.",
    explanation: "\
Pools support user-assigned managed identities only (a pool identity type is UserAssigned or \
None; a system-assigned identity cannot be given to a pool). When the account's autostorage uses \
the authentication mode BatchAccountManagedIdentity, nodes reach autostorage with the \
user-assigned identity named by the account's node identity reference, and that identity must be \
one of the pool's identities. A pool created without any user-assigned identity therefore cannot \
reach autostorage at all: application packages are not downloaded and tasks fail to fetch \
resource files from autostorage.",
    symptoms: &[],
    config: Some(ConfigCheck::PoolWithoutUserAssignedIdentity),
    refuted_by: &[],
    predicted: Some(Confidence::Likely),
    group_by: GroupBy::All,
    remediation: RemediationTemplate {
        summary: "Give pool {pools} the user-assigned identity the account's node identity reference names (create one in the account's tenant if there is none), with a Storage Blob Data role on the autostorage account.",
        steps: &[
            "Pick the user-assigned identity nodes should use (the account's autostorage.nodeIdentityReference, or create one in the same tenant as the account).",
            "Grant it Storage Blob Data Reader (or Contributor) on the autostorage account.",
            "Resize the pool to 0 nodes, add the identity to the pool (command below), set it as the account's node identity reference if it is not yet, and resize back.",
        ],
        commands: &[(
            "Add a user-assigned identity to the pool (management plane)",
            "az rest --method patch --url \"https://management.azure.com{account_id}/pools/{pool}?api-version=2024-07-01\" \\\n  --body '{{\"identity\": {{\"type\": \"UserAssigned\", \"userAssignedIdentities\": {{\"{identity_resource_id}\": {{}}}}}}}}'",
        )],
    },
    missing_evidence: &[
        (Needs::Account, "The Batch account JSON would show whether autostorage uses BatchAccountManagedIdentity, which is what makes the pool identity necessary."),
    ],
    seen_in: &[InputKind::Json],
    samples: &[
        Sample {
            name: "MI autostorage and a pool without identity",
            fires: true,
            evidence: r#"[{"source":{"path":"account.json"},"kind":"account_config","name":"acct",
               "autostorage":{"authentication_mode":"BatchAccountManagedIdentity","node_identity_reference":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"None"}]"#,
        },
        Sample {
            name: "a pool with packages and no identity, account unknown",
            fires: true,
            evidence: r#"[{"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"management","application_packages":["render"]}]"#,
        },
        Sample {
            name: "storage keys autostorage does not need a pool identity",
            fires: false,
            evidence: r#"[{"source":{"path":"account.json"},"kind":"account_config","name":"acct","autostorage":{"authentication_mode":"StorageKeys"}},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"None","application_packages":["render"]}]"#,
        },
        Sample {
            name: "a user-assigned pool identity is what is needed",
            fires: false,
            evidence: r#"[{"source":{"path":"account.json"},"kind":"account_config","name":"acct","autostorage":{"authentication_mode":"BatchAccountManagedIdentity"}},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"UserAssigned",
               "identities":[{"resource_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}]}]"#,
        },
    ],
};

/// BD301: a resource file names an identity the pool lacks.
pub const BD301: Rule = Rule {
    code: "BD301",
    slug: "resource-file-identity-not-in-pool",
    title: "A resource file names a managed identity the pool does not have",
    scenario: None,
    summary: "Task {tasks} downloads resource files with identity {missing_names}, which {pool_phrase} does not have: the node cannot get a token for it, so the download fails.",
    explanation: "\
Resource files given by storageContainerUrl or httpUrl may name an explicit identity \
(identityReference.resourceId). The node obtains that identity's token from IMDS, so the \
identity must be one of the pool's user-assigned identities (and hold permission on that storage \
account). An identity the pool does not have cannot be used: IMDS answers 400 \"Identity not \
found\" and the resource file is not downloaded. Resource files with a SAS in their URL use no \
identity, and autoStorageContainerName files always use the account's node identity reference.",
    symptoms: &[],
    config: Some(ConfigCheck::ResourceFileIdentityNotInPool),
    refuted_by: &[],
    predicted: Some(Confidence::Confirmed),
    group_by: GroupBy::All,
    remediation: RemediationTemplate {
        summary: "Add identity {missing_identities} to pool {pools}, or change the resource files to an identity the pool has.",
        steps: &[
            "For each resource file with an identityReference, the identity must be listed in the pool's identity.userAssignedIdentities.",
            "Add the missing identity to the pool (resize it to 0 first), or edit the task's resource files to reference one of the pool's identities.",
            "Make sure the identity holds Storage Blob Data Reader on the storage account the resource file points to.",
        ],
        commands: &[(
            "Add the identity to the pool (management plane; keep the pool's other identities in the map)",
            "az rest --method patch --url \"https://management.azure.com{account_id}/pools/{pool}?api-version=2024-07-01\" \\\n  --body '{{\"identity\": {{\"type\": \"UserAssigned\", \"userAssignedIdentities\": {{\"{missing_identities}\": {{}}}}}}}}'",
        )],
    },
    missing_evidence: &[],
    seen_in: &[InputKind::Json],
    samples: &[
        Sample {
            name: "resource file identity missing from the pool",
            fires: true,
            evidence: r#"[{"source":{"path":"task.json"},"kind":"task_result","task":"t1","job":"j",
               "resource_files":[{"kind":"storage_container_url","source":"https://sa.blob.core.windows.net/data","identity":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other","has_sas":false}]},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"UserAssigned",
               "identities":[{"resource_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}]}]"#,
        },
        Sample {
            name: "the identity is in the pool",
            fires: false,
            evidence: r#"[{"source":{"path":"task.json"},"kind":"task_result","task":"t1",
               "resource_files":[{"kind":"http_url","source":"https://sa.blob.core.windows.net/c/b","identity":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/U","has_sas":false}]},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"UserAssigned",
               "identities":[{"resource_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}]}]"#,
        },
        Sample {
            name: "a SAS URL uses no identity",
            fires: false,
            evidence: r#"[{"source":{"path":"task.json"},"kind":"task_result","task":"t1",
               "resource_files":[{"kind":"http_url","source":"https://sa.blob.core.windows.net/c/b?sig=x","identity":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other","has_sas":true}]},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"UserAssigned",
               "identities":[{"resource_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}]}]"#,
        },
        Sample {
            name: "without the pool JSON nothing can be said",
            fires: false,
            evidence: r#"[{"source":{"path":"task.json"},"kind":"task_result","task":"t1",
               "resource_files":[{"kind":"http_url","source":"https://sa.blob.core.windows.net/c/b","identity":"/x","has_sas":false}]}]"#,
        },
    ],
};

const IMDS_CURL: &str = "curl -s -H Metadata:true \"http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/&mi_res_id={identity_resource_id}\" | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t.get(\"client_id\"), t.get(\"error_description\"))'";

/// BD401: IMDS returned a token for another identity than the pool's.
pub const BD401: Rule = Rule {
    code: "BD401",
    slug: "imds-client-id-mismatch",
    title: "IMDS token is for a different identity than the pool identity",
    scenario: None,
    summary: "IMDS answered the token request for {identity_name} with a token for client id {returned_client_id}, but the pool lists client id {expected_client_id} for it: the node is not using the identity the configuration expects.",
    explanation: "\
On a node, a token is requested from IMDS (GET http://169.254.169.254/metadata/identity/oauth2/token \
with the header Metadata: true and, when the pool has several identities, mi_res_id / msi_res_id / \
client_id naming one). The JSON answer holds access_token and client_id, and client_id must equal \
the clientId of that identity in the pool JSON (identity.userAssignedIdentities[].clientId). A \
different client_id means the token is for another identity (a different identity was named, or the \
node has another identity attached than the pool JSON shows), so its storage permissions are not the \
ones that were granted.",
    symptoms: &[],
    config: Some(ConfigCheck::ImdsClientIdMismatch),
    refuted_by: &[],
    predicted: Some(Confidence::Confirmed),
    group_by: GroupBy::All,
    remediation: RemediationTemplate {
        summary: "Request the token for the pool's identity by its resource id (mi_res_id) and use that identity's client id; if IMDS still answers for another identity, recreate the nodes so they get the pool's identities.",
        steps: &[
            "On the node, request a token naming the identity explicitly (command below) and compare client_id with the pool JSON's clientId ({expected_client_id}).",
            "Fix the caller (task script, SDK credential) to name that identity: mi_res_id / msi_res_id with the resource id, or client_id with {expected_client_id}.",
            "If the answer is still for another identity, the node's identities differ from the pool JSON: resize the pool to 0 and back so nodes start with the pool's identities.",
        ],
        commands: &[("Ask IMDS for the pool identity's token, on the node", IMDS_CURL)],
    },
    missing_evidence: &[(Needs::Pool, "The pool JSON (`az batch pool show`) lists each identity's clientId, against which the IMDS answer is compared.")],
    seen_in: &[InputKind::Har, InputKind::Probe, InputKind::Json],
    samples: &[
        Sample {
            name: "token for another client id than the pool lists",
            fires: true,
            evidence: r#"[{"source":{"path":"imds.txt"},"kind":"imds_token","requested":{"by":"mi_res_id","value":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"},
               "status":200,"client_id":"11111111-0000-0000-0000-000000000000"},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"UserAssigned",
               "identities":[{"resource_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/U","client_id":"22222222-0000-0000-0000-000000000000"}]}]"#,
        },
        Sample {
            name: "client ids agree",
            fires: false,
            evidence: r#"[{"source":{"path":"imds.txt"},"kind":"imds_token","requested":{"by":"mi_res_id","value":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"},
               "status":200,"client_id":"22222222-0000-0000-0000-000000000000"},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"UserAssigned",
               "identities":[{"resource_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u","client_id":"22222222-0000-0000-0000-000000000000"}]}]"#,
        },
        Sample {
            name: "without the pool JSON there is nothing to compare with",
            fires: false,
            evidence: r#"[{"source":{"path":"imds.txt"},"kind":"imds_token","status":200,"client_id":"11111111-0000-0000-0000-000000000000"}]"#,
        },
    ],
};

/// BD402: several pool identities and the IMDS request named none.
pub const BD402: Rule = Rule {
    code: "BD402",
    slug: "imds-identity-not-specified",
    title: "IMDS token request names no identity while the node has several",
    scenario: None,
    summary: "IMDS refused a token request with 400 \"Multiple user assigned identities exist\": the node has several user-assigned identities and the request named none of them.",
    explanation: "\
A pool may have several user-assigned identities. A token request to IMDS that names none of them \
(no mi_res_id / msi_res_id, client_id or object_id) is then ambiguous, and IMDS answers 400 \
Bad Request with {\"error\":\"invalid_request\",\"error_description\":\"Multiple user assigned \
identities exist, please specify the clientId / resourceId of the identity in the token request\"}.",
    symptoms: &[Symptom { all: &[Condition::ImdsErrorContains("Multiple user assigned identities exist")], alone: Confidence::Confirmed }],
    config: None,
    refuted_by: &[],
    predicted: None,
    group_by: GroupBy::All,
    remediation: RemediationTemplate {
        summary: "Name the identity in every token request: mi_res_id (or msi_res_id) with the identity's resource id, or client_id.",
        steps: &[
            "In scripts: add &mi_res_id=<identity resource id> (or &client_id=<client id>) to the IMDS token URL (command below).",
            "In SDKs: build the managed-identity credential with the identity's client id or resource id (e.g. ManagedIdentityCredential(client_id=...)).",
            "For resource files from storageContainerUrl or httpUrl, set identityReference.resourceId.",
        ],
        commands: &[("Ask IMDS for a named identity's token, on the node", IMDS_CURL)],
    },
    missing_evidence: &[],
    seen_in: &[InputKind::Har, InputKind::Probe, InputKind::Json],
    samples: &[
        Sample {
            name: "IMDS 400 for an unnamed identity",
            fires: true,
            evidence: r#"[{"source":{"path":"imds.txt"},"kind":"imds_token","status":400,"error":"invalid_request",
               "error_description":"Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"}]"#,
        },
        Sample {
            name: "Identity not found is another cause (BD203)",
            fires: false,
            evidence: r#"[{"source":{"path":"imds.txt"},"kind":"imds_token","status":400,"error":"invalid_request","error_description":"Identity not found"}]"#,
        },
    ],
};

/// BD403: a bearer-token blob request without `x-ms-version`.
pub const BD403: Rule = Rule {
    code: "BD403",
    slug: "storage-request-missing-version",
    title: "Storage request with a bearer token but no x-ms-version header",
    scenario: None,
    summary: "A request to {storage_url} carried a bearer token but no x-ms-version header; Azure Storage accepts bearer tokens only from version 2017-11-09 on, so it answers 403 AuthenticationFailed \"Authentication scheme Bearer is not supported in this version.\"",
    explanation: "\
Azure Storage authorizes a request with an Azure AD (managed identity) bearer token only when the \
request states a service version of 2017-11-09 or later in the x-ms-version header. Without the \
header, Get Blob with Authorization: Bearer answers 403 AuthenticationFailed with \
<AuthenticationErrorDetail>Authentication scheme Bearer is not supported in this \
version.</AuthenticationErrorDetail>. This is a fault of the hand-made request (curl, a script), \
not of the identity or its roles.",
    symptoms: &[Symptom { all: &[Condition::StorageBearerWithoutVersion], alone: Confidence::Confirmed }],
    config: None,
    refuted_by: &[],
    predicted: None,
    group_by: GroupBy::All,
    remediation: RemediationTemplate {
        summary: "Add the header x-ms-version: 2021-08-06 (any version from 2017-11-09 on) to every Storage request that uses a bearer token.",
        steps: &[
            "Add -H \"x-ms-version: 2021-08-06\" to the curl command (below), or set the service version in the script.",
            "If Storage then answers 403 AuthorizationPermissionMismatch, the identity lacks a data role: that is BD202.",
        ],
        commands: &[(
            "Read the blob with the node identity's token and a version header",
            "token=$(curl -s -H Metadata:true \"http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/&mi_res_id={identity_resource_id}\" | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n\
curl -sS -o /dev/null -w '%{{http_code}}\\n' -H \"Authorization: Bearer $token\" -H \"x-ms-version: 2021-08-06\" \"{storage_url}\"",
        )],
    },
    missing_evidence: &[],
    seen_in: &[InputKind::Har, InputKind::Probe],
    samples: &[
        Sample {
            name: "bearer request without a version header",
            fires: true,
            evidence: r#"[{"source":{"path":"probe.txt"},"kind":"storage_request","method":"GET","url":"https://sa.blob.core.windows.net/c/b","status":403,
               "error_code":"AuthenticationFailed","bearer":true,"request_known":true}]"#,
        },
        Sample {
            name: "only the response is known, and it says so",
            fires: true,
            evidence: r#"[{"source":{"path":"e.xml"},"kind":"storage_request","status":403,"error_code":"AuthenticationFailed",
               "auth_detail":"Authentication scheme Bearer is not supported in this version.","bearer":false}]"#,
        },
        Sample {
            name: "a versioned request denied for permission is BD202",
            fires: false,
            evidence: r#"[{"source":{"path":"probe.txt"},"kind":"storage_request","url":"https://sa.blob.core.windows.net/c/b","status":403,
               "error_code":"AuthorizationPermissionMismatch","bearer":true,"x_ms_version":"2021-08-06","request_known":true}]"#,
        },
    ],
};
