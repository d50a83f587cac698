use super::*;
use crate::evidence::Fact;

fn read(text: &str) -> Vec<Fact> {
    assert!(looks_like_printed(text.as_bytes()), "{text}");
    read_printed(text.as_bytes(), &Location::file("p.txt"))
        .into_iter()
        .map(|e| e.fact)
        .collect()
}

fn storage(text: &str) -> crate::evidence::StorageRequest {
    match read(text).as_slice() {
        [Fact::StorageRequest(s)] => s.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn powershell_error_records_wrapped_at_the_console_width() {
    let text = "PS C:\\> Invoke-RestMethod -Uri 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/' -Headers @{Metadata=\"true\"}\n\
Invoke-RestMethod : {\"error\":\"invalid_request\",\"error_description\":\"Multiple user assigned identities exist, please specify the clientId / resourceId of the identit\n\
y in the token request\"}\n\
At line:1 char:1\n\
+ Invoke-RestMethod -Uri 'http://169.254.169.254/metadata/identity/oaut ...\n\
    + CategoryInfo          : InvalidOperation: (System.Net.HttpWebRequest:HttpWebRequest) [Invoke-RestMethod], WebException\n\
    + FullyQualifiedErrorId : WebCmdletWebResponseException,Microsoft.PowerShell.Commands.InvokeRestMethodCommand\n";
    let facts = read(text);
    let [Fact::ImdsToken(t)] = facts.as_slice() else {
        panic!("{facts:?}")
    };
    assert_eq!(t.error.as_deref(), Some("invalid_request"));
    assert!(t
        .error_description
        .as_deref()
        .unwrap()
        .contains("identity in the token request"));
    assert!(t.requested.is_none());
}

#[test]
fn a_format_list_token_with_wrapped_values() {
    let text = [
        "",
        "access_token   : eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJvMSIsImFwcGlkIjoiYz",
        "                 EifQ.c2ln",
        "client_id      : 11111111-2222-3333-4444-555555555555",
        "expires_in     : 86399",
        "resource       : https://storage.azure.com/",
        "token_type     : Bearer",
    ]
    .join("\r\n");
    let text = text.as_str();
    let facts = read(text);
    let [Fact::ImdsToken(t)] = facts.as_slice() else {
        panic!("{facts:?}")
    };
    assert_eq!(
        t.client_id.as_deref(),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(t.claims.as_ref().and_then(|c| c.oid.as_deref()), Some("o1"));
}

#[test]
fn an_invoke_webrequest_result() {
    let text = "StatusCode        : 200\n\
StatusDescription : OK\n\
Content           : {\"access_token\":\"eyJ0eXAiOiJKV1QifQ.eyJvaWQiOiJvMSJ9.c2ln\",\"client_id\":\"c1\",\"token_type\":\"Bearer\"}\n\
RawContent        : HTTP/1.1 200 OK\n\
                    Content-Type: application/json\n";
    let facts = read(text);
    let [Fact::ImdsToken(t)] = facts.as_slice() else {
        panic!("{facts:?}")
    };
    assert_eq!((t.status, t.client_id.as_deref()), (Some(200), Some("c1")));
}

#[test]
fn a_storage_error_whose_tags_powershell_stripped() {
    let text = "Invoke-RestMethod : AuthorizationPermissionMismatchThis request is not authorized to perform this operation using this permission.\n\
RequestId:0f1e\n\
At line:1 char:1\n";
    let s = storage(text);
    assert_eq!(s.error_code.as_deref(), Some("AuthorizationPermissionMismatch"));
}

#[test]
fn a_dotnet_request_failed_exception() {
    let text = "Unhandled exception. Azure.RequestFailedException: This request is not authorized to perform this operation using this permission.\n\
RequestId:1a9d\n\
Status: 403 (This request is not authorized to perform this operation using this permission.)\n\
ErrorCode: AuthorizationPermissionMismatch\n\
\n\
Headers:\n\
x-ms-error-code: AuthorizationPermissionMismatch\n";
    let s = storage(text);
    assert_eq!(s.status, Some(403));
    assert_eq!(s.error_code.as_deref(), Some("AuthorizationPermissionMismatch"));
    assert!(s.message.as_deref().unwrap().starts_with("This request is not authorized"));
    assert!(!s.request_known, "response headers say nothing of the request");
}

#[test]
fn a_nodejs_print_of_a_storage_error_body() {
    let text = " body: {\n    Code: 'AuthenticationFailed',\n    Message: 'Server failed to authenticate the request.\\n' +\n      'RequestId:7386\\n',\n    AuthenticationErrorDetail: 'Authentication scheme Bearer is not supported in this version.'\n  }\n";
    let s = storage(text);
    assert_eq!(s.error_code.as_deref(), Some("AuthenticationFailed"));
    assert_eq!(
        s.auth_detail.as_deref(),
        Some("Authentication scheme Bearer is not supported in this version.")
    );
}

#[test]
fn a_storage_error_printed_with_log_prefixes_or_escaped_in_json() {
    let text = "[2024-10-16T09:57:46.895Z] <Error>\n[2024-10-16T09:57:46.896Z]   <Code>AuthenticationFailed</Code>\n[2024-10-16T09:57:46.896Z]   <AuthenticationErrorDetail>Authentication scheme Bearer is not allowed with HTTP.</AuthenticationErrorDetail>\n[2024-10-16T09:57:46.896Z] </Error>\n";
    assert_eq!(storage(text).error_code.as_deref(), Some("AuthenticationFailed"));
    let text = r#"["RestError:<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error><Code>AuthorizationFailure</Code><Message>This request is not authorized.\nRequestId:x</Message></Error>"]"#;
    assert_eq!(storage(text).error_code.as_deref(), Some("AuthorizationFailure"));
}

#[test]
fn source_code_holding_a_recorded_answer_is_not_output() {
    let text = "let nock = require('nock');\nnock('https://a.blob.core.windows.net:443').get('/').reply(403, \"<?xml version=\\\"1.0\\\"?><Error><Code>AuthorizationPermissionMismatch</Code></Error>\");\n";
    assert!(!looks_like_printed(text.as_bytes()));
    assert!(read_printed(text.as_bytes(), &Location::file("r.js")).is_empty());
}

#[test]
fn plain_text_is_not_a_printed_answer() {
    for text in ["hello world\n", "Name : value\n", "2024-05-01T10:00:00Z started\n"] {
        assert!(!looks_like_printed(text.as_bytes()), "{text}");
    }
}
