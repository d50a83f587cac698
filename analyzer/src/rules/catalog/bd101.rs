//! BD101 (`autostorage-no-permission`): its catalog row and the samples that must and must not
//! make it fire.

use batchdiag_parser::{InputKind, Shape};

use crate::report::Confidence;
use crate::rules::{Condition, GroupBy, Needs, RemediationTemplate, Rule, Sample, Symptom};

/// BD101: the account identity lacks a role on autostorage.
pub const BD101: Rule = Rule {
    code: "BD101",
    slug: "autostorage-no-permission",
    title: "Batch account identity lacks permission on the autostorage account",
    scenario: None,
    task_scenario: None,
    summary: "The managed identity of Batch account {account} has no role on its autostorage account, so Azure Batch could not store {applications}.",
    assumed_summary: "",
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
    seen_in_shapes: &[Shape::ActivityLog, Shape::HttpRecording],
    agent_fixes: &[],
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
