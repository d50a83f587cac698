//! BD204 (`pool-identity-not-user-assigned`): its catalog row and the samples that must and must not
//! make it fire.

use batchdiag_parser::InputKind;

use super::PACKAGE_IDENTITY_FIXES;
use crate::report::Confidence;
use crate::rules::{ConfigCheck, GroupBy, Needs, RemediationTemplate, Rule, Sample};

/// BD204: the pool has no user-assigned identity while its nodes need autostorage.
pub const BD204: Rule = Rule {
    code: "BD204",
    slug: "pool-identity-not-user-assigned",
    title: "Pool has no user-assigned identity, but its nodes need autostorage",
    scenario: None,
    task_scenario: None,
    summary: "Pool {pools} has no user-assigned managed identity, yet {the_account} authenticates to autostorage with managed identities: its nodes cannot download application packages or autostorage resource files.",
    assumed_summary: "",
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
    seen_in_shapes: &[],
    agent_fixes: PACKAGE_IDENTITY_FIXES,
    samples: &[
        Sample {
            name: "MI autostorage and a pool without identity",
            fires: true,
            evidence: r#"[{"source":{"path":"account.json"},"kind":"account_config","name":"acct",
               "autostorage":{"authentication_mode":"BatchAccountManagedIdentity","node_identity_reference":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}},
              {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"None"}]"#,
        },
        Sample {
            name: "a pool with packages and no identity, account unknown: healthy with storage keys, so no verdict",
            fires: false,
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
