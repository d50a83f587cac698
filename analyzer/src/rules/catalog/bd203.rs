//! BD203 (`node-identity-not-in-pool`): its catalog row and the samples that must and must not
//! make it fire.

use batchdiag_parser::{InputKind, Shape};

use super::PACKAGE_IDENTITY_FIXES;
use crate::report::{Confidence, Scenario, ScenarioTable};
use crate::rules::{
    Condition, ConfigCheck, GroupBy, Needs, RemediationTemplate, Rule, Sample, Symptom,
};

/// BD203: the node identity reference is not among the pool identities (scenario 4).
pub const BD203: Rule = Rule {
    code: "BD203",
    slug: "node-identity-not-in-pool",
    title: "Node identity reference is not one of the pool's identities",
    scenario: Some(Scenario { table: ScenarioTable::ApplicationPackages, number: 4 }),
    task_scenario: Some(Scenario { table: ScenarioTable::ResourceFiles, number: 4 }),
    summary: "The autostorage node identity reference of {the_account} ({identity_name}) is not among the identities of {pool_phrase}: its nodes cannot get a token for it, so they go Unusable with ApplicationPackageError and tasks fail with ResourceContainerListMiscError.",
    assumed_summary: "Nodes of {pool_phrase} fail as when the autostorage node identity reference of {the_account} is not among the pool's identities; no input shows both the account's node identity reference and the pool identities, so that they disagree is an assumption.",
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
        // IMDS says the same to a VM that has no identity at all: alone it is only a candidate.
        Symptom { all: &[Condition::ImdsErrorContains("Identity not found")], alone: Confidence::Possible },
    ],
    config: Some(ConfigCheck::NodeReferenceNotInPool),
    refuted_by: &[ConfigCheck::NodeReferenceInPool, ConfigCheck::NodeReferenceMissing, ConfigCheck::AutostorageWithoutManagedIdentity],
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
        (Needs::Account, "The Batch account JSON (`az batch account show`) decides, with the pool's identities: its autostorage.nodeIdentityReference missing from the pool's userAssignedIdentities confirms this cause."),
        (Needs::Pool, "The pool JSON (`az batch pool show`) decides, with the account's node identity reference: that identity missing from the pool's userAssignedIdentities confirms this cause."),
    ],
    seen_in: &[InputKind::Json],
    seen_in_shapes: &[Shape::ServiceLog],
    agent_fixes: PACKAGE_IDENTITY_FIXES,
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
