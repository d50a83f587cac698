//! BD402 (`imds-identity-not-specified`): its catalog row and the samples that must and must not
//! make it fire.

use batchdiag_parser::{InputKind, Shape};

use super::IMDS_CURL;
use crate::report::Confidence;
use crate::rules::{Condition, GroupBy, RemediationTemplate, Rule, Sample, Symptom};

/// BD402: several pool identities and the IMDS request named none.
pub const BD402: Rule = Rule {
    code: "BD402",
    slug: "imds-identity-not-specified",
    title: "IMDS token request names no identity while the node has several",
    scenario: None,
    task_scenario: None,
    summary: "IMDS refused a token request with 400 \"Multiple user assigned identities exist\": the node has several user-assigned identities and the request named none of them.",
    assumed_summary: "",
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
    seen_in_shapes: &[Shape::HttpRecording],
    agent_fixes: &[],
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
