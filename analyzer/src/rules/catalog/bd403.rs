//! BD403 (`storage-request-missing-version`): its catalog row and the samples that must and must not
//! make it fire.

use batchdiag_parser::{InputKind, Shape};

use crate::report::Confidence;
use crate::rules::{Condition, GroupBy, RemediationTemplate, Rule, Sample, Symptom};

/// BD403: a bearer-token blob request without `x-ms-version`.
pub const BD403: Rule = Rule {
    code: "BD403",
    slug: "storage-request-missing-version",
    title: "Storage request with a bearer token but no x-ms-version header",
    scenario: None,
    task_scenario: None,
    summary: "A request to {storage_url} carried a bearer token but no x-ms-version header; Azure Storage accepts bearer tokens only from version 2017-11-09 on, so it answers 403 AuthenticationFailed \"Authentication scheme Bearer is not supported in this version.\"",
    assumed_summary: "",
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
    seen_in_shapes: &[Shape::HttpRecording],
    agent_fixes: &[],
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
