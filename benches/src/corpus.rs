//! The HAR bundles of `corpus/`, each a realistic capture of one situation.
//! Regenerate with `cargo run -p batchdiag-benches --bin batchdiag-gen -- corpus corpus`.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde_json::json;

mod shapes;

use crate::har_gen::{Browser, Rng, Session, Tenant};
use crate::log_gen::{
    bundle_files, node_log, write_dir, write_tar_gz, write_zip, BundleFile, Layout, NodeSpec,
};

const NO_PERMISSION: &str = "The managed identity does not have permission to access auto storage account. Please use Azure RBAC to assign the managed identity access to auto storage.";

fn tenant(account: &str, storage: &str) -> Tenant {
    Tenant {
        subscription: "6f3c8a52-1d4e-4b7a-9c21-0e5d8f7a9b13".into(),
        resource_group: "rg-render-prod".into(),
        account: account.into(),
        storage: storage.into(),
        region: "westeurope".into(),
    }
}

fn pretty(s: &Session) -> Vec<u8> {
    serde_json::to_vec_pretty(&s.document()).expect("a generated document serializes")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    fs::write(dir.join(name), bytes)
}

/// Writes every corpus bundle under `root`, one directory each.
pub fn write_corpus(root: &Path) -> std::io::Result<()> {
    let start = 1_714_557_600; // 2024-05-01T10:00:00Z

    // Chrome, exported with sensitive data: bearer tokens, cookies, SAS URLs,
    // refresh tokens; 300 unrelated portal entries; the upload fails twice.
    let mut s = Session::new(
        Browser::Chrome,
        1,
        tenant("contosobatch", "contosobatchsa"),
        start,
    );
    s.noise(150, 3000);
    s.package_upload(
        "render",
        "2.1.0",
        Some((409, "AutoStorageNoPermission", NO_PERMISSION)),
        false,
    );
    s.noise(100, 3000);
    s.package_upload(
        "render",
        "2.1.0",
        Some((409, "AutoStorageNoPermission", NO_PERMISSION)),
        false,
    );
    s.noise(50, 3000);
    let chrome = pretty(&s);
    write(&root.join("bd101-chrome"), "portal-upload.har", &chrome)?;

    // The same capture, gzip-compressed as support tooling often stores it.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&chrome)?;
    write(
        &root.join("bd101-chrome-gz"),
        "portal-upload.har.gz",
        &gz.finish()?,
    )?;

    // The same capture cut off mid-entry after the first failure: the
    // diagnosis is still made, and the input error names the byte offset.
    let cut = find_cut(&chrome);
    write(
        &root.join("bd101-truncated"),
        "portal-upload-partial.har",
        &chrome[..cut],
    )?;

    // Firefox 1.1 with local offsets, params beside text, image bodies left out.
    let mut s = Session::new(
        Browser::Firefox,
        2,
        tenant("fabrikam-batch", "fabrikamautostore"),
        start + 3600,
    );
    s.noise(120, 2000);
    s.package_upload(
        "ffmpeg",
        "6.1",
        Some((409, "AutoStorageNoPermission", NO_PERMISSION)),
        false,
    );
    s.noise(30, 2000);
    write(
        &root.join("bd101-firefox"),
        "firefox-upload.har",
        &pretty(&s),
    )?;

    // Chrome's default sanitized export, /batch responses base64-encoded, minified.
    let mut s = Session::new(
        Browser::ChromeSanitized,
        3,
        tenant("litware-hpc", "litwarehpcstore"),
        start + 7200,
    );
    s.noise(200, 1500);
    s.package_upload(
        "solver",
        "1.0",
        Some((409, "AutoStorageNoPermission", NO_PERMISSION)),
        true,
    );
    s.noise(20, 1500);
    let minified = serde_json::to_vec(&s.document()).expect("serializes");
    write(
        &root.join("bd101-sanitized-base64"),
        "sanitized.har",
        &minified,
    )?;

    // A proxy capture of a direct PUT (no /batch envelope), with a UTF-8 BOM.
    let mut s = Session::new(
        Browser::Proxy,
        4,
        tenant("northwind-batch", "northwindauto"),
        start + 10800,
    );
    s.noise(15, 500);
    let a = s.tenant.account_id();
    s.direct_arm("PUT", &format!("{a}/applications/etl/versions/3.2?api-version=2024-07-01"), 409, json!({"error": {"code": "AutoStorageNoPermission", "message": NO_PERMISSION, "target": "BatchAccount"}}));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(serde_json::to_vec(&s.document()).expect("serializes"));
    write(&root.join("bd101-direct-put"), "fiddler-capture.har", &bom)?;

    // The same capture saved by Windows PowerShell (`Out-File`): UTF-16LE with a BOM.
    let text = String::from_utf8_lossy(&bom[3..]).into_owned();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    write(&root.join("bd101-utf16-powershell"), "capture.har", &utf16)?;

    // A healthy upload: PUT 200 with a SAS storageUrl, blob PUT 201, activate 200.
    let mut s = Session::new(
        Browser::Chrome,
        5,
        tenant("contosobatch", "contosobatchsa"),
        start + 14400,
    );
    s.noise(120, 2500);
    s.package_upload("render", "2.2.0", None, false);
    s.noise(40, 2500);
    write(
        &root.join("healthy-upload"),
        "portal-upload-ok.har",
        &pretty(&s),
    )?;

    // A different 409: evidence, but not BD101.
    let mut s = Session::new(
        Browser::Chrome,
        6,
        tenant("contosobatch", "contosobatchsa"),
        start + 18000,
    );
    s.noise(80, 2000);
    s.package_upload("render", "2.1.0", Some((409, "Conflict", "The specified application package is already in the Active state and cannot be overwritten because allowUpdates is false.")), false);
    s.noise(20, 2000);
    write(&root.join("other-409"), "portal-conflict.har", &pretty(&s))?;

    // Two accounts in one bundle directory, plus a file that is not a capture.
    let dir = root.join("mixed-two-accounts");
    let mut s = Session::new(
        Browser::Chrome,
        7,
        tenant("contosobatch", "contosobatchsa"),
        start,
    );
    s.noise(60, 1000);
    s.package_upload(
        "render",
        "2.1.0",
        Some((409, "AutoStorageNoPermission", NO_PERMISSION)),
        false,
    );
    write(&dir.join("engineer-a"), "contoso.har", &pretty(&s))?;
    let mut s = Session::new(
        Browser::Chrome,
        8,
        tenant("woodgrove-batch", "woodgroveauto"),
        start,
    );
    s.noise(60, 1000);
    s.package_upload(
        "montecarlo",
        "0.9.4",
        Some((409, "AutoStorageNoPermission", NO_PERMISSION)),
        true,
    );
    s.package_upload(
        "montecarlo",
        "0.9.5",
        Some((409, "AutoStorageNoPermission", NO_PERMISSION)),
        false,
    );
    write(&dir.join("engineer-b"), "woodgrove.har", &pretty(&s))?;
    write(
        &dir,
        "notes.txt",
        b"Customer says uploads fail since Monday. HARs from two engineers attached.\n",
    )?;
    write_log_bundles(root)?;
    write_hostile(root)?;
    write_resource_bundles(root)?;
    shapes::write_shape_bundles(root)
}

fn json_file(dir: &Path, name: &str, v: &serde_json::Value) -> std::io::Result<()> {
    write(
        dir,
        name,
        &serde_json::to_vec_pretty(v).expect("serializes"),
    )
}

const DENIED: &str = "Access for one of the specified Azure Blob container(s) is denied";
const LIST_MISC: &str =
    "Miscellaneous error encountered while listing one of the specified Azure Blob container(s)";
const PKG_INVALID: &str = "One or more application packages specified for the pool are invalid";
const MI: &str = "BatchAccountManagedIdentity";

/// Bundles of resource JSON (with logs where the scenario has them), one per
/// behaviour-table row and catalog code, plus healthy, ambiguous and mixed ones.
fn write_resource_bundles(root: &Path) -> std::io::Result<()> {
    use crate::resources_gen::{account, node as node_json, pool_data, pool_management, task};
    use serde_json::json;
    let acct = "contosobatch";
    let sa = "contosobatchsa";
    let n1 = "tvm-1695681911_1-20240501t095900z";
    let n2 = "tvm-1695681911_2-20240501t095900z";
    let files = [("autoStorageContainerName", "inputs", None)];

    // Scenario 1 of both tables: everything right, nothing to report.
    let d = root.join("scenario1-healthy");
    json_file(
        &d,
        "account.json",
        &account(acct, sa, MI, Some("batch-nodes"), None, false),
    )?;
    json_file(
        &d,
        "pool.json",
        &pool_data(acct, "pool-render", &["batch-nodes"], &["render"]),
    )?;
    json_file(
        &d,
        "nodes.json",
        &json!({"value": [node_json(acct, "pool-render", n1, "idle", &[], "1.11.5"), node_json(acct, "pool-render", n2, "running", &[], "1.11.5")]}),
    )?;
    json_file(
        &d,
        "task.json",
        &task(acct, "job-1", "render-001", &files, None),
    )?;

    // Scenario 3: no node identity reference; nodes stuck starting, tasks denied, join loops in the logs.
    let d = root.join("bd201-scenario3-confirmed");
    json_file(&d, "account.json", &account(acct, sa, MI, None, None, true))?;
    json_file(
        &d,
        "pool.json",
        &pool_data(acct, "pool-render", &["batch-nodes"], &["render"]),
    )?;
    json_file(
        &d,
        "nodes.json",
        &json!([node_json(
            acct,
            "pool-render",
            n1,
            "starting",
            &[],
            "1.11.3"
        )]),
    )?;
    json_file(
        &d,
        "task.json",
        &task(
            acct,
            "job-1",
            "render-001",
            &files,
            Some(("ResourceContainerAccessDenied", DENIED)),
        ),
    )?;
    let logs = bundle_files(
        &[node("pool-render", n1, Layout::Compact, None, 90_000, true)],
        1,
        31,
    );
    write_dir(&d.join("batch-logs"), &logs)?;

    // Scenario 2: reference set and in the pool, but no data role: tasks denied.
    let d = root.join("bd202-scenario2");
    json_file(
        &d,
        "account.json",
        &account(
            acct,
            sa,
            MI,
            Some("batch-nodes"),
            Some("batch-account-id"),
            false,
        ),
    )?;
    json_file(
        &d,
        "pool.json",
        &pool_management(acct, "pool-render", &["batch-nodes", "render-secrets"], &[]),
    )?;
    json_file(
        &d,
        "tasks.json",
        &json!({"value": [task(acct, "job-7", "render-001", &files, Some(("ResourceContainerAccessDenied", DENIED))), task(acct, "job-7", "render-002", &files, Some(("ResourceContainerAccessDenied", DENIED)))]}),
    )?;

    // Scenario 4: the pool was created with another identity: unusable nodes, list errors.
    let d = root.join("bd203-scenario4");
    json_file(
        &d,
        "account.json",
        &account(acct, sa, MI, Some("batch-nodes"), None, false),
    )?;
    json_file(
        &d,
        "pool.json",
        &pool_data(acct, "pool-render", &["legacy-nodes"], &["render"]),
    )?;
    json_file(
        &d,
        "nodes.json",
        &json!({"value": [node_json(acct, "pool-render", n1, "unusable", &[("ApplicationPackageError", PKG_INVALID)], "1.10.5")]}),
    )?;
    json_file(
        &d,
        "task.json",
        &task(
            acct,
            "job-1",
            "render-001",
            &files,
            Some(("ResourceContainerListMiscError", LIST_MISC)),
        ),
    )?;

    // Configuration alone: a pool without any identity while autostorage uses managed identities.
    let d = root.join("bd204-pool-without-identity");
    json_file(
        &d,
        "account.json",
        &account(acct, sa, MI, Some("batch-nodes"), None, false),
    )?;
    json_file(
        &d,
        "pool.json",
        &pool_management(acct, "pool-gpu", &[], &["render"]),
    )?;

    // Configuration alone: resource files naming an identity the pool lacks; one SAS file that is fine.
    let d = root.join("bd301-resource-file-identity");
    json_file(
        &d,
        "pool.json",
        &pool_data(acct, "pool-render", &["batch-nodes"], &[]),
    )?;
    json_file(
        &d,
        "task.json",
        &task(
            acct,
            "job-3",
            "prep-001",
            &[
                ("storageContainerUrl", "https://datalake01.blob.core.windows.net/scenes", Some("data-reader")),
                ("httpUrl", "https://datalake01.blob.core.windows.net/tools/ffmpeg?sv=2022-11-02&sr=b&sig=Zm9vYmFyYmF6cXV4&se=2024-06-01T00%3A00%3A00Z&sp=r", None),
            ],
            None,
        ),
    )?;

    // A task whose resource files carry their own SAS failed: not a managed-identity problem.
    let d = root.join("sas-resource-files");
    json_file(
        &d,
        "task.json",
        &task(
            acct,
            "job-9",
            "fetch-001",
            &[("httpUrl", "https://datalake01.blob.core.windows.net/tools/ffmpeg?sv=2022-11-02&sr=b&sig=ZXhwaXJlZHNpZ25hdHVyZQ&se=2024-04-01T00%3A00%3A00Z&sp=r", None)],
            Some(("BlobAccessDenied", "Access for one of the specified Azure Blob(s) is denied")),
        ),
    )?;

    // A denied task and nothing else: BD201 or BD202, and the account JSON would decide.
    let d = root.join("ambiguous-denied-task");
    json_file(
        &d,
        "task.json",
        &task(
            acct,
            "job-1",
            "render-001",
            &files,
            Some(("ResourceContainerAccessDenied", DENIED)),
        ),
    )?;

    // Two causes in one bundle: the account identity cannot store packages (HAR),
    // and the node identity reference is missing (account JSON + logs).
    let d = root.join("mixed-bd101-bd201");
    let mut s = Session::new(Browser::Chrome, 41, tenant(acct, sa), 1_714_557_600);
    s.noise(40, 800);
    s.package_upload(
        "render",
        "2.2.0",
        Some((409, "AutoStorageNoPermission", NO_PERMISSION)),
        false,
    );
    write(&d, "portal.har", &pretty(&s))?;
    json_file(
        &d,
        "account.json",
        &account(acct, sa, MI, None, None, false),
    )?;
    let logs = bundle_files(
        &[node("pool-render", n2, Layout::Iso, None, 80_000, false)],
        2,
        42,
    );
    let mut z = std::io::Cursor::new(Vec::new());
    write_zip(&mut z, &logs, "")?;
    write(&d, "upload-batch-logs.zip", &z.into_inner())?;
    write_probe_bundles(root)
}

/// A fake IMDS access token: a JWT whose claims name the identity (never a real token).
fn imds_token(oid: &str, mirid: &str, client: &str) -> String {
    use base64::Engine as _;
    let enc = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let claims = serde_json::json!({"aud": "https://storage.azure.com/", "oid": oid, "appid": client, "xms_mirid": mirid, "iss": "https://sts.windows.net/72f988bf-0000-0000-0000-000000000000/"});
    format!(
        "{}.{}.{}",
        enc(br#"{"typ":"JWT","alg":"RS256"}"#),
        enc(claims.to_string().as_bytes()),
        enc(b"probe-signature-not-real")
    )
}

/// Hand-made probes from a node: curl -v transcripts of IMDS and Storage.
fn write_probe_bundles(root: &Path) -> std::io::Result<()> {
    use crate::resources_gen::{account, pool_data, uami};
    let acct = "contosobatch";
    let nodes_id = uami("batch-nodes");
    let imds_req = |selector: &str| {
        format!(
            "*   Trying 169.254.169.254:80...\n* Connected to 169.254.169.254 (169.254.169.254) port 80 (#0)\n> GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/{selector} HTTP/1.1\n> Host: 169.254.169.254\n> User-Agent: curl/7.81.0\n> Accept: */*\n> Metadata: true\n>\n"
        )
    };
    // BD401: the answer is for another client id than the pool lists for the identity.
    let d = root.join("bd401-imds-client-id");
    json_file(
        &d,
        "pool.json",
        &pool_data(acct, "pool-render", &["batch-nodes", "render-secrets"], &[]),
    )?;
    let token = imds_token(
        "0f5e1d2c-0000-4000-8000-00000000beef",
        &uami("render-secrets"),
        "9d0c3b1a-0000-4000-8000-000000000001",
    );
    let body = serde_json::json!({"access_token": token, "client_id": "9d0c3b1a-0000-4000-8000-000000000001", "expires_in": "86399", "expires_on": "1714644000", "ext_expires_in": "86399", "not_before": "1714557300", "resource": "https://storage.azure.com/", "token_type": "Bearer"});
    let t = format!(
        "{}< HTTP/1.1 200 OK\n< Content-Type: application/json; charset=utf-8\n< Server: IMDS/150.870.65.1544\n<\n{}\n* Connection #0 to host 169.254.169.254 left intact\n",
        imds_req(&format!("&mi_res_id={}", nodes_id.replace('/', "%2F"))),
        body
    );
    write(&d, "imds-probe.txt", t.as_bytes())?;

    // BD402: several identities, none named.
    let d = root.join("bd402-imds-multiple-identities");
    json_file(
        &d,
        "pool.json",
        &pool_data(acct, "pool-render", &["batch-nodes", "render-secrets"], &[]),
    )?;
    let t = format!(
        "{}< HTTP/1.1 400 Bad Request\n< Content-Type: application/json; charset=utf-8\n<\n{{\"error\":\"invalid_request\",\"error_description\":\"Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request\"}}\n",
        imds_req("")
    );
    write(&d, "imds-probe.txt", t.as_bytes())?;

    // BD403: a blob read with a bearer token and no x-ms-version.
    let d = root.join("bd403-storage-no-version");
    let token = imds_token(
        "0f5e1d2c-0000-4000-8000-00000000cafe",
        &nodes_id,
        "5a4b3c2d-0000-4000-8000-000000000002",
    );
    let t = format!(
        "*   Trying 20.60.133.4:443...\n> GET /inputs/scene-001.blend HTTP/1.1\n> Host: contosobatchsa.blob.core.windows.net\n> User-Agent: curl/7.81.0\n> Accept: */*\n> Authorization: Bearer {token}\n>\n< HTTP/1.1 403 Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\n< Content-Length: 407\n< Content-Type: application/xml\n< Server: Microsoft-HTTPAPI/2.0\n< x-ms-request-id: 3f1c0a44-601e-0042-1d2a-9b5e8a000000\n< x-ms-error-code: AuthenticationFailed\n<\n<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:3f1c0a44-601e-0042-1d2a-9b5e8a000000\nTime:2024-05-01T10:12:00.1234567Z</Message><AuthenticationErrorDetail>Authentication scheme Bearer is not supported in this version.</AuthenticationErrorDetail></Error>\n"
    );
    write(&d, "storage-probe.txt", t.as_bytes())?;

    // BD202 confirmed: reference set and in the pool; the storage probe (with a version) is denied.
    let d = root.join("bd202-storage-denied");
    json_file(
        &d,
        "account.json",
        &account(acct, "contosobatchsa", MI, Some("batch-nodes"), None, false),
    )?;
    json_file(
        &d,
        "pool.json",
        &pool_data(acct, "pool-render", &["batch-nodes"], &["render"]),
    )?;
    let t = format!(
        "> GET /inputs/scene-001.blend HTTP/1.1\n> Host: contosobatchsa.blob.core.windows.net\n> Authorization: Bearer {token}\n> x-ms-version: 2021-08-06\n>\n< HTTP/1.1 403 This request is not authorized to perform this operation using this permission.\n< x-ms-error-code: AuthorizationPermissionMismatch\n<\n<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.\nRequestId:7c2d\nTime:2024-05-01T10:15:00Z</Message></Error>\n"
    );
    write(&d, "storage-probe.txt", t.as_bytes())?;
    Ok(())
}
fn node(
    pool: &str,
    node: &str,
    layout: Layout,
    joins_for: Option<u64>,
    bytes: usize,
    names: bool,
) -> NodeSpec {
    NodeSpec {
        pool: pool.into(),
        node: node.into(),
        layout,
        joins_for,
        start: 1_714_557_600,
        bytes,
        join_every: 5,
        names_in_content: names,
    }
}

/// A fleet where two nodes never join (scenario 3) and one joined after 90 s.
fn stuck_fleet() -> Vec<NodeSpec> {
    vec![
        node(
            "pool-render",
            "tvm-1695681911_1-20240501t095900z",
            Layout::Compact,
            None,
            260_000,
            true,
        ),
        node(
            "pool-render",
            "tvm-1695681911_2-20240501t095900z",
            Layout::Iso,
            None,
            200_000,
            false,
        ),
        node(
            "pool-render",
            "tvm-1695681911_3-20240501t095900z",
            Layout::Python,
            Some(90),
            120_000,
            true,
        ),
    ]
}

fn write_log_bundles(root: &Path) -> std::io::Result<()> {
    // "Upload batch logs" output as a directory: <pool>/<node>/<unique id>/agent-debug.log*,
    // rotated (.2.gz, .1, live), node ids with '-' for '_'.
    let files = bundle_files(&stuck_fleet(), 3, 11);
    write_dir(&root.join("bd201-upload-logs"), &files)?;
    // The same as a zip and as a tar.gz, as support tooling hands them over.
    let mut zip = std::io::Cursor::new(Vec::new());
    write_zip(&mut zip, &files, "")?;
    write(
        &root.join("bd201-zip"),
        "upload-batch-logs.zip",
        &zip.into_inner(),
    )?;
    let mut tgz = Vec::new();
    write_tar_gz(&mut tgz, &files, "batchlogs/")?;
    write(&root.join("bd201-targz"), "batchlogs.tar.gz", &tgz)?;

    // Nodes that joined (one after a 3-minute loop that was still running
    // when its logs end: evidence, not BD201).
    let joined = vec![
        node(
            "pool-etl",
            "tvm-2204418822_1-20240501t095900z",
            Layout::Bracketed,
            Some(45),
            80_000,
            true,
        ),
        node(
            "pool-etl",
            "tvm-2204418822_2-20240501t095900z",
            Layout::Compact,
            Some(70),
            80_000,
            true,
        ),
    ];
    let mut files = bundle_files(&joined, 1, 12);
    let mut rng = Rng::new(13);
    let mut short = Vec::new();
    node_log(
        &node(
            "pool-etl",
            "tvm-2204418822_3-20240501t095900z",
            Layout::Iso,
            None,
            18_000,
            true,
        ),
        &mut rng,
        &mut short,
    )?;
    files.push((
        format!(
            "pool-etl/tvm-2204418822-3-20240501t095900z/{}/agent-debug.log",
            rng.guid()
        ),
        short,
    ));
    write_dir(&root.join("joined-nodes"), &files)?;

    // Logs without the upload layout, attributed by their content only.
    let mut rng = Rng::new(14);
    let dir = root.join("bd201-flat-content");
    for (i, spec) in [
        node(
            "gpu-pool",
            "tvm-3390012345_7-20240501t095900z",
            Layout::Compact,
            None,
            90_000,
            true,
        ),
        node(
            "gpu-pool",
            "tvm-3390012345_8-20240501t095900z",
            Layout::Python,
            Some(30),
            60_000,
            true,
        ),
    ]
    .iter()
    .enumerate()
    {
        let mut log = Vec::new();
        node_log(spec, &mut rng, &mut log)?;
        write(&dir, &format!("node{}-agent-debug.log", i + 1), &log)?;
    }

    // A zip holding a tar.gz holding one node's upload (nested archives).
    let files = bundle_files(
        &[node(
            "pool-sim",
            "tvm-4410022233_1-20240501t095900z",
            Layout::Iso,
            None,
            70_000,
            false,
        )],
        2,
        15,
    );
    let mut tgz = Vec::new();
    write_tar_gz(&mut tgz, &files, "")?;
    let mut outer = std::io::Cursor::new(Vec::new());
    write_zip(
        &mut outer,
        &[
            ("case-2231/node-logs.tar.gz".into(), tgz),
            (
                "case-2231/readme.txt".into(),
                b"Logs from the customer.\n".to_vec(),
            ),
        ],
        "",
    )?;
    write(
        &root.join("bd201-nested"),
        "case-2231.zip",
        &outer.into_inner(),
    )?;
    Ok(())
}

fn zip_bytes(files: &[BundleFile]) -> Vec<u8> {
    let mut c = std::io::Cursor::new(Vec::new());
    write_zip(&mut c, files, "").expect("writing to memory");
    c.into_inner()
}

/// Sets the general-purpose flag bits or the method of every member whose name contains `marker`,
/// in both its local and central headers: the damage real tools meet.
fn patch_zip(zip: &mut [u8], marker: &[u8], flags_or: u16, method: Option<u16>) {
    let mut i = 0;
    while i + 46 < zip.len() {
        let sig = &zip[i..i + 4];
        let (name_len_at, name_at, flags_at, method_at) = if sig == b"PK\x03\x04" {
            (i + 26, i + 30, i + 6, i + 8)
        } else if sig == b"PK\x01\x02" {
            (i + 28, i + 46, i + 8, i + 10)
        } else {
            i += 1;
            continue;
        };
        let n = u16::from_le_bytes([zip[name_len_at], zip[name_len_at + 1]]) as usize;
        let name = &zip[name_at..(name_at + n).min(zip.len())];
        if name.windows(marker.len()).any(|w| w == marker) {
            let f = u16::from_le_bytes([zip[flags_at], zip[flags_at + 1]]) | flags_or;
            zip[flags_at..flags_at + 2].copy_from_slice(&f.to_le_bytes());
            if let Some(m) = method {
                zip[method_at..method_at + 2].copy_from_slice(&m.to_le_bytes());
            }
        }
        i += 4;
    }
}

/// Hostile and damaged archives, each next to a good member that must still be read.
fn write_hostile(root: &Path) -> std::io::Result<()> {
    let dir = root.join("hostile-archives");
    let mut rng = Rng::new(21);
    let mut good = Vec::new();
    node_log(
        &node(
            "pool-h",
            "tvm-5550001111_1-20240501t095900z",
            Layout::Compact,
            None,
            40_000,
            true,
        ),
        &mut rng,
        &mut good,
    )?;
    let good_member = |tag: &str| {
        (
            format!("pool-h/tvm-5550001111-1-20240501t095900z/{tag}/agent-debug.log"),
            good.clone(),
        )
    };

    // A decompression bomb: 48 MiB of newlines deflate about 1000:1.
    let bomb = vec![b'\n'; 48 << 20];
    write(
        &dir,
        "bomb.zip",
        &zip_bytes(&[
            ("pool-h/tvm-bomb/0000/agent-debug.log".into(), bomb),
            good_member("a1"),
        ]),
    )?;

    // Names that would escape an extraction directory.
    write(
        &dir,
        "traversal.zip",
        &zip_bytes(&[
            ("../../../etc/cron.d/agent-debug.log".into(), good.clone()),
            ("/var/log/agent-debug.log".into(), good.clone()),
            good_member("a2"),
        ]),
    )?;

    // An encrypted member and one with a compression method batchdiag does not have (LZMA, 14).
    let mut z = zip_bytes(&[
        ("secret/agent-debug.log".into(), good.clone()),
        ("lzma/agent-debug.log".into(), good.clone()),
        good_member("a3"),
    ]);
    patch_zip(&mut z, b"secret/", 1, None);
    patch_zip(&mut z, b"lzma/", 0, Some(14));
    write(&dir, "odd-members.zip", &z)?;

    // Symbolic and hard links in a tar.
    let mut tar = tar::Builder::new(Vec::new());
    for (name, target, kind) in [
        (
            "pool-h/tvm-x/l1/agent-debug.log",
            "/etc/shadow",
            tar::EntryType::Symlink,
        ),
        (
            "pool-h/tvm-x/l2/agent-debug.log",
            "etc/passwd",
            tar::EntryType::Link,
        ),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(0);
        h.set_mode(0o777);
        tar.append_link(&mut h, name, target)?;
    }
    let (name, bytes) = good_member("a4");
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(&mut h, name, &bytes[..])?;
    write(&dir, "links.tar", &tar.into_inner()?)?;

    // Archives cut short.
    let mut tgz = Vec::new();
    write_tar_gz(&mut tgz, &[good_member("a5"), good_member("a6")], "")?;
    write(&dir, "cut.tar.gz", &tgz[..tgz.len() * 3 / 4])?;
    let z = zip_bytes(&[good_member("a7")]);
    write(&dir, "cut.zip", &z[..z.len() - 30])?;

    // Zips nested deeper than the default limit of 4.
    let mut inner = zip_bytes(&[good_member("a8")]);
    for level in 0..5 {
        inner = zip_bytes(&[(format!("level{level}.zip"), inner)]);
    }
    write(&dir, "deep.zip", &inner)?;

    // Not an archive at all, named like one, and an xz file.
    write(&dir, "fake.zip", b"this is not a zip file\n")?;
    write(&dir, "logs.tar.xz", b"\xFD7zXZ\x00\x00\x04\xE6\xD6\xB4\x46")?;
    Ok(())
}

/// A cut point in the middle of the entry after the first AutoStorageNoPermission.
fn find_cut(doc: &[u8]) -> usize {
    let needle = b"AutoStorageNoPermission";
    let first = memfind(doc, needle, 0).unwrap_or(doc.len() / 2);
    let next_entry = memfind(doc, b"\"startedDateTime\"", first).unwrap_or(doc.len() / 2);
    (next_entry + 400).min(doc.len() - 1)
}

fn memfind(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}
