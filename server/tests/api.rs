//! End-to-end tests of `batchdiag serve` over loopback with a real HTTP client.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use batchdiag_server::{Config, LogTarget, Tokens};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const T1: &str = "first-token-0123456789";
const T2: &str = "second-token-0123456789";

struct Server {
    url: String,
    addr: std::net::SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn start(tweak: impl FnOnce(&mut Config)) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut c = Config::new(addr, Tokens::from_plain(&[T1, T2]));
    c.log = LogTarget::Memory(log.clone());
    c.limits.shutdown_grace = Duration::from_secs(1);
    tweak(&mut c);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(batchdiag_server::serve(listener, c, async move {
        let _ = rx.await;
    }));
    Server {
        url: format!("http://{addr}"),
        addr,
        log,
        stop: Some(tx),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn raw(s: &Server, name: &str, body: Vec<u8>, token: Option<&str>) -> reqwest::Response {
    let mut r = client()
        .post(format!("{}/api/v1/analyze", s.url))
        .header("x-file-name", name)
        .body(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

async fn metric(s: &Server, name: &str) -> f64 {
    let t = client()
        .get(format!("{}/metrics", s.url))
        .bearer_auth(T1)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    t.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

#[tokio::test]
async fn tokens_are_required_and_each_is_accepted() {
    let s = start(|_| {}).await;
    let har = std::fs::read(root().join("corpus/bd101-chrome/portal-upload.har")).unwrap();
    assert_eq!(raw(&s, "a.har", har.clone(), None).await.status(), 401);
    assert_eq!(
        raw(&s, "a.har", har.clone(), Some("wrong-token-0123456789"))
            .await
            .status(),
        401
    );
    for t in [T1, T2] {
        assert_eq!(raw(&s, "a.har", har.clone(), Some(t)).await.status(), 200);
    }
    let m = client()
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(m.status(), 401);
    let h = client()
        .get(format!("{}/healthz", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status(), 200);
    assert_eq!(
        metric(&s, "batchdiag_rejections_total{reason=\"unauthorized\"}").await,
        3.0
    );
    // An analysis' log line says where its time went.
    let log = s.log.lock().unwrap().clone();
    let line = log
        .iter()
        .find(|l| l.starts_with("POST analyze 200 "))
        .expect("a log line for the analysis");
    let phases = phases_of(line);
    assert_eq!(phases.len(), 3, "{line}");
    assert!(
        phases[0] <= phases[1],
        "the upload ends before the read: {line}"
    );
}

/// The milliseconds of `(upload Nms, read Nms, report Nms)` in a log line.
fn phases_of(line: &str) -> Vec<u64> {
    let Some(rest) = line.split_once(" (upload ").map(|x| x.1) else {
        return Vec::new();
    };
    rest.trim_end_matches(')')
        .split(", ")
        .filter_map(|p| p.rsplit(' ').next()?.strip_suffix("ms")?.parse().ok())
        .collect()
}

#[tokio::test]
async fn page_and_headers_are_strict() {
    let s = start(|_| {}).await;
    let r = client().get(&s.url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'sha256-") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h.get("set-cookie").is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains("Authorization") && html.contains("upload.onprogress"));
}

#[tokio::test]
async fn cross_origin_posts_are_refused_and_html_is_served() {
    let s = start(|_| {}).await;
    let post = || {
        client()
            .post(format!("{}/api/v1/analyze", s.url))
            .bearer_auth(T1)
            .header("x-file-name", "a.log")
            .body("x\n")
    };
    let r = post()
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = post()
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = post()
        .header("origin", s.url.clone())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client()
        .post(format!("{}/api/v1/analyze?format=html", s.url))
        .bearer_auth(T1)
        .body("x\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/html; charset=utf-8"
    );
    assert!(r.text().await.unwrap().contains("Content-Security-Policy"));
    let r = client()
        .post(format!("{}/api/v1/analyze?format=pdf", s.url))
        .bearer_auth(T1)
        .body("x\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let s = start(|c| c.limits.max_body_bytes = 10_000).await;
    let r = raw(&s, "big.log", vec![b'a'; 200_000], Some(T1)).await;
    assert_eq!(r.status(), 413);
    assert_eq!(
        metric(&s, "batchdiag_rejections_total{reason=\"too_large\"}").await,
        1.0
    );
}

#[tokio::test]
async fn a_spool_that_cannot_be_written_is_507_without_the_servers_paths() {
    let missing = std::env::temp_dir().join("batchdiag-no-such-spool-dir-for-this-test");
    let dir = missing.clone();
    let s = start(move |c| c.spool_dir = Some(dir)).await;
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend(vec![0u8; 1000]);
    let r = raw(&s, "bundle.zip", zip, Some(T1)).await;
    assert_eq!(r.status(), 507);
    let body = r.text().await.unwrap();
    assert!(!body.contains("no-such-spool-dir"), "{body}");
    assert!(!missing.exists());
    assert_eq!(
        metric(&s, "batchdiag_rejections_total{reason=\"spool_disk\"}").await,
        1.0
    );
}

/// Sends headers and part of a body, then waits: a stalled upload.
async fn stall(s: &Server, len: usize, sent: &[u8]) -> tokio::net::TcpStream {
    let mut c = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/analyze HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {T1}\r\nx-file-name: slow.har\r\ncontent-length: {len}\r\n\r\n",
        s.addr
    );
    c.write_all(head.as_bytes()).await.unwrap();
    c.write_all(sent).await.unwrap();
    c
}

#[tokio::test]
async fn a_stalled_upload_is_408() {
    let s = start(|c| c.limits.idle_timeout = Duration::from_millis(500)).await;
    let mut c = stall(&s, 1_000_000, b"{\"log\":{\"entries\":[").await;
    let mut buf = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), c.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}

#[tokio::test]
async fn a_burst_over_the_bound_is_503_with_retry_after() {
    let s = start(|c| c.limits.max_concurrent = 1).await;
    let _held = stall(&s, 1_000_000, b"{\"log\":{\"entries\":[").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut busy = 0;
    for _ in 0..4 {
        let r = raw(&s, "a.log", b"x\n".to_vec(), Some(T1)).await;
        if r.status() == 503 {
            assert!(r.headers().contains_key("retry-after"));
            busy += 1;
        }
    }
    assert_eq!(busy, 4);
}

#[tokio::test]
async fn a_client_that_goes_away_cancels_its_analysis() {
    let s = start(|_| {}).await;
    let c = stall(&s, 100_000_000, b"{\"log\":{\"entries\":[").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(metric(&s, "batchdiag_analyses_in_flight").await, 1.0);
    drop(c);
    let mut ok = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if metric(&s, "batchdiag_analyses_in_flight").await == 0.0
            && metric(&s, "batchdiag_analyses_cancelled_total").await == 1.0
        {
            ok = true;
            break;
        }
    }
    assert!(ok, "the analysis was not cancelled");
}

#[tokio::test]
async fn a_zip_bomb_answers_a_report_with_the_input_error() {
    let s = start(|_| {}).await;
    let bomb = std::fs::read(root().join("corpus/hostile-archives/bomb.zip")).unwrap();
    let r = raw(&s, "bomb.zip", bomb, Some(T1)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-batchdiag-exit-code"], "3");
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let errors = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["error"].is_null())
        .count();
    assert!(errors > 0, "{v}");
    let h = client()
        .get(format!("{}/healthz", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status(), 200);
}

const CANARIES: &[&str] = &[
    "CANARYJWTSIG",
    "CANARYCOOKIE",
    "CANARYSASSIG",
    "CANARYMSGBEARER",
    "CANARYKEY",
    "CANARYREFRESH",
];

fn canary_har() -> String {
    let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiIxMjMiLCJ4bXNfbWlyaWQiOiIvc3Vicy94In0.CANARYJWTSIG";
    let message = format!("The managed identity does not have permission. Authorization: Bearer {jwt} token=CANARYMSGBEARER AccountKey=CANARYKEY==");
    serde_json::json!({"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": [
        {"startedDateTime": "2024-05-01T10:00:00Z",
         "request": {"method": "PUT", "url": "https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/2?sig=CANARYSASSIG",
            "headers": [{"name": "Authorization", "value": format!("Bearer {jwt}")}, {"name": "Cookie", "value": "s=CANARYCOOKIE"}],
            "cookies": [{"name": "s", "value": "CANARYCOOKIE"}]},
         "response": {"status": 409, "content": {"mimeType": "application/json", "text": serde_json::json!({"error": {"code": "AutoStorageNoPermission", "message": message}}).to_string()}}},
        {"startedDateTime": "2024-05-01T10:00:03Z",
         "request": {"method": "POST", "url": "https://login.microsoftonline.com/common/oauth2/v2.0/token", "headers": [],
            "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "refresh_token=CANARYREFRESH&client_secret=CANARYKEY"}},
         "response": {"status": 200, "content": {"mimeType": "application/json", "text": serde_json::json!({"access_token": jwt, "refresh_token": "CANARYREFRESH"}).to_string()}}}
    ]}}).to_string()
}

#[tokio::test]
async fn canaries_reach_no_response_and_no_log_line() {
    let s = start(|_| {}).await;
    let har = canary_har();
    let name = "case/upload.har?sig=CANARYSASSIG";
    let mut outputs = Vec::new();
    for fmt in ["json", "markdown"] {
        let r = client()
            .post(format!("{}/api/v1/analyze?format={fmt}", s.url))
            .bearer_auth(T1)
            .header("x-file-name", name)
            .body(har.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        outputs.push(r.text().await.unwrap());
    }
    assert!(outputs[0].contains("BD101"), "{}", outputs[0]);
    let r = client()
        .post(format!("{}/api/v1/redact", s.url))
        .bearer_auth(T1)
        .header("x-file-name", name)
        .body(har.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let copy = r.text().await.unwrap();
    assert!(copy.contains("\"entries\""), "{copy}");
    outputs.push(copy);
    // An error message names the input too.
    let r = client()
        .post(format!("{}/api/v1/redact", s.url))
        .bearer_auth(T1)
        .header("x-file-name", name)
        .body(b"PK\x03\x04broken zip".to_vec())
        .send()
        .await
        .unwrap();
    outputs.push(r.text().await.unwrap());
    outputs.push(s.log.lock().unwrap().join("\n"));
    for o in &outputs {
        for c in CANARIES {
            assert!(!o.contains(c), "{c} in {o}");
        }
    }
}

/// The files of a corpus bundle in the order `analyze` reads a directory.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every file of corpus bundle `b` as one multipart form, named as the CLI names them.
fn bundle_form(root: &Path, b: &str) -> reqwest::multipart::Form {
    let mut files = Vec::new();
    walk(&root.join("corpus").join(b), &mut files);
    let mut form = reqwest::multipart::Form::new();
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let part = reqwest::multipart::Part::bytes(std::fs::read(f).unwrap()).file_name(rel);
        form = form.part("file", part);
    }
    form
}

/// Open files of this process inside `dir` (an unlinked file still shows
/// there, as `dir/#N (deleted)`).
fn open_files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter(|p| p.starts_with(dir))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn uploaded_zips_are_spooled_read_as_the_cli_reads_them_and_gone() {
    let spool = tempfile::tempdir().unwrap();
    let dir = spool.path().to_path_buf();
    let s = start(|c| {
        c.spool_dir = Some(dir.clone());
        // Read from memory, these zips would fail: only a spooled read gives the CLI's report.
        c.read.limits.max_in_memory_bytes = 16;
    })
    .await;
    let root = root();
    for b in ["bd201-zip", "mixed-bd101-bd201", "bd201-nested"] {
        let want = std::fs::read_to_string(root.join(format!("corpus/expected/{b}.json"))).unwrap();
        let r = client()
            .post(format!("{}/api/v1/analyze", s.url))
            .bearer_auth(T1)
            .multipart(bundle_form(&root, b))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{b}");
        assert_eq!(r.text().await.unwrap(), want, "multipart {b}");
    }
    // A raw body too.
    let name = "corpus/bd201-zip/upload-batch-logs.zip";
    let r = raw(&s, name, std::fs::read(root.join(name)).unwrap(), Some(T1)).await;
    assert_eq!(r.status(), 200);
    let want = std::fs::read_to_string(root.join("corpus/expected/bd201-zip.json")).unwrap();
    assert_eq!(r.text().await.unwrap(), want, "raw body");
    // The sanitized copy of a zip is read from the spool too: from memory
    // it would be left out (an empty copy), spooled it has every member.
    let zip = std::fs::read(root.join(name)).unwrap();
    let r = client()
        .post(format!("{}/api/v1/redact", s.url))
        .bearer_auth(T1)
        .header("x-file-name", name)
        .body(zip.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let copy = r.bytes().await.unwrap();
    let members = |b: &[u8]| {
        let z = zip::ZipArchive::new(std::io::Cursor::new(b.to_vec())).unwrap();
        let mut n: Vec<String> = z.file_names().map(|r| r.unwrap().into_owned()).collect();
        n.sort();
        n
    };
    assert_eq!(members(&copy), members(&zip), "the copy of the spooled zip");
    assert!(metric(&s, "batchdiag_spooled_bytes_total").await > 0.0);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    assert_eq!(open_files_in(&dir), Vec::<PathBuf>::new());
    // Over the spool limit: 413, and nothing left either.
    drop(s);
    let s = start(|c| {
        c.spool_dir = Some(dir.clone());
        c.limits.max_spool_bytes = 1000;
    })
    .await;
    let r = raw(&s, name, std::fs::read(root.join(name)).unwrap(), Some(T1)).await;
    assert_eq!(r.status(), 413);
    let r = client()
        .post(format!("{}/api/v1/redact", s.url))
        .bearer_auth(T1)
        .header("x-file-name", name)
        .body(std::fs::read(root.join(name)).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413, "a copy over the spool limit");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    assert_eq!(open_files_in(&dir), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn api_json_equals_the_cli_json_on_every_corpus_bundle() {
    let s = start(|_| {}).await;
    let root = root();
    let mut bundles: Vec<String> = std::fs::read_dir(root.join("corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "expected")
        .collect();
    bundles.sort();
    let mut failures = Vec::new();
    for b in &bundles {
        let form = bundle_form(&root, b);
        let r = client()
            .post(format!("{}/api/v1/analyze", s.url))
            .bearer_auth(T1)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{b}");
        let got = r.text().await.unwrap();
        // The goldens are what `batchdiag analyze -f json corpus/<bundle>` prints (tests/e2e.rs checks that).
        let want = std::fs::read_to_string(root.join(format!("corpus/expected/{b}.json"))).unwrap();
        if got != want {
            failures.push(b.clone());
        }
    }
    assert!(
        failures.is_empty(),
        "API JSON differs from the CLI's for {failures:?}"
    );
}
