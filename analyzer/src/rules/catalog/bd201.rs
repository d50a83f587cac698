//! BD201 (`node-identity-reference-missing`): its catalog row and the samples that must and must not
//! make it fire.

use batchdiag_parser::{InputKind, Shape};

use crate::report::{Confidence, Scenario, ScenarioTable};
use crate::rules::{
    AgentFix, Condition, ConfigCheck, GroupBy, Needs, RemediationTemplate, Rule, Sample, Symptom,
};

/// BD201: the account's autostorage has no node identity reference (scenario 3).
pub const BD201: Rule = Rule {
    code: "BD201",
    slug: "node-identity-reference-missing",
    title: "Autostorage has no node identity reference; nodes cannot join their pool",
    scenario: Some(Scenario { table: ScenarioTable::ApplicationPackages, number: 3 }),
    task_scenario: Some(Scenario { table: ScenarioTable::ResourceFiles, number: 3 }),
    summary: "The autostorage of {the_account} authenticates with a managed identity but names no node identity reference, so {nodes_phrase} cannot reach it: nodes stay in Starting (the node agent repeats health=Status.TvmJoinPoolInProgress) and tasks fail with ResourceContainerAccessDenied.",
    assumed_summary: "The evidence shows {nodes_phrase} failing as nodes do when autostorage names no node identity reference (nodes stay in Starting, the node agent repeats health=Status.TvmJoinPoolInProgress, tasks fail with ResourceContainerAccessDenied); no input shows the autostorage settings of {the_account}, so that it authenticates with a managed identity and names no node identity reference is an assumption.",
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
        Symptom { all: &[Condition::NodeStuck("starting")], alone: Confidence::Possible },
        Symptom { all: &[Condition::TaskFailure("ResourceContainerAccessDenied")], alone: Confidence::Possible },
    ],
    config: Some(ConfigCheck::NodeReferenceMissing),
    refuted_by: &[ConfigCheck::AutostorageWithoutManagedIdentity],
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
    seen_in_shapes: &[Shape::ServiceLog],
    agent_fixes: &[AgentFix { fixed_in: (1, 11, 5), what: "1.11.5 fixed nodes stuck in join-pool-in-progress" }],
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
