//! BD401 (`imds-client-id-mismatch`): its catalog row and the samples that must and must not
//! make it fire.

use batchdiag_parser::{InputKind, Shape};

use super::IMDS_CURL;
use crate::report::Confidence;
use crate::rules::{ConfigCheck, GroupBy, Needs, RemediationTemplate, Rule, Sample};

/// BD401: IMDS returned a token for another identity than the pool's.
pub const BD401: Rule = Rule {
    code: "BD401",
    slug: "imds-client-id-mismatch",
    title: "IMDS token is for a different identity than the pool identity",
    scenario: None,
    task_scenario: None,
    summary: "IMDS answered the token request for {identity_name} with a token for client id {returned_client_id}, but the pool lists client id {expected_client_id} for it: the node is not using the identity the configuration expects.",
    assumed_summary: "",
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
    seen_in_shapes: &[Shape::HttpRecording],
    agent_fixes: &[],
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
