//! BD202 (`node-identity-insufficient-permission`): its catalog row and the samples that must and must not
//! make it fire.

use batchdiag_parser::{InputKind, Shape};

use super::PACKAGE_IDENTITY_FIXES;
use crate::report::{Confidence, Scenario, ScenarioTable};
use crate::rules::{
    Condition, ConfigCheck, GroupBy, Needs, RemediationTemplate, Rule, Sample, Symptom,
};

/// BD202: the node identity lacks a data role on autostorage (scenario 2).
pub const BD202: Rule = Rule {
    code: "BD202",
    slug: "node-identity-insufficient-permission",
    title: "Node identity lacks a Storage Blob Data role on the autostorage account",
    scenario: Some(Scenario { table: ScenarioTable::ResourceFiles, number: 2 }),
    task_scenario: None,
    summary: "Nodes of {pool_phrase} reach autostorage with {identity_name}, which is set correctly in the account and the pool but has no sufficient role on the storage account: tasks fail with ResourceContainerAccessDenied and application packages are not downloaded (nodes stay idle).",
    assumed_summary: "Tasks or Storage requests of {pool_phrase} were denied as when the node identity has no sufficient role on the autostorage account; no input shows the account's node identity reference and the pool identities, so that they are set correctly (which makes a missing role the cause) is an assumption.",
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
        // A 403 sent with a SAS or a shared key is not the node identity's: only
        // a bearer token implicates it, and an unseen request leaves it open.
        Symptom { all: &[Condition::StorageErrorCode("AuthorizationPermissionMismatch"), Condition::StorageBearer], alone: Confidence::Likely },
        Symptom { all: &[Condition::StorageErrorCode("AuthorizationPermissionMismatch"), Condition::StorageRequestUnknown], alone: Confidence::Possible },
    ],
    config: Some(ConfigCheck::NodeReferenceInPool),
    refuted_by: &[ConfigCheck::NodeReferenceMissing, ConfigCheck::NodeReferenceNotInPool, ConfigCheck::AutostorageWithoutManagedIdentity],
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
        (Needs::Account, "The Batch account JSON (`az batch account show`) decides, with the pool's identities: a node identity reference that is set and listed among the pool identities confirms this cause; a missing reference means BD201, a reference the pool lacks means BD203."),
        (Needs::Pool, "The pool JSON (`az batch pool show`) decides, with the account's node identity reference: the reference listed among the pool's identities confirms this cause; a reference the pool lacks means BD203."),
        (Needs::StorageProbe, "A storage probe from a node (Get Blob with the node's IMDS token) answering 403 AuthorizationPermissionMismatch would show it directly."),
    ],
    seen_in: &[InputKind::Json],
    seen_in_shapes: &[Shape::ServiceLog],
    agent_fixes: PACKAGE_IDENTITY_FIXES,
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
