//! The one credential vocabulary: every shape of secret batchdiag knows, in
//! one table ([`PATTERNS`]), with the header names ([`SECRET_HEADERS`]) and
//! the literals every pattern needs ([`HINTS`]). The report filter of
//! `analyze`, the `redact` copier and `redact --check` all ask this module
//! and nothing else.
//!
//! [`redact_str`] replaces the secret part of a match and keeps the rest, so
//! that a URL still names its storage account and container; each pattern
//! has a kind ([`Pattern::kind`]) that `--check` names, never the value.

use std::borrow::Cow;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;

/// The replacement text for a removed secret.
pub const REDACTED: &str = "[REDACTED]";

/// One credential shape.
pub struct Pattern {
    /// What it finds, in words (`jwt`, `sas-signature`, ...), as `--check` reports it.
    pub kind: &'static str,
    /// Literals (any case) at least one of which every match contains: the
    /// pattern only runs on text that holds one.
    pub hints: &'static [&'static str],
    /// A literal (any case) every match holds as well as a hint: where one
    /// hint is common in text the pattern cannot match (`@` in binary
    /// bodies read as text), the pattern runs only when this one is there too.
    pub also: Option<&'static str>,
    source: String,
    // Compiled on first use: most texts hold the hints of few patterns, and
    // compiling all of them cost a small bundle most of its time (87 M
    // instructions per process, paid by every `analyze` of one bundle).
    re: OnceLock<Regex>,
    replace: Replace,
}

impl Pattern {
    fn re(&self) -> &Regex {
        self.re.get_or_init(|| {
            // The patterns are constants, each compiled by a test below.
            Regex::new(&self.source)
                .unwrap_or_else(|e| panic!("secret pattern {}: {e}", self.source))
        })
    }
}

/// How a match is rewritten.
enum Replace {
    /// A `$1`-style template.
    Template(&'static str),
    /// A function of the match; `None` keeps the match as it is.
    With(fn(&regex::Captures) -> Option<String>),
}

/// A JSON string's body (`"` and `\` escaped): what stands between the quotes.
const JSON_BODY: &str = r#"(?:[^"\\]|\\.)+"#;

/// A JSON string's body inside a JSON string (`\"` ends it, `\\\"` does not).
const JSON2_BODY: &str = r#"(?:[^"\\]|\\\\\\"|\\\\|\\[^"\\])+"#;

/// A value on a command line or in `name=value` text: quoted (whole, with
/// whatever it holds: `& ; , }`), escaped-quoted inside a JSON string, or a
/// bare word that stops before a JSON string's closing `\"`.
const WORD: &str = r#"(?:'[^'\n]*'|"(?:[^"\\\n]|\\.)*"|\\"(?:[^"\\]|\\[^"])*\\"|(?:[^\s"'\\\[]|\\[^"\s\\])(?:[^\s"'\\]|\\[^"\s\\])*)"#;

/// Names of fields whose value is a credential, whatever it looks like.
const FIELD_NAMES: &str = "access_?token|refresh_?token|id_?token|auth_?token|client_?secret|client-secret|password|passwd|flowtoken|secret|secrettext|signature|account_?key|storage_?key|access_?key|sharedaccesskey|primarykey|secondarykey|primarymasterkey|secondarymasterkey|primaryreadonlymasterkey|secondaryreadonlymasterkey|masterkey|key1|key2|[a-z]*sastoken|connectionstring|api_?key|private_?key|client_assertion|x-ms-token-[a-z-]+";

/// Header names (in text) whose value is a credential.
const HEADER_NAMES: &str = "(?:set-)?cookie|authorization|proxy-authorization|x-ms-authorization-auxiliary|x-ms-copy-source-authorization|ocp-apim-subscription-key|x-functions-key|x-ms-encryption-key|x-identity-header|x-api-key|api-key|aeg-sas-key|aeg-sas-token|x-csrf-token|x-xsrf-token|x-ms-token-[a-z-]+|[a-z0-9-]+-(?:key|token|secret|signature)";

/// Query and form parameters whose value is a credential (OAuth answers
/// and form posts included).
const PARAM_NAMES: &str = "sig|signature|access_token|refresh_token|id_token|token|client_secret|client_assertion|assertion|code|device_code|samlresponse|wresult|password|passwd|secret|api[-_]?key|subscription-key|x-ms-token|flowtoken|sas|sastoken";

/// The shapes, in the order they are applied.
pub static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let p =
        |kind: &'static str, hints: &'static [&'static str], re: &str, replace: Replace| Pattern {
            kind,
            hints,
            also: None,
            source: re.to_owned(),
            re: OnceLock::new(),
            replace,
        };
    use Replace::{Template as T, With as W};
    vec![
        // --- Shapes: the credential says what it is, whatever field holds it.
        p(
            "private-key",
            &["PRIVATE KEY"],
            r"(-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----)(?s:.*?)(-----END|\r?\n\z|\z)",
            T("$1[REDACTED]$2"),
        ),
        // JWTs. Sources: RFC 7519; gitleaks `config/gitleaks.toml` (`jwt`,
        // `jwt-base64`); detect-secrets `detect_secrets/plugins/jwt.py`;
        // microsoft/security-utilities `GeneratedRegexPatterns/
        // MediumConfidenceSecurityModels.json` (SEC101/528 `UnclassifiedJwt`:
        // a header of `{ "` or `{\n` starts `eyAi` or `ewog`).
        p(
            "jwt",
            &["eyJ"],
            r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*",
            T("[REDACTED:jwt]"),
        ),
        p(
            "jwt",
            &["eyAi", "ewog"],
            r"(?-u:\b)(?:eyAi|ewog)[A-Za-z0-9_=-]{20,}\.e[A-Za-z0-9_=-]{20,}\.[A-Za-z0-9_=-]{20,}",
            T("[REDACTED:jwt]"),
        ),
        // A JWT encoded once more in base64 (`eyJ` is `ZXlK`).
        p(
            "jwt-base64",
            &["ZXlK"],
            r"(^|[^A-Za-z0-9+/_-])ZXlK[A-Za-z0-9+/]{30,}={0,2}",
            T("$1[REDACTED:jwt]"),
        ),
        // Entra refresh tokens and authorization codes (opaque, not JWTs).
        // Sources: trufflehog `pkg/detectors/azure_entra/refreshtoken/
        // refreshtoken.go` (`[01]\.A[\w-]{50,}(\.\d)?\.Ag[\w-]{250,}...`,
        // which this looser rule covers: dots and dashes included).
        p(
            "entra-token",
            &["0.A", "1.A"],
            r"(?-u:\b)[01]\.A[A-Za-z0-9_*.-]{80,}",
            T("[REDACTED]"),
        ),
        // Microsoft account (MSA) tokens.
        p(
            "msa-token",
            &["EwA", "EwB", "EwC", "EwD"],
            r"(^|[^A-Za-z0-9+/_-])Ew[A-D][A-Za-z0-9+/_-]{100,}={0,2}",
            T("$1[REDACTED]"),
        ),
        // Entra client secrets: three characters, a digit, `Q~`. Sources:
        // gitleaks `azure-ad-client-secret`; trufflehog `pkg/detectors/
        // azure_entra/serviceprincipal/v2/spv2.go`; microsoft/security-utilities
        // `GeneratedRegexPatterns/PreciselyClassifiedSecurityKeys.json`
        // (SEC101/156, `7Q~`/`8Q~`). The three may hold `-` (both sources).
        // Hinted with the digit: `Q~` alone is in one random image of three.
        // `[0-9]`, not `\d`, which takes any Unicode digit, where the hints are ASCII.
        p(
            "entra-client-secret",
            &[
                "0Q~", "1Q~", "2Q~", "3Q~", "4Q~", "5Q~", "6Q~", "7Q~", "8Q~", "9Q~",
            ],
            r"(^|[^A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}",
            T("$1[REDACTED]"),
        ),
        // Azure's identifiable keys (the signature in the middle says whose).
        // Source for every rule of this group: microsoft/security-utilities
        // `GeneratedRegexPatterns/PreciselyClassifiedSecurityKeys.json` and
        // `src/Microsoft.Security.Utilities.Core/PreciselyClassifiedSecurityKeys/`
        // (SEC101/152-184, 199); cross-checked with trufflehog
        // `pkg/detectors/azurecontainerregistry`. 32-byte keys are 44
        // characters: 33, the signature, one of `[A-P]`, 5, `=`; 64-byte keys
        // are 88: 76, the signature, 5, one of `[AQgw]`, `==`.
        p(
            "azure-function-key",
            &["AzFu"],
            r"(^|[^A-Za-z0-9+/_-])[A-Za-z0-9_-]{44}AzFu[A-Za-z0-9_-]{5}[AQgw]==",
            T("$1[REDACTED]"),
        ),
        p(
            "azure-search-key",
            &["AzSe"],
            r"(^|[^A-Za-z0-9+/_-])[A-Za-z0-9]{42}AzSe[A-D][A-Za-z0-9]{5}",
            T("$1[REDACTED]"),
        ),
        p(
            "azure-redis-key",
            &["AzCa"],
            r"(^|[^A-Za-z0-9+/_-])[A-Za-z0-9+/]{33}AzCa[A-P][A-Za-z0-9+/]{5}=",
            T("$1[REDACTED]"),
        ),
        p(
            "azure-container-registry-key",
            &["+ACR"],
            r"(^|[^A-Za-z0-9+/_-])[A-Za-z0-9+/]{42}\+ACR[A-D][A-Za-z0-9+/]{5}",
            T("$1[REDACTED]"),
        ),
        p(
            "azure-apim-key",
            &["APIM"],
            r"(^|[^A-Za-z0-9+/_-])[A-Za-z0-9+/]{76}APIM[A-Za-z0-9+/]{5}[AQgw]==",
            T("$1[REDACTED]"),
        ),
        p(
            "azure-sas-key",
            &["+ASb", "+AEh", "+ARm", "AIoT", "AZEG"],
            r"(^|[^A-Za-z0-9+/_-])[A-Za-z0-9+/]{33}(?:\+ASb|\+AEh|\+ARm|AIoT|AZEG)[A-P][A-Za-z0-9+/]{5}=",
            T("$1[REDACTED]"),
        ),
        p(
            "azure-devops-pat",
            &["JQQJ9"],
            r"(^|[^A-Za-z0-9+/_-])[A-Za-z0-9]{52}JQQJ9[0-9][A-Za-z0-9][A-Za-z0-9]{17}AZDO[A-Za-z0-9]{4}",
            T("$1[REDACTED]"),
        ),
        // Every other "common annotated security key" (84 characters, or 88
        // in the long form): AI services, Azure OpenAI, Maps, App
        // Configuration, Event Grid... (`CommonAnnotatedKeyRegexPattern` in
        // `src/Microsoft.Security.Utilities.Core/IdentifiableSecrets.cs`).
        p(
            "azure-common-annotated-key",
            &["JQQJ9"],
            r"(^|[^A-Za-z0-9+/_-])[A-Za-z0-9]{52}JQQJ9[9DH][A-Za-z0-9][A-L][A-Za-z0-9]{16}[A-Za-z][A-Za-z0-9]{7}(?:[A-Za-z0-9]{2}==)?",
            T("$1[REDACTED]"),
        ),
        // 64-byte identifiable keys: Storage `+ASt`, Cosmos DB `ACDb`, Batch
        // `+ABa`, Machine Learning classic `+AMC` (the generic rule below
        // would take them too, as `storage-key`; this one names them).
        p(
            "azure-identifiable-key",
            &["+ASt", "ACDb", "+ABa", "+AMC"],
            r"(^|[^A-Za-z0-9+/_-])[A-Za-z0-9+/]{76}(?:\+ASt|ACDb|\+ABa|\+AMC)[A-Za-z0-9+/]{5}[AQgw]==",
            T("$1[REDACTED]"),
        ),
        // 64-byte keys (Storage, Batch, Cosmos DB), 88 base64 characters.
        // Sources: detect-secrets `detect_secrets/plugins/azure_storage_key.py`;
        // trufflehog `pkg/detectors/azure_storage`, `azure_batch`,
        // `azure_cosmosdb`; security-utilities SEC101/104, 106 (legacy keys).
        p(
            "storage-key",
            &["=="],
            r"(^|[^A-Za-z0-9+])[A-Za-z0-9+/]{86}==",
            T("$1[REDACTED]"),
        ),
        // Other services' tokens a start task or a script may carry. Sources:
        // gitleaks `config/gitleaks.toml` (each rule's id is named where it
        // differs from the kind); detect-secrets `detect_secrets/plugins/`
        // (`github_token.py`, `gitlab_token.py`, `npm.py`, `pypi_token.py`,
        // `slack.py`, `stripe.py`, `aws.py`, ...); trufflehog `pkg/detectors/`
        // (`dockerhub`, `nugetapikey`, `npmtokenv2`).
        p(
            "github-token",
            &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
            // GitHub allows these to grow to 255 (trufflehog `pkg/detectors/
            // github/v2/github.go`); the first 36 alone would leave a tail.
            r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{82,244})",
            T("[REDACTED]"),
        ),
        p(
            "gitlab-token",
            &[
                "glpat-", "gldt-", "glrt-", "glsoat-", "glft-", "glimt-", "glagent-", "gloas-",
                "glffct-", "glcbt-", "glptt-",
            ],
            // Routable tokens are longer and end `.xx1234567`: all of it goes.
            r"(?-u:\b)(?:(?:glpat|gldt|glrt|glsoat|glft|glimt|glagent|gloas|glffct)-[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{9})?|glcbt-(?:[0-9a-fA-F]{1,5}_)?[A-Za-z0-9_-]{20,50}|glptt-[A-Za-z0-9_-]{40})",
            T("[REDACTED]"),
        ),
        p(
            "aws-access-key-id",
            &["AKIA", "ASIA", "ABIA", "ACCA"],
            r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?-u:\b)",
            T("[REDACTED]"),
        ),
        p(
            "google-api-key",
            &["AIza"],
            r"AIza[0-9A-Za-z_-]{35}",
            T("[REDACTED]"),
        ),
        p(
            "slack-token",
            &["xox"],
            r"(?-u:\b)xox[abposr]-[0-9A-Za-z-]{10,}",
            T("[REDACTED]"),
        ),
        p(
            "slack-webhook",
            &["hooks.slack.com"],
            r"(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9+/]+",
            T("$1[REDACTED]"),
        ),
        p(
            "stripe-key",
            &["_live_", "_test_", "_prod_"],
            r"(?-u:\b)(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{24,}",
            T("[REDACTED]"),
        ),
        p(
            "npm-token",
            &["npm_"],
            r"(?-u:\b)npm_[A-Za-z0-9]{36}",
            T("[REDACTED]"),
        ),
        p(
            "docker-hub-token",
            &["dckr_pat_", "dckr_oat_"],
            r"(?-u:\b)(?:dckr_pat_[A-Za-z0-9_-]{27}|dckr_oat_[A-Za-z0-9_-]{32})",
            T("[REDACTED]"),
        ),
        // security-utilities SEC101/031 `NuGetApiKey`.
        p(
            "nuget-api-key",
            &["oy2"],
            r"(?i)(?-u:\b)oy2[a-z2-7]{43}(?-u:\b)",
            T("[REDACTED]"),
        ),
        // security-utilities SEC101/055 `Pkcs12CertificatePrivateKeyBundle`:
        // a PFX in base64 wherever it stands, not only under a `data` field.
        p(
            "pkcs12-certificate",
            &["IBAzCC"],
            r"MI[I-L][0-9A-Za-z/+]{2}[AQgw]IBAzCC[A-Za-z0-9+/]*={0,2}",
            T("[REDACTED]"),
        ),
        p(
            "pypi-token",
            &["pypi-AgEI"],
            r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
            T("[REDACTED]"),
        ),
        p(
            "openai-key",
            &["T3BlbkFJ"],
            r"sk-[A-Za-z0-9_-]{10,}T3BlbkFJ[A-Za-z0-9_-]{20,}",
            T("[REDACTED]"),
        ),
        p(
            "anthropic-key",
            &["sk-ant-"],
            r"sk-ant-[a-z]+\d\d-[A-Za-z0-9_-]{80,}",
            T("[REDACTED]"),
        ),
        p(
            "sendgrid-key",
            &["SG."],
            r"(?-u:\b)SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
            T("[REDACTED]"),
        ),
        p(
            "vault-token",
            &["hvs.", "hvb."],
            r"(?-u:\b)hv[sb]\.[A-Za-z0-9_-]{90,}",
            T("[REDACTED]"),
        ),
        p(
            "databricks-token",
            &["dapi"],
            r"(?-u:\b)dapi[a-f0-9]{32}(?:-\d)?",
            T("[REDACTED]"),
        ),
        p(
            "huggingface-token",
            &["hf_"],
            r"(?-u:\b)hf_[A-Za-z]{34}(?-u:\b)",
            T("[REDACTED]"),
        ),
        p(
            "shopify-token",
            &["shpat_", "shpca_", "shppa_", "shpss_"],
            r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
            T("[REDACTED]"),
        ),
        p(
            "digitalocean-token",
            &["_v1_"],
            r"(?-u:\b)do[por]_v1_[a-f0-9]{64}",
            T("[REDACTED]"),
        ),
        p(
            "atlassian-token",
            &["ATATT3"],
            r"ATATT3[A-Za-z0-9_=-]{180,}",
            T("[REDACTED]"),
        ),
        p(
            "postman-key",
            &["PMAK-"],
            r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",
            T("[REDACTED]"),
        ),
        p(
            "grafana-token",
            &["glsa_", "glc_"],
            r"(?-u:\b)(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2})",
            T("[REDACTED]"),
        ),
        p(
            "newrelic-key",
            &["NRAK-"],
            r"NRAK-[A-Z0-9]{27}",
            T("[REDACTED]"),
        ),
        p(
            "telegram-bot-token",
            &[":AA"],
            r"(?-u:\b)\d{8,10}:AA[0-9A-Za-z_-]{32,33}",
            T("[REDACTED]"),
        ),
        // URL userinfo, always: `https://user:password@host`, `https://TOKEN@github.com`.
        // Every match holds `:/` as well as `@` (an `@` alone, as in an
        // image read as text or an e-mail address, is no URL).
        Pattern {
            also: Some(":/"),
            ..p(
                "url-userinfo",
                &["@"],
                // One slash too: a URL kept in a path (a member name) loses one
                // of its two (`logs/https:/user:pw@host/...`).
                r#"(?i)((?-u:\b)[a-z][a-z0-9+.-]{1,15}:/{1,2})[^/\s@?#"'<>\\\[][^/\s@?#"'<>\\]*@"#,
                T("$1[REDACTED]@"),
            )
        },
        // --- Context: the place says it is a credential.
        // Authorization schemes followed by a credential.
        p(
            "authorization-credential",
            &[
                "bearer",
                "basic",
                "sharedkey",
                "sharedaccesssignature",
                "pop",
            ],
            r"(?i)(?-u:\b)(bearer|basic|sharedkey|sharedkeylite|sharedaccesssignature|pop)(\s+)[A-Za-z0-9._~+/=:%-]{20,}",
            T("$1$2[REDACTED]"),
        ),
        // Secret query parameters in URLs and form bodies (SAS `sig` above
        // all), and a bare query string (a SAS token saved on its own).
        p(
            "secret-query-parameter",
            &[
                "sig",
                "signature",
                "token",
                "secret",
                "code",
                "password",
                "passwd",
                "key",
                "assertion",
                "samlresponse",
                "wresult",
                "sas",
            ],
            &format!(r"(?i)((?:^|[?&;/#])(?:{PARAM_NAMES})=)[^&#\s\x22'<>\\\[][^&#\s\x22'<>\\]*"),
            T("$1[REDACTED]"),
        ),
        // A SAS signature wherever it stands: after any separator (a space,
        // `\u0026` as JSON encoders write `&`, `&amp;`, `SharedAccessSignature=`)
        // and with its name percent-encoded once or twice (`%73ig=`, `sig%3D`, `sig%253D`).
        p(
            "sas-signature",
            &["sig", "%73", "%69", "%67"],
            r"(?i)((?:^|[^A-Za-z0-9_%]|\\u0026|%26|%2526)(?:s|%73)(?:i|%69)(?:g|%67)(?:=|%3D|%253D))[^&#\s\x22'<>\\\[][^&#\s\x22'<>\\%]*",
            T("$1[REDACTED]"),
        ),
        // Keys listed as JSON values (`listKeys`, Batch account keys,
        // function host keys): padded base64 under a key-like name. Padding
        // is required, so a path (`FilePath`'s value) is never taken for one.
        p(
            "storage-key",
            &["value", "primary", "secondary", "key"],
            r#"(?i)((?:\\?")(?:value|primary|secondary|key|primaryKey|secondaryKey)(?:\\?")\s*:\s*(?:\\?"))[A-Za-z0-9+/_-]{38,}={1,2}"#,
            T("$1[REDACTED]"),
        ),
        // Storage quotes the request's own signature when it does not match.
        p(
            "quoted-signature",
            &["signature found"],
            r"(?i)(signature found in the HTTP request ')[^'\[][^']*",
            T("$1[REDACTED]"),
        ),
        // ARM parameters: `"adminPassword": {"value": "..."}`, any `*Password`,
        // `*Key`, `*Secret`, `*Token` (a public key excepted).
        p(
            "arm-secret-parameter",
            &["password", "key", "secret", "token", "pwd"],
            &format!(
                r#"(?i)("([A-Za-z0-9_]*(?:password|key|secret|token|pwd))"\s*:\s*\{{\s*(?:"type"\s*:\s*"[^"]*"\s*,\s*)?"value"\s*:\s*")({JSON_BODY})"#
            ),
            W(arm_parameter),
        ),
        // Key Vault secret values as `GET .../secrets/...` answers them.
        p(
            "key-vault-secret",
            &[
                "vault.azure.",
                "vault.usgovcloudapi.",
                "vault.azure.cn",
                "vault.microsoftazure.de",
            ],
            &format!(
                r#"(?s)("value"\s*:\s*")({JSON_BODY})(.*?/secrets/)|(/secrets/.*?"value"\s*:\s*")({JSON_BODY})"#
            ),
            W(key_vault_value),
        ),
        // Lists whose every value is a credential or unknown: task and pool
        // environment settings, function and system keys.
        p(
            "environment-setting",
            &["environmentsettings"],
            r#"(?i)("environmentSettings"\s*:\s*\[)((?:[^\]"]|"(?:[^"\\]|\\.)*")*)"#,
            W(blank_values),
        ),
        p(
            "function-key",
            &["functionkeys", "systemkeys"],
            r#"(?i)("(?:functionKeys|systemKeys)"\s*:\s*\{)((?:[^}"]|"(?:[^"\\]|\\.)*")*)"#,
            W(blank_values),
        ),
        // Certificate bodies (PFX and DER are base64 that starts `MII`).
        p(
            "certificate-data",
            &["MII"],
            r#"(?i)("(?:data|certificateData|pfxData|pfx|certificate|value)"\s*:\s*")MII[A-Za-z0-9+/=\\]{60,}"#,
            T("$1[REDACTED]"),
        ),
        // A registry login as Docker stores it (`~/.docker/config.json`,
        // `{"auths": {"reg": {"auth": "base64(user:password)"}}}`). Source:
        // trufflehog `pkg/detectors/docker/docker.go`.
        p(
            "docker-config-auth",
            &["\"auth\"", "auth\\\""],
            r#"((?:\\?")auth(?:\\?")\s*:\s*(?:\\?"))[A-Za-z0-9+/]{8,}={0,2}"#,
            T("$1[REDACTED]"),
        ),
        // A NuGet feed's password in `nuget.config`. Source: gitleaks
        // `nuget-config-password`.
        p(
            "nuget-config-password",
            &["<add"],
            r#"(?i)(<add\s+key=\\?"(?:ClearText)?Password\\?"\s+value=\\?")[^"\\]+"#,
            T("$1[REDACTED]"),
        ),
        // Token and key fields in JSON: the whole string, whatever it holds.
        p(
            "secret-field",
            &[
                "token",
                "secret",
                "passw",
                "signature",
                "key",
                "connectionstring",
            ],
            &format!(
                r#"(?i)((?:^|[^A-Za-z0-9.-])[A-Za-z0-9_]*(?:{FIELD_NAMES})"\s*:\s*")({JSON_BODY})"#
            ),
            W(keep_stand_ins),
        ),
        // The same inside a JSON string (`{\"password\":\"...\"}`).
        p(
            "secret-field",
            &[
                "token",
                "secret",
                "passw",
                "signature",
                "key",
                "connectionstring",
            ],
            &format!(
                r#"(?i)((?:^|[^A-Za-z0-9.-])[A-Za-z0-9_]*(?:{FIELD_NAMES})\\"\s*:\s*\\")({JSON2_BODY})"#
            ),
            W(keep_stand_ins),
        ),
        // And in `name=value`, `name: value`, `{'name': 'value'}` text.
        p(
            "secret-field",
            &[
                "token",
                "secret",
                "passw",
                "signature",
                "key",
                "connectionstring",
            ],
            r#"(?i)((?:^|[^A-Za-z0-9.-])[A-Za-z0-9_]*(?:access_?token|refresh_?token|id_?token|auth_?token|client_?secret|client-secret|password|passwd|flowtoken|secret|secrettext|signature|account_?key|storage_?key|access_?key|sharedaccesskey|primarykey|secondarykey|primarymasterkey|masterkey|key1|key2|[a-z]*sastoken|api_?key|private_?key|x-ms-token-[a-z-]+)(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)([^"'\\&\s,;}\[{][^"'\\&\s,;}]{3,})"#,
            W(keep_stand_ins),
        ),
        // Connection strings' passwords (`Server=...;Pwd=...;`).
        p(
            "connection-string-password",
            &["pwd"],
            r"(?i)((?:^|;)\s*pwd\s*=\s*)[^;\x22'\s\[][^;\x22']*",
            T("$1[REDACTED]"),
        ),
        // A SAS signature as a quoted key (`{'sig': '...'}`, `"sig": "..."`).
        p(
            "sas-signature",
            &["sig"],
            r#"(?i)((?:\\?["'])sig(?:\\?["'])\s*:\s*(?:\\?["']))[^"'\\\[][^"'\\]*"#,
            T("$1[REDACTED]"),
        ),
        // Environment variables that hold credentials (`export X_TOKEN=...`,
        // `IDENTITY_HEADER=`, `AZ_BATCH_AUTHENTICATION_TOKEN=`, `$env:X_KEY = `).
        p(
            "environment-credential",
            &[
                "token",
                "secret",
                "passw",
                "_pwd",
                "_key",
                "apikey",
                "accesskey",
                "_sas",
                "identity_header",
                "credential",
                "connection_string",
            ],
            &format!(
                r"(?i)((?:^|[^A-Za-z0-9_])(?:[A-Za-z_][A-Za-z0-9_]*)?(?:TOKEN|SECRET|PASSWORD|PASSWD|_PWD|_KEY|APIKEY|ACCESSKEY|_SAS|IDENTITY_HEADER|CREDENTIALS?|CONNECTION_STRING)\s*=\s*)({WORD})"
            ),
            W(keep_stand_ins),
        ),
        // Credentials given to command-line tools by long flags (hinted
        // with each flag's first letter: `--` alone is in CSS and in one
        // random image of six). The flags fold ASCII case only (`-u`):
        // Unicode folding takes `--ſecret`, which no hint holds.
        p(
            "command-line-credential",
            &["--a", "--c", "--o", "--p", "--r", "--s", "--t", "--u"],
            &format!(
                r"(?i)((?:^|\s)(?-u:--account-key|--password|--client-secret|--sas-token|--connection-string|--secret|--token|--access-token|--refresh-token|--api-key|--oauth2-bearer|--cookie|--pat|--personal-access-token|--registry-password|--admin-password|--auth-token|--user)(?:\s+|=))({WORD})"
            ),
            W(keep_stand_ins),
        ),
        // ... and by the short flags of the tools that use them for one:
        // `mysql -pPW`, `sqlcmd -P PW`, `az login -p PW`, `docker login -p PW`,
        // `sshpass -p PW`, `redis-cli -a PW`, `curl -u user:PW`, `curl -b COOKIE`,
        // `az keyvault secret set --value PW`. Elsewhere (`mkdir -p /mnt/x`)
        // a short flag is only a flag.
        p(
            "command-line-credential",
            &[
                "mysql",
                "mariadb",
                "sqlcmd",
                "bcp",
                "login",
                "sshpass",
                "redis-cli",
                "curl",
                "keyvault",
            ],
            r#"((?:^|[\s;&|('"`/\\])(?i:mysql|mysqldump|mysqladmin|mariadb|sqlcmd|bcp|az(?:\.cmd)?\s+login|docker\s+login|podman\s+login|oras\s+login|helm\s+registry\s+login|sshpass|redis-cli|curl|az\s+keyvault\s+secret\s+set)(?:\.exe)?)(\s(?:[^\n|\\]|\\[^"])*)"#,
            W(tool_flags),
        ),
        // Header lines that carry credentials (also as JSON or Python dicts).
        // A value opening an object is not one: an Activity Log event's
        // `"authorization": {"action", "scope"}` names who may, not a secret.
        p(
            "credential-header",
            &[
                "cookie",
                "authorization",
                "-key",
                "-token",
                "-secret",
                "-signature",
                "x-identity",
                "api-key",
            ],
            &format!(
                r#"(?i)((?:^|[\s"'{{,;(\[])(?:{HEADER_NAMES})(?:\\?["'])?\s*:\s*(?:\\?["'])?)((?:[^\s"'\\\[{{]|\\[^"'\\])(?:[^\r\n"'\\]|\\[^"'\\])*)"#
            ),
            W(keep_stand_ins),
        ),
        // Sign-in cookies wherever they are printed.
        p(
            "sign-in-cookie",
            &[
                "estsauth",
                "refreshtokencredential",
                "signinstatecookie",
                ".aspnetcore.",
                "esctx",
            ],
            r#"(?i)((?:^|[\s;"',])(?:ESTSAUTH[A-Z]*|x-ms-RefreshTokenCredential\d*|SignInStateCookie|\.AspNetCore\.[A-Za-z0-9.]+|esctx[A-Za-z0-9-]*)=)[^;\s"'\\\[][^;\s"'\\]*"#,
            T("$1[REDACTED]"),
        ),
    ]
});

/// A tool's command line: the values of the flags that tool takes a
/// credential by (the flag letters differ: `-p` is mysql's password and
/// sqlcmd's `-P`), all of them, whatever stands between.
fn tool_flags(caps: &regex::Captures) -> Option<String> {
    static FLAGS: LazyLock<Vec<(&str, Regex)>> = LazyLock::new(|| {
        [
            ("mysql", r"-p\s*"),
            ("mariadb", r"-p\s*"),
            ("sqlcmd", r"-P\s*"),
            ("bcp", r"-P\s*"),
            ("login", r"-p\s*"),
            ("sshpass", r"-p\s*"),
            ("redis-cli", r"-a\s*"),
            ("curl", r"(?:-u|-b|--user|--cookie)(?:\s+|=)?"),
            ("keyvault", r"--value(?:\s+|=)"),
        ]
        .into_iter()
        .map(|(tool, flag)| {
            let re = format!(r"(\s{flag})({WORD})");
            (tool, Regex::new(&re).expect("constant"))
        })
        .collect()
    });
    let tool = caps.get(1)?.as_str().to_ascii_lowercase();
    let args = caps.get(2)?.as_str();
    let flags = &FLAGS.iter().find(|(t, _)| tool.contains(t))?.1;
    let mut changed = false;
    let out = flags.replace_all(args, |c: &regex::Captures| match keep_stand_ins(c) {
        Some(r) => {
            changed = true;
            r
        }
        None => c.get(0).map_or("", |m| m.as_str()).to_string(),
    });
    changed.then(|| format!("{}{out}", caps.get(1).map_or("", |m| m.as_str())))
}

/// The pattern's last group is the credential; the rest is kept. A
/// stand-in (`$TOKEN`, `<secret>`) or a word that is no value (`true`)
/// stays as it is and is no finding.
fn keep_stand_ins(caps: &regex::Captures) -> Option<String> {
    let whole = caps.get(0)?;
    let last = (1..caps.len()).rev().find_map(|i| caps.get(i))?;
    let value = last.as_str();
    let bare = value.trim_matches(['"', '\'', '\\']);
    if is_placeholder(bare) || is_no_value(bare) {
        return None;
    }
    let h = whole.as_str();
    let (s, e) = (last.start() - whole.start(), last.end() - whole.start());
    // A quoted value keeps its quotes, so the text around it stays valid.
    let quote_len = value.len() - value.trim_start_matches(['"', '\'', '\\']).len();
    let tail_len = value.len() - value.trim_end_matches(['"', '\'', '\\']).len();
    let (qs, qe) = if value.len() >= quote_len + tail_len && quote_len > 0 {
        (quote_len, tail_len)
    } else {
        (0, 0)
    };
    Some(format!(
        "{}{}{REDACTED}{}{}",
        &h[..s],
        &value[..qs],
        &value[value.len() - qe..],
        &h[e..]
    ))
}

fn arm_parameter(caps: &regex::Captures) -> Option<String> {
    let name = caps.get(2)?.as_str().to_ascii_lowercase();
    if name.contains("public") || name.ends_with("keyvault") {
        return None;
    }
    keep_stand_ins(caps)
}

/// A Key Vault answer: the `"value"` before or after the `/secrets/` id.
fn key_vault_value(caps: &regex::Captures) -> Option<String> {
    let whole = caps.get(0)?;
    let value = caps.get(2).or_else(|| caps.get(5))?;
    if is_placeholder(value.as_str()) {
        return None;
    }
    let h = whole.as_str();
    Some(format!(
        "{}{REDACTED}{}",
        &h[..value.start() - whole.start()],
        &h[value.end() - whole.start()..]
    ))
}

/// Every string after a `"value":` in the list or object: blanked.
fn blank_values(caps: &regex::Captures) -> Option<String> {
    static VALUE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)((?:"value"|"[^"]*")\s*:\s*")((?:[^"\\]|\\.)+)"#).expect("constant")
    });
    let open = caps.get(1)?.as_str();
    let body = caps.get(2)?.as_str();
    let names_kept = open.to_ascii_lowercase().contains("environmentsettings");
    let mut changed = false;
    let out = VALUE.replace_all(body, |c: &regex::Captures| {
        let whole = c.get(0).map_or("", |m| m.as_str());
        let key = c.get(1).map_or("", |m| m.as_str());
        // In environment settings only values go; names stay.
        let is_name = names_kept && !key.to_ascii_lowercase().starts_with("\"value\"");
        let value = c.get(2).map_or("", |m| m.as_str());
        if is_name || is_placeholder(value) || value == REDACTED {
            whole.to_string()
        } else {
            changed = true;
            format!("{key}{REDACTED}")
        }
    });
    changed.then(|| format!("{open}{out}"))
}

/// Words that stand where a value would but are none.
fn is_no_value(v: &str) -> bool {
    v.is_empty()
        || v == REDACTED
        || v.starts_with("[REDACTED")
        || ["true", "false", "null", "none", "undefined", "required", "optional", "securestring", "string"]
            .iter()
            .any(|w| v.eq_ignore_ascii_case(w))
        // CSS pseudo-classes and rules (`.fa-key:before{content:...}`).
        || ["before", "after", "hover", "focus", "active", "not(", "nth-", "first-", "last-"]
            .iter()
            .any(|w| v.len() >= w.len() && v[..w.len()].eq_ignore_ascii_case(w))
            && v.contains(['{', ',', ':'])
}

/// Returns `s` with every secret replaced; borrows when there was none.
pub fn redact_str(s: &str) -> Cow<'_, str> {
    redact_noting(s, &mut |_| {})
}

/// The patterns whose hints occur in `s`, as a bit set.
fn candidates(s: &str) -> u128 {
    candidates_in(s.as_bytes())
}

/// The patterns whose hints occur in `bytes` (text or not), as a bit set.
/// Every hint is ASCII, so bytes that are not UTF-8 hold the same hints
/// as their lossy text (`String::from_utf8_lossy` only replaces bytes of
/// 0x80 and above).
pub(crate) fn candidates_in(bytes: &[u8]) -> u128 {
    let (mut set, mut also) = (0u128, 0u128);
    for m in HINTS.find_overlapping_iter(bytes) {
        let (hint, other) = HINT_PATTERNS[m.pattern().as_usize()];
        set |= hint;
        also |= other;
    }
    set & (also | !*NEEDS_ALSO)
}

/// [`redact_str`], telling `found` the kind of each secret replaced.
pub fn redact_noting<'s>(s: &'s str, found: &mut dyn FnMut(&'static str)) -> Cow<'s, str> {
    // Most text holds nothing: one literal search decides that first, and
    // which patterns can match at all.
    let set = candidates(s);
    if set == 0 {
        return Cow::Borrowed(s);
    }
    redact_among(s, set, found)
}

/// [`redact_noting`] with the candidate patterns already known (`set`, as
/// [`candidates_in`] finds them in `s`).
pub(crate) fn redact_among<'s>(
    s: &'s str,
    set: u128,
    found: &mut dyn FnMut(&'static str),
) -> Cow<'s, str> {
    let mut out = Cow::Borrowed(s);
    for (i, p) in PATTERNS.iter().enumerate() {
        if set & (1 << i) == 0 || !p.re().is_match(&out) {
            continue;
        }
        let replaced = p.re().replace_all(&out, |caps: &regex::Captures| {
            let whole = caps.get(0).map_or("", |m| m.as_str());
            let new = match &p.replace {
                Replace::Template(t) if !is_placeholder(credential_part(caps)) => {
                    let mut r = String::new();
                    caps.expand(t, &mut r);
                    Some(r)
                }
                Replace::Template(_) => None,
                Replace::With(f) => f(caps),
            };
            match new {
                Some(r) if r != whole => {
                    found(p.kind);
                    r
                }
                _ => whole.to_string(),
            }
        });
        if let Cow::Owned(o) = replaced {
            out = Cow::Owned(o);
        }
    }
    out
}

/// What a match holds after its captured prefix (the header or parameter
/// name): the credential itself.
fn credential_part<'h>(caps: &regex::Captures<'h>) -> &'h str {
    let Some(whole) = caps.get(0) else { return "" };
    let prefix_end = caps
        .iter()
        .skip(1)
        .flatten()
        .filter(|m| m.start() == whole.start())
        .map(|m| m.end())
        .max()
        .unwrap_or(whole.start());
    &whole.as_str()[prefix_end - whole.start()..]
}

/// A stand-in rather than a credential: a shell variable or command
/// (`Bearer $token`, `$(az ...)`, `%TOKEN%`), a `<placeholder>`, `{{var}}`,
/// or, after an authorization scheme, a plain lowercase word of prose
/// ("Authorization: Bearer answers 403"). Fix commands and explanations keep them.
fn is_placeholder(credential: &str) -> bool {
    let v = credential.trim().trim_matches(['"', '\'', '\\']);
    let (schemed, rest) = match v.split_once(char::is_whitespace) {
        Some((scheme, rest))
            if ["bearer", "basic", "sharedkey", "pop"]
                .iter()
                .any(|s| scheme.eq_ignore_ascii_case(s)) =>
        {
            (true, rest.trim_start())
        }
        _ => (false, v),
    };
    let word = rest
        .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .next()
        .unwrap_or("")
        .trim_end_matches(['\\', ';', ',']);
    let variable = word.strip_prefix('$').is_some_and(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_{}():-".contains(c))
    });
    let windows_variable = word.len() > 2
        && word.starts_with('%')
        && word.ends_with('%')
        && word[1..word.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let bracketed = word.starts_with('<') && rest.contains('>');
    let templated =
        word.starts_with("{{") || word.starts_with("[parameters(") || word.starts_with("[REDACTED");
    let masked = word.len() >= 3 && word.chars().all(|c| c == '*' || c == 'x' || c == 'X');
    let prose =
        schemed && (1..=12).contains(&word.len()) && word.chars().all(|c| c.is_ascii_lowercase());
    variable || windows_variable || bracketed || templated || masked || prose
}

/// [`redact_noting`] over a path (an archive member name, an input's
/// virtual path) and then over each of its segments: a token can be a
/// whole directory name, and shapes that must not match inside a longer
/// base64 run never match after a `/`.
pub fn redact_path_noting<'s>(s: &'s str, found: &mut dyn FnMut(&'static str)) -> Cow<'s, str> {
    // A segment is a part of the whole: when the whole holds no hint, no
    // segment does, and most report strings hold none.
    if candidates(s) == 0 {
        return Cow::Borrowed(s);
    }
    let whole = redact_noting(s, found);
    if !whole.contains(['/', '\\', '!']) {
        return whole;
    }
    let mut out = String::with_capacity(whole.len());
    let mut changed = false;
    let mut rest: &str = &whole;
    while !rest.is_empty() {
        let end = rest.find(['/', '\\', '!']).unwrap_or(rest.len());
        let clean = redact_noting(&rest[..end], found);
        changed |= matches!(clean, Cow::Owned(_));
        out.push_str(&clean);
        if end < rest.len() {
            out.push_str(&rest[end..end + 1]);
            rest = &rest[end + 1..];
        } else {
            rest = "";
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        whole
    }
}

/// True when `s` holds anything [`redact_str`] would remove.
pub fn contains_secret(s: &str) -> bool {
    if candidates(s) == 0 {
        return false;
    }
    let mut any = false;
    let _ = redact_noting(s, &mut |_| any = true);
    any
}

/// Headers whose value is a credential whatever it looks like.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-ms-authorization-auxiliary",
    "x-ms-copy-source-authorization",
    "ocp-apim-subscription-key",
    "x-functions-key",
    "x-ms-encryption-key",
    "x-identity-header",
    "x-csrf-token",
    "x-xsrf-token",
    "x-api-key",
    "aeg-sas-key",
    "aeg-sas-token",
];

/// Whether a header (any case) carries a credential: the list above, and
/// the families `x-ms-token-*`, `*api-key*`, `*-secret`, `*-key`, `*-token`.
pub fn secret_header(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    SECRET_HEADERS.contains(&n.as_str())
        || n.starts_with("x-ms-token")
        || n.contains("api-key")
        || n.ends_with("-secret")
        || n.ends_with("-key")
        || n.ends_with("-token")
}

/// Whether a `name=value` pair (a query parameter, a form field) is a
/// credential, by asking the same patterns about `?name=value`.
pub fn secret_pair(name: &str, value: &str) -> bool {
    !value.is_empty()
        && value != REDACTED
        && !is_placeholder(value)
        && (secret_header(name) || contains_secret(&format!("?{name}={value}")))
}

/// Every pattern's hints in one automaton (any case): text without any of
/// them holds no secret this vocabulary knows, so no pattern runs on it.
pub static HINTS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    // A DFA: every string of every copied entry is scanned for all hints
    // (overlapping), and a DFA takes one table step a byte where the
    // default NFA takes several (the scan was a fifth of `redact`'s time).
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(
            PATTERNS
                .iter()
                .flat_map(|p| p.hints.iter().copied())
                .chain(PATTERNS.iter().filter_map(|p| p.also)),
        )
        .expect("constant literals")
});

/// For each literal of [`HINTS`], the patterns it is a hint of, and those
/// it is the [`Pattern::also`] of.
static HINT_PATTERNS: LazyLock<Vec<(u128, u128)>> = LazyLock::new(|| {
    assert!(PATTERNS.len() <= 128, "the candidate set is a u128");
    let bit = |i: usize| 1u128 << i;
    let hints = PATTERNS
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.hints.iter().map(move |_| (bit(i), 0)));
    let also = PATTERNS
        .iter()
        .enumerate()
        .filter(|(_, p)| p.also.is_some())
        .map(|(i, _)| (0, bit(i)));
    hints.chain(also).collect()
});

/// The patterns that need their [`Pattern::also`] literal.
static NEEDS_ALSO: LazyLock<u128> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .enumerate()
        .filter(|(_, p)| p.also.is_some())
        .fold(0, |set, (i, _)| set | 1u128 << i)
});

#[cfg(test)]
mod path_tests {
    use super::*;

    #[test]
    fn a_token_as_a_path_segment_is_removed() {
        let token = format!("EwBwA{}", "b".repeat(200));
        let path = format!("b.tar!/logs/{token}/a.log");
        let clean = redact_path_noting(&path, &mut |_| {});
        assert!(!clean.contains(&token), "{clean}");
        assert!(clean.starts_with("b.tar!/logs/") && clean.ends_with("/a.log"));
        assert!(matches!(
            redact_path_noting("p/n/agent-debug.log", &mut |_| {}),
            Cow::Borrowed(_)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ";

    #[test]
    fn every_pattern_compiles() {
        // Patterns compile on first use; a broken one must fail here, not
        // on the first bundle that holds its hint.
        for p in PATTERNS.iter() {
            let _ = p.re();
        }
    }

    #[test]
    fn removes_every_kind() {
        let cases = [
            (format!("Authorization: Bearer {JWT}"), "canary"),
            (format!("token {JWT} end"), "c2lnbmF0dXJl"),
            ("https://sa.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sp=r&sig=SIGCANARY%2B%3D".into(), "SIGCANARY"),
            (r#"{"access_token":"TOKCANARY","client_id":"c"}"#.into(), "TOKCANARY"),
            (r#"{\"refresh_token\":\"TOKCANARY2\"}"#.into(), "TOKCANARY2"),
            ("DefaultEndpointsProtocol=https;AccountName=sa;AccountKey=KEYCANARY==;EndpointSuffix=x".into(), "KEYCANARY"),
            ("Cookie: portalSession=COOKIECANARY; other=1".into(), "COOKIECANARY"),
            ("authorization: SharedKey sa:SKCANARY123=".into(), "SKCANARY"),
            ("grant_type=x&client_secret=CSCANARY&scope=y".into(), "CSCANARY"),
            ("sig=BARECANARY%3D&se=2030-01-01".into(), "BARECANARY"),
            ("https://sa.blob.core.windows.net/c?sv=1&%73ig=PCTCANARY1".into(), "PCTCANARY1"),
            ("https://sa.blob.core.windows.net/c?sv=1&s%69g=PCTCANARY2".into(), "PCTCANARY2"),
            ("u=https%3A%2F%2Fsa%2Fc%3Fsv%3D1%26sig%3DNESTCANARY%26se%3D2".into(), "NESTCANARY"),
            (r#"{"url":"https://sa/c?sv=1\u0026sig=UCANARY\u0026se=2"}"#.into(), "UCANARY"),
            ("BlobEndpoint=https://sa/;SharedAccessSignature=sv=1&sig=CSSASCANARY".into(), "CSSASCANARY"),
            ("the token sig=SPACECANARY was refused".into(), "SPACECANARY"),
            ("x-ms-encryption-key: EKCANARYbase64==".into(), "EKCANARY"),
            ("X-IDENTITY-HEADER: IHCANARY0123".into(), "IHCANARY"),
            ("login=a&passwd=PWCANARY&flowToken=FTCANARY".into(), "PWCANARY"),
            ("export AZURE_STORAGE_KEY=SKEYCANARY==".into(), "SKEYCANARY"),
            ("{'sig': 'DICTCANARY', 'client_secret': 'DICTCANARY2'}".into(), "DICTCANARY"),
            ("az storage blob list --account-name sa --account-key CLIKEYCANARY==".into(), "CLIKEYCANARY"),
            ("az login --service-principal -u app -p CLIPWCANARY --tenant t".into(), "CLIPWCANARY"),
            ("curl -u admin:CURLCANARY https://x".into(), "CURLCANARY"),
            ("https://portal.azure.com/#code=0.AXoAFRAGCANARY&state=1".into(), "FRAGCANARY"),
            ("logs/token=PATHCANARY/agent-debug.log".into(), "PATHCANARY"),
            ("Signature: DETAILCANARY".into(), "DETAILCANARY"),
            ("The MAC signature found in the HTTP request 'MACCANARYZm9v' is not the same as any computed signature.".into(), "MACCANARY"),
            (r#"{"keyName": "key1", "value": "LKCANARYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}"#.into(), "LKCANARY"),
            (r#"{"primary": "BKCANARYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}"#.into(), "BKCANARY"),
        ];
        for (input, canary) in cases {
            let out = redact_str(&input);
            assert!(!out.contains(canary), "{input} -> {out}");
            assert!(contains_secret(&input), "{input}");
            assert!(!contains_secret(&out), "{out}");
        }
    }

    #[test]
    fn a_pattern_runs_only_with_its_also_literal() {
        let userinfo = PATTERNS
            .iter()
            .position(|p| p.kind == "url-userinfo")
            .map(|i| 1u128 << i)
            .unwrap();
        assert_eq!(candidates("mail deploy@contoso.com") & userinfo, 0);
        assert_eq!(candidates_in(b"\x89PNG\xff@\xfe") & userinfo, 0);
        assert_ne!(candidates("HTTPS://u:pw@host") & userinfo, 0);
        assert_ne!(candidates("logs/https:/user:pw@host/a.log") & userinfo, 0);
        assert!(contains_secret("git clone https://TOKENabc@github.com/o/r"));
        // The literal is one every match holds, whatever the case.
        for p in PATTERNS.iter().filter(|p| p.also.is_some()) {
            for text in ["https://u:pw@h", "FTP:/U:PW@H", "a s3://k:s@b"] {
                if let Some(m) = p.re().find(text) {
                    let also = p.also.unwrap_or_default();
                    assert!(m.as_str().to_ascii_lowercase().contains(also), "{text}");
                }
            }
        }
    }

    #[test]
    fn every_pattern_kind_is_named() {
        assert!(PATTERNS
            .iter()
            .all(|p| !p.kind.is_empty() && p.kind != "secret"));
    }

    #[test]
    fn secret_headers_and_pairs() {
        for h in [
            "Authorization",
            "X-Api-Key",
            "x-ms-token-aad-id-token",
            "my-client-secret",
            "X-CSRF-Token",
        ] {
            assert!(secret_header(h), "{h}");
        }
        assert!(!secret_header("x-ms-version"));
        assert!(secret_pair("sig", "abc"));
        assert!(secret_pair("x-api-key", "abc"));
        assert!(!secret_pair("sv", "2022-11-02"));
        assert!(!secret_pair("sig", REDACTED));
    }

    #[test]
    fn keeps_what_is_not_secret() {
        let url = "https://sa.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sp=r&sig=abc";
        assert_eq!(
            redact_str(url),
            "https://sa.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sp=r&sig=[REDACTED]"
        );
        let plain = "PUT https://management.azure.com/subscriptions/s/resourceGroups/g?api-version=2024-07-01 -> 409 AutoStorageNoPermission";
        assert!(matches!(redact_str(plain), Cow::Borrowed(_)));
        assert!(!contains_secret(
            "The managed identity does not have permission to access auto storage account."
        ));
        assert!(!contains_secret(
            r#"{"client_id":"00000000-0000-0000-0000-000000000000"}"#
        ));
        // Stand-ins in fix commands and prose are not credentials.
        for kept in [
            r#"curl -H "Authorization: Bearer $token" -H "x-ms-version: 2021-08-06" "$url""#,
            r#"curl -H "Authorization: Bearer ${TOKEN}" https://x"#,
            "Get Blob with Authorization: Bearer answers 403 AuthenticationFailed",
            "https://sa.blob.core.windows.net/c?sig=<signature>",
        ] {
            assert_eq!(redact_str(kept), kept);
            assert!(!contains_secret(kept), "{kept}");
        }
    }
}

#[cfg(test)]
mod structure_tests {
    //! Redaction never breaks what it edits, and words that only look like
    //! credentials stay (each case is a false positive once seen).
    use super::*;

    #[test]
    fn json_escapes_survive_command_line_and_cookie_rules() {
        for line in [
            r#"{"commandLine":"/bin/sh -c \"az login -u app -p PWCANARY1\"","id":"t"}"#,
            r#"{"cmd":"curl -H \"Cookie: s=COOKIECANARY1\" https://x","id":"t"}"#,
            r#"{"cmd":"mysql -u root -pPWCANARY2\" done","id":"t"}"#,
        ] {
            let out = redact_str(line);
            assert!(!out.contains("CANARY"), "{out}");
            serde_json::from_str::<serde_json::Value>(&out)
                .unwrap_or_else(|e| panic!("{line} -> {out}: {e}"));
        }
    }

    #[test]
    fn passwords_with_json_punctuation_are_removed_whole() {
        for (line, left) in [
            (r#"{"password":"a&b;c,d}e\"f\\gPWTAIL","x":1}"#, "PWTAIL"),
            (r#"{"password":"p\u0026wPWTAIL2"}"#, "PWTAIL2"),
            (r#"{\"password\":\"a\\\"bPWTAIL3\"}"#, "PWTAIL3"),
            ("sqlcmd -S s -U sa -P 'a&b;c PWTAIL4' -Q x", "PWTAIL4"),
        ] {
            let out = redact_str(line);
            assert!(!out.contains(left), "{line} -> {out}");
            if line.starts_with("{\"") {
                serde_json::from_str::<serde_json::Value>(&out).unwrap();
            }
        }
    }

    #[test]
    fn look_alikes_are_left_alone() {
        for kept in [
            "mkdir -p /mnt/x && cd /mnt/x",
            r#"{"name":"FilePath","value":"/mnt/batch/tasks/workitems/job-1/task-1/wd/install/scripts/setup.sh"}"#,
            r#"curl -H 'Authorization: Bearer $token' https://x"#,
            r#"{"cmd":"curl -H \"Authorization: Bearer $TOKEN\" https://x"}"#,
            r#"Invoke-RestMethod -Headers @{Authorization="Bearer $token"}"#,
            ".fa-signature:before{content:\"\\f5b7\"}.fa-key:before{content:\"\\f084\"}",
            "docker run -p 8080:80 image",
            r#"{"hasSecret": true, "secretName": "db"}"#,
            "export AZURE_STORAGE_KEY=$KEY",
            "az login --service-principal -u $APP -p $SECRET --tenant t",
            "set PASSWORD=%PASSWORD%",
            r#"{"adminPassword":{"type":"securestring"}}"#,
            r#"{"sshPublicKey":{"value":"ssh-rsa AAAAB3Nza"}}"#,
            "Version 1.Added things",
            // Inside random base64 a shape's prefix is chance, not a key.
            "aGVsbG8/ZXlKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb+EwBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        ] {
            assert_eq!(redact_str(kept), kept);
            assert!(!contains_secret(kept), "{kept}");
        }
    }
}

#[cfg(test)]
mod shape_tests {
    //! Each published shape: a sample that must go, a near miss that must stay.
    use super::*;

    fn rep(c: char, n: usize) -> String {
        std::iter::repeat_n(c, n).collect()
    }

    fn shapes() -> Vec<(&'static str, String, String)> {
        let b = |n| rep('b', n);
        let d = |n| rep('7', n);
        vec![
            ("url-userinfo", "https://deploy:Hunter2pw@artifacts.contoso.com/s.tgz".into(), "mail deploy@artifacts.contoso.com".into()),
            ("url-userinfo", format!("git clone https://ghtok{}@github.com/o/r", b(10)), "https://github.com/o/r".into()),
            ("private-key", format!("-----BEGIN RSA PRIVATE KEY-----\nMIIE{}\n-----END RSA PRIVATE KEY-----", b(60)), "-----BEGIN PUBLIC KEY-----".into()),
            ("private-key", format!("-----BEGIN OPENSSH PRIVATE KEY-----\\nb3Bl{}\\n-----END OPENSSH PRIVATE KEY-----", b(60)), "-----BEGIN CERTIFICATE-----".into()),
            ("jwt-base64", format!("ZXlKaGJHY2lPaUpTVXpJMU5pSjk{}", b(40)), "ZXlK".into()),
            ("entra-token", format!("0.AXoA{}", b(120)), "0.A.1 release".into()),
            ("entra-token", format!("1.AVYA{}-{}", b(60), b(60)), "1.Azure.Storage".into()),
            ("msa-token", format!("EwBwA{}", b(200)), format!("EwBwA{}", b(20))),
            ("entra-client-secret", format!("\"abc8Q~{}\"", b(34)), "\"abc8Q~short\"".into()),
            ("storage-key", format!(" {}== ", b(86)), format!(" {}= ", b(86))),
            ("azure-function-key", format!("{}AzFu{}A==", b(44), b(5)), format!("{}AzFu", b(44))),
            ("azure-search-key", format!("{}AzSeA{}", b(42), b(5)), "AzSeA".into()),
            ("azure-redis-key", format!("{}AzCaA{}=", b(33), b(5)), "AzCaA=".into()),
            ("azure-container-registry-key", format!("{}+ACRA{}", b(42), b(5)), format!("{}+ACRz{}", b(42), b(5))),
            ("azure-apim-key", format!("{}APIM{}A==", b(76), b(5)), "APIM gateway".into()),
            ("azure-sas-key", format!("{}+ASbA{}=", b(33), b(5)), format!("{}+ASb{}=", b(33), b(5))),
            ("azure-devops-pat", format!("{}JQQJ99b{}AZDO{}", b(52), b(17), b(4)), "AZDO pipeline".into()),
            ("github-token", format!("ghp_{}", b(36)), format!("ghp_{}", b(20))),
            ("github-token", format!("github_pat_{}", b(82)), "github_pat_".into()),
            ("gitlab-token", format!("glpat-{}", b(20)), "glpat-x".into()),
            ("aws-access-key-id", "AKIAIOSFODNN7EXAMPL3".into(), "AKIAIOSFODNN7".into()),
            ("google-api-key", format!("AIza{}", b(35)), "AIza".into()),
            ("slack-token", format!("xoxb-{}", d(12)), "xoxb-1".into()),
            ("slack-webhook", "https://hooks.slack.com/services/T000/B000/XXXXbbbb".into(), "https://hooks.slack.com/".into()),
            ("stripe-key", format!("sk_live_{}", b(24)), "sk_live_x".into()),
            ("npm-token", format!("npm_{}", b(36)), "npm_install".into()),
            ("pypi-token", format!("pypi-AgEIcHlwaS5vcmc{}", b(60)), "pypi-AgEI".into()),
            ("openai-key", format!("sk-proj-{}T3BlbkFJ{}", b(20), b(20)), "sk-proj-x".into()),
            ("anthropic-key", format!("sk-ant-api03-{}", b(90)), "sk-ant-api03-x".into()),
            ("sendgrid-key", format!("SG.{}.{}", b(22), b(43)), "SG.x.y".into()),
            ("vault-token", format!("hvs.{}", b(95)), "hvs.x".into()),
            ("databricks-token", format!("dapi{}", rep('a', 32)), "dapi".into()),
            ("huggingface-token", format!("hf_{}", b(34)), "hf_x".into()),
            ("shopify-token", format!("shpat_{}", rep('a', 32)), "shpat_".into()),
            ("digitalocean-token", format!("dop_v1_{}", rep('a', 64)), "dop_v1_x".into()),
            ("atlassian-token", format!("ATATT3{}", b(186)), "ATATT3x".into()),
            ("postman-key", format!("PMAK-{}-{}", rep('a', 24), rep('a', 34)), "PMAK-x".into()),
            ("grafana-token", format!("glsa_{}_{}", b(32), rep('a', 8)), "glsa_x".into()),
            ("newrelic-key", format!("NRAK-{}", rep('B', 27)), "NRAK-x".into()),
            ("telegram-bot-token", format!("123456789:AA{}", b(33)), "123456789:AA".into()),
        ]
    }

    #[test]
    fn an_activity_log_authorization_object_is_no_credential() {
        // The Activity Log event schema's `authorization` is {action, scope}.
        let event = r#"{"authorization": {"action": "Microsoft.Batch/batchAccounts/applications/versions/write", "scope": "/subscriptions/s"}}"#;
        assert!(!contains_secret(event), "{event}");
        assert!(contains_secret(
            r#"{"authorization": "Bearer abcdefghijklmnopqrstuvwxyz0123456789"}"#
        ));
    }

    #[test]
    fn every_shape_and_its_near_miss() {
        for (kind, sample, near) in shapes() {
            let mut kinds = Vec::new();
            let out = redact_noting(&sample, &mut |k| kinds.push(k));
            assert!(
                kinds.contains(&kind),
                "{kind}: {sample} -> {out} ({kinds:?})"
            );
            assert!(!contains_secret(&out), "{kind}: {out}");
            assert!(!contains_secret(&near), "{kind} near miss: {near}");
        }
        for p in PATTERNS.iter() {
            assert!(
                !p.hints.is_empty(),
                "{} has no hint: it would never run",
                p.kind
            );
        }
    }

    #[test]
    fn every_match_holds_a_hint_of_its_pattern() {
        // A hint missing from a match would let that secret through unseen.
        let mut samples: Vec<String> = shapes().into_iter().map(|(_, s, _)| s).collect();
        // Hints are ASCII and found without ASCII case: a pattern whose
        // `\d` or `(?i)` also takes a non-ASCII digit, `ſ` (an `s` under
        // Unicode case folding) or the Kelvin sign (a `k`) would match text
        // its hints never send it.
        let lookalike = |s: &String| -> String {
            s.chars()
                .map(|c| match c {
                    '0'..='9' => char::from_u32(0x0660 + (c as u32 - '0' as u32)).unwrap_or(c),
                    's' | 'S' => '\u{17F}',
                    'k' | 'K' => '\u{212A}',
                    _ => c,
                })
                .collect()
        };
        let alike: Vec<String> = samples.iter().map(lookalike).collect();
        samples.extend(alike);
        samples.push("id abc\u{663}Q~abcdefghijklmnopqrstuvwxyz0123456".into());
        samples.push("run --\u{17F}ecret hunter2valueXYZ".into());
        for p in PATTERNS.iter() {
            for sample in &samples {
                for m in p.re().find_iter(sample) {
                    let text = m.as_str().to_ascii_lowercase();
                    assert!(
                        p.hints
                            .iter()
                            .any(|h| text.contains(&h.to_ascii_lowercase())),
                        "{}: {text} holds none of {:?}",
                        p.kind,
                        p.hints
                    );
                    if let Some(also) = p.also {
                        assert!(text.contains(also), "{}: {text} lacks {also}", p.kind);
                    }
                }
            }
        }
    }

    /// The shapes read from the public rule sets in the second pass, each
    /// with the source it was checked against, a sample and a near miss
    /// (the near misses are what a looser rule took before, or the nearest
    /// text that is not the credential).
    #[test]
    fn published_shapes_and_near_misses() {
        let b = |n| rep('b', n);
        let cases: Vec<(&str, String, String)> = vec![
            // security-utilities SEC101/171: a real Service Bus key has one
            // of `[A-P]` after `+ASb` (the rule missed every real key).
            (
                "azure-sas-key",
                format!("{}+ASbC{}=", b(33), b(5)),
                format!("{}+ASbC{}", b(33), b(5)),
            ),
            (
                "azure-sas-key",
                format!("{}AZEGP{}=", b(33), b(5)),
                format!("{}AZEGQ{}=", b(33), b(5)),
            ),
            (
                "azure-sas-key",
                format!("{}AIoTA{}=", b(33), b(5)),
                format!("{}AIoTA{}=", b(20), b(5)),
            ),
            // SEC101/154: `+` and `/` stand in Redis keys too.
            (
                "azure-redis-key",
                format!("a+/{}AzCaB{}=", b(30), "b+/bb"),
                format!("{}AzCaZ{}=", b(33), b(5)),
            ),
            // SEC101/181-184: APIM keys are base64 (`+`, `/`).
            (
                "azure-apim-key",
                format!("{}+/{}APIMbbbbbQ==", b(40), b(34)),
                format!("{}APIMbbbbbQ==", b(70)),
            ),
            // SEC101/152, 160, 163, 170.
            (
                "azure-identifiable-key",
                format!("{}+ASt{}g==", b(76), b(5)),
                format!("{}+ASt{}", b(76), b(5)),
            ),
            (
                "azure-identifiable-key",
                format!("{}ACDb{}w==", b(76), b(5)),
                format!("{}ACDb{}w=", b(70), b(5)),
            ),
            (
                "azure-identifiable-key",
                format!("{}+ABa{}A==", b(76), b(5)),
                "+ABa batch".into(),
            ),
            (
                "azure-identifiable-key",
                format!("{}+AMC{}Q==", b(76), b(5)),
                "+AMC".into(),
            ),
            // `CommonAnnotatedKeyRegexPattern` (IdentifiableSecrets.cs): 84, and 88 long.
            (
                "azure-common-annotated-key",
                format!("{}JQQJ99bA{}Bbbbbbbb", b(52), b(16)),
                format!("{}JQQJ98bA{}Bbbbbbbb", b(52), b(16)),
            ),
            (
                "azure-common-annotated-key",
                format!("{}JQQJ9DbL{}zbbbbbbbbb==", b(52), b(16)),
                format!("{}JQQJ9DbM{}zbbbbbbb", b(52), b(16)),
            ),
            // gitleaks `azure-ad-client-secret`, trufflehog spv2: `-` in the first three.
            (
                "entra-client-secret",
                format!("a-c8Q~{}", b(34)),
                format!("a-c8Q~{}", b(20)),
            ),
            // SEC101/528: a header written `{ "` or `{\n`.
            (
                "jwt",
                format!(
                    "eyAidHlwIjoiSldUIiwiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.{}",
                    b(30)
                ),
                "eyAi.eyJ.x".into(),
            ),
            (
                "jwt",
                format!(
                    "ewogICJhbGciOiAiSFMyNTYiCn0.ewogICJzdWIiOiAiMTIzNDU2Nzg5MCIKfQ.{}",
                    b(30)
                ),
                "ewog is a word here".into(),
            ),
            // trufflehog github/v2: up to 255; the first 36 alone leave a tail.
            (
                "github-token",
                format!("ghs_{}", b(80)),
                format!("ghs_{}", b(30)),
            ),
            // gitleaks `gitlab-pat-routable`, `gitlab-deploy-token`, `gitlab-runner-authentication-token`, `gitlab-ptt`; detect-secrets gitlab_token.py.
            (
                "gitlab-token",
                format!("glpat-{}.01abcdefg", b(27)),
                "glpat-short".into(),
            ),
            ("gitlab-token", format!("gldt-{}", b(20)), "gldt-x".into()),
            ("gitlab-token", format!("glrt-{}", b(20)), "glrt-".into()),
            (
                "gitlab-token",
                format!("glptt-{}", rep('a', 40)),
                "glptt-a".into(),
            ),
            // gitleaks `slack-webhook-url`: workflows and triggers too.
            (
                "slack-webhook",
                format!("https://hooks.slack.com/workflows/{}", b(44)),
                "https://hooks.slack.com/apps".into(),
            ),
            // gitleaks `stripe-access-token`: `prod` keys.
            (
                "stripe-key",
                format!("rk_prod_{}", b(24)),
                "rk_prod_x".into(),
            ),
            // gitleaks `databricks-api-token` (and SEC101/110): a `-N` suffix.
            (
                "databricks-token",
                format!("dapi{}-2", rep('a', 32)),
                format!("dapi{}", rep('g', 32)),
            ),
            // trufflehog dockerhub v2.
            (
                "docker-hub-token",
                format!("dckr_pat_{}", b(27)),
                "dckr_pat_x".into(),
            ),
            (
                "docker-hub-token",
                format!("dckr_oat_{}", b(32)),
                "dckr_oat_".into(),
            ),
            // security-utilities SEC101/031.
            (
                "nuget-api-key",
                format!("oy2{}", rep('a', 43)),
                format!("oy2{}", rep('a', 20)),
            ),
            // security-utilities SEC101/055.
            (
                "pkcs12-certificate",
                format!("MIIKCQIBAzCC{}==", b(120)),
                "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A".into(),
            ),
            // trufflehog docker.go: a registry login in `~/.docker/config.json`.
            (
                "docker-config-auth",
                r#"{"auths":{"myreg.azurecr.io":{"auth":"dXNlcjpodW50ZXIy"}}}"#.into(),
                r#"{"auth":"none"}"#.into(),
            ),
            (
                "docker-config-auth",
                r#"{"auths":{"r":{"auth":"dXNlcjpodW50ZXIy"}}}"#.into(),
                r#"{"authority":"https://login.microsoftonline.com/x"}"#.into(),
            ),
            // gitleaks `nuget-config-password`.
            (
                "nuget-config-password",
                r#"<add key="ClearTextPassword" value="Nu!get-pw" />"#.into(),
                r#"<add key="Username" value="deploy" />"#.into(),
            ),
        ];
        for (kind, sample, near) in cases {
            let mut kinds = Vec::new();
            let out = redact_noting(&sample, &mut |k| kinds.push(k));
            assert!(
                kinds.contains(&kind),
                "{kind}: {sample} -> {out} ({kinds:?})"
            );
            assert!(!contains_secret(&out), "{kind}: {out}");
            assert!(
                !out.contains("bbbbbbbb") || kind == "docker-config-auth",
                "{kind}: a tail is left: {out}"
            );
            assert!(!contains_secret(&near), "{kind} near miss: {near}");
        }
        // Shapes the generic rules already take (detect-secrets npm.py's
        // `.npmrc` token, trufflehog's App Configuration connection string).
        for (sample, canary) in [
            ("//registry.npmjs.org/:_authToken=0f8e4c2a-1b3d-4e5f-8a9b-0c1d2e3f4a5b", "0f8e4c2a"),
            ("Endpoint=https://cfg.azconfig.io;Id=AbC1-l0-s0:xyz;Secret=APPCFGSECRET1=", "APPCFGSECRET1"),
            ("-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF0canary\n-----END PGP PRIVATE KEY BLOCK-----", "lQOYBF0canary"),
            ("-----BEGIN SSH2 ENCRYPTED PRIVATE KEY-----\nP2/56wAAAcanary", "P2/56wAAAcanary"),
        ] {
            let out = redact_str(sample);
            assert!(!out.contains(canary), "{sample} -> {out}");
        }
    }

    #[test]
    fn azure_places() {
        let b = rep('b', 86);
        let cases: Vec<(String, &str)> = vec![
            (r#"{"value":"Kv!Winter#2025","id":"https://contoso-kv.vault.azure.net/secrets/db/3f1c"}"#.into(), "Winter"),
            (r#"{"id":"https://contoso-kv.vault.azure.net/secrets/db/3f1c","value":"Kv!Summer#2025"}"#.into(), "Summer"),
            (r#"{"secretText":"GRAPHCANARY~x","hint":"GRA"}"#.into(), "GRAPHCANARY"),
            (r#"{"parameters":{"adminPassword":{"value":"ARMPW1"},"sqlKey":{"type":"securestring","value":"ARMKEY1"}}}"#.into(), "ARM"),
            (r#"{"masterKey":"FNMASTER1","functionKeys":{"default":"FNDEFAULT1"},"systemKeys":{"durabletask_extension":"FNSYS1"}}"#.into(), "FN"),
            (format!(r#"{{"keys":[{{"keyName":"key1","value":"{b}==","permissions":"FULL"}}]}}"#), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
            (r#"{"accountSasToken":"sv=2022-11-02&ss=b&sig=LASCANARY"}"#.into(), "LASCANARY"),
            (r#"{"environmentSettings":[{"name":"DB_CONN","value":"ENVCANARY1"},{"name":"MODE","value":"ENVCANARY2"}]}"#.into(), "ENVCANARY"),
            (format!(r#"{{"thumbprint":"ab","data":"MIIKCQIBAzCC{b}","password":"CERTPW1"}}"#), "MIIKCQ"),
            ("export X_TOKEN=XTOKCANARY".into(), "XTOKCANARY"),
            ("IDENTITY_HEADER=IHCANARY1 IDENTITY_ENDPOINT=http://localhost:40342".into(), "IHCANARY1"),
            ("AZ_BATCH_AUTHENTICATION_TOKEN=ABATCANARY".into(), "ABATCANARY"),
            ("curl -u admin:CURLPW1 -b 'sess=CURLCOOKIE1' -H 'api-key: CURLKEY1' https://x".into(), "CURL"),
            ("docker login myreg.azurecr.io -u u -p DOCKERPW1".into(), "DOCKERPW1"),
            ("mysql -h h -u root -pMYSQLPW1 db".into(), "MYSQLPW1"),
            ("sshpass -p SSHPW1 ssh user@host".into(), "SSHPW1"),
            ("az keyvault secret set --vault-name kv -n db --value KVSET1".into(), "KVSET1"),
            ("azcopy copy x y --sas-token=AZCOPYSAS1".into(), "AZCOPYSAS1"),
            ("git -c http.extraheader=\"AUTHORIZATION: bearer GITHDR1abc\" clone x".into(), "GITHDR1"),
            ("code=OAUTHCODE1&state=s&id_token=OAUTHID1&SAMLResponse=SAML1&device_code=DEV1".into(), "OAUTH"),
            ("SAMLResponse=SAML2CANARY".into(), "SAML2CANARY"),
            ("Cookie: ESTSAUTH=ESTSCANARY1; x=1".into(), "ESTSCANARY1"),
            ("set ESTSAUTHPERSISTENT=ESTSCANARY2;".into(), "ESTSCANARY2"),
            ("aeg-sas-key: AEGKEY1abc".into(), "AEGKEY1"),
            ("{'aeg-sas-token': 'AEGTOK1abc', 'x-custom-token': 'XCT1abc'}".into(), "1abc"),
            (r#"headers: {"Authorization": "Bearer HDRDICT1abcdefghijklmnopqrstuvwxyz", "Cookie": "c=HDRDICT2"}"#.into(), "HDRDICT"),
            ("https://sa.blob.core.windows.net/c?sv=1&sig%253DDOUBLECANARY%2526se%253D1".into(), "DOUBLECANARY"),
            ("Server=tcp:s;Database=d;User ID=u;Pwd=CONNPW1;Encrypt=true".into(), "CONNPW1"),
        ];
        for (input, canary) in cases {
            let out = redact_str(&input);
            assert!(!out.contains(canary), "{input}\n -> {out}");
            assert!(contains_secret(&input), "{input}");
            assert!(!contains_secret(&out), "{out}");
            if input.starts_with('{') && !input.starts_with("{'") {
                serde_json::from_str::<serde_json::Value>(&out)
                    .unwrap_or_else(|e| panic!("{out}: {e}"));
            }
        }
        // Environment setting names stay, only values go.
        let env = redact_str(r#"{"environmentSettings":[{"name":"MODE","value":"x1"}]}"#);
        assert!(env.contains("MODE") && !env.contains("x1"), "{env}");
    }
}

/// Text read line by line (a pretty-printed export, a log) loses the
/// context a single JSON text has: a Key Vault answer's `"value"` stands
/// lines away from its `/secrets/` id, an ARM parameter's `"value"` a line
/// below its `"adminPassword": {`. A line that opens such a context
/// returns how many lines the context lasts at most, and the bracket that
/// ends it sooner (a line that starts with it).
pub fn opens_context(line: &str) -> Option<(u32, char)> {
    static OPENS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)/secrets/|"(?:environmentSettings|functionKeys|systemKeys)"\s*:|"[A-Za-z0-9_]*(?:password|secret|token|pwd|key)"\s*:\s*\{"#)
            .expect("constant")
    });
    let lower = line.to_ascii_lowercase();
    let closer = if lower.contains("environmentsettings") {
        ']'
    } else {
        '}'
    };
    (line.len() < 4096 && OPENS.is_match(line) && !lower.contains("publickey"))
        .then_some((12, closer))
}

/// In a context [`opens_context`] opened: a `"value": "..."` line with its
/// value blanked, or `None` when the line holds none.
pub fn redact_context_value(line: &str) -> Option<String> {
    static VALUE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(r#"^(\s*"value"\s*:\s*")({JSON_BODY})"#)).expect("constant")
    });
    let caps = VALUE.captures(line)?;
    let value = caps.get(2)?;
    if is_placeholder(value.as_str()) || is_no_value(value.as_str()) {
        return None;
    }
    Some(format!(
        "{}{REDACTED}{}",
        &line[..value.start()],
        &line[value.end()..]
    ))
}
