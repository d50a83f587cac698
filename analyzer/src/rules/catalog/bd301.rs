//! BD301 (`resource-file-identity-not-in-pool`): its catalog row and the samples that must and must not
//! make it fire.

use batchdiag_parser::InputKind;

use crate::report::Confidence;
use crate::rules::{ConfigCheck, GroupBy, RemediationTemplate, Rule, Sample};

/// BD301: a resource file names an identity the pool lacks.
pub const BD301: Rule = Rule {
    code: "BD301",
    slug: "resource-file-identity-not-in-pool",
    title: "A resource file names a managed identity the pool does not have",
    scenario: None,
    task_scenario: None,
    summary: "Task {tasks} downloads resource files with identity {missing_names}, which {pool_phrase} does not have: the node cannot get a token for it, so the download fails.",
    assumed_summary: "",
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
    seen_in_shapes: &[],
    agent_fixes: &[],
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
