//! The upload page in a real browser: Debian's headless Chromium driven
//! through the system chromedriver (WebDriver, via `fantoccini`), against a
//! server with a token on loopback. The same approach as
//! `render/tests/browser.rs`: the console and the network are read from
//! chromedriver's `browser` and `performance` logs (`goog:loggingPrefs`),
//! both proved live (a probe `console.error` and the page's own API calls
//! must show up).
//!
//! Checked: the token is entered; a corpus bundle with BD101 is added
//! through the file input and its BD101 card appears; a BD101 HAR with
//! canaries planted is dropped on the drop zone (a synthetic drop event),
//! its card appears, and its sanitized copy is downloaded (Chrome's
//! download directory is a temporary one, by prefs) and holds no canary and
//! reads as a HAR with no error that still shows the failure; the controls
//! are reached by Tab, each with a visible focus ring; no console error; no
//! request to any host but the server. Screenshots at 1280 and 390 px go
//! to `$BATCHDIAG_SCREENSHOTS` or `target/tmp/batchdiag-screenshots/`
//! (untracked, overwritten on every run). Chromium and chromedriver are
//! installed when missing (as root, `apt-get install -y chromium
//! chromium-driver`; `.ci/browser.sh` does the same on CI).

use std::net::{TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use batchdiag_server::{Config, LogTarget, Tokens};
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{ClientBuilder, Locator};
use futures_util::FutureExt as _;
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// A corpus bundle whose report is BD101 alone (relative to this crate).
const CORPUS_HAR: &str = "../corpus/bd101-direct-put/fiddler-capture.har";
const TOKEN: &str = "browser-test-token-0123456789";
const CANARIES: &[&str] = &[
    "CANARYJWTSIG",
    "CANARYCOOKIE",
    "CANARYSASSIG",
    "CANARYREFRESH",
];

/// A BD101 capture whose secrets are canaries.
fn canary_har() -> String {
    let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiIxMjMiLCJ4bXNfbWlyaWQiOiIvc3Vicy94In0.CANARYJWTSIG";
    json!({"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": [
        {"startedDateTime": "2024-05-01T10:00:00Z",
         "request": {"method": "PUT", "url": "https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/2?sig=CANARYSASSIG",
            "headers": [{"name": "Authorization", "value": format!("Bearer {jwt}")}, {"name": "Cookie", "value": "s=CANARYCOOKIE"}],
            "cookies": [{"name": "s", "value": "CANARYCOOKIE"}]},
         "response": {"status": 409, "content": {"mimeType": "application/json", "text": json!({"error": {"code": "AutoStorageNoPermission", "message": "The managed identity does not have permission to access auto storage account."}}).to_string()}}},
        {"startedDateTime": "2024-05-01T10:00:03Z",
         "request": {"method": "POST", "url": "https://login.microsoftonline.com/common/oauth2/v2.0/token", "headers": [],
            "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "refresh_token=CANARYREFRESH"}},
         "response": {"status": 200, "content": {"mimeType": "application/json", "text": json!({"access_token": jwt}).to_string()}}}
    ]}})
    .to_string()
}

/// Installs the browser and its driver from Debian's packages when missing.
fn ensure_browser() {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    assert!(
        root,
        "{CHROMIUM} or {CHROMEDRIVER} is missing and this is not root: run `apt-get install -y chromium chromium-driver`"
    );
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "chromium", "chromium-driver"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    if !install() {
        // A fresh machine has no package lists yet.
        let _ = Command::new("apt-get").arg("update").status();
        assert!(
            install(),
            "apt-get install -y chromium chromium-driver failed"
        );
    }
}

/// The chromedriver process, killed however the test ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts chromedriver on a free loopback port and waits, at most 20 s,
/// until it accepts connections. Its and Chromium's temporary files
/// (profile, scoped dirs) go under `tmp`, which the test removes: in the
/// system temp dir they outlived every run.
fn start_driver(tmp: &Path) -> (Driver, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .env("TMPDIR", tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen on 127.0.0.1:{port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (driver, port)
}

/// The legacy log endpoint chromedriver keeps for `goog:loggingPrefs`.
#[derive(Debug)]
struct GetLog(&'static str);

impl WebDriverCompatibleCommand for GetLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or("")))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": self.0 }).to_string()),
        )
    }
}

#[test]
fn the_upload_page_in_headless_chromium() {
    ensure_browser();
    let work = tempfile::tempdir().unwrap();
    let har = work.path().join("portal-upload.har");
    let planted = canary_har();
    for canary in CANARIES {
        assert!(planted.contains(canary), "{canary} planted");
    }
    std::fs::write(&har, planted).unwrap();
    let downloads = work.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let shots = std::env::var_os("BATCHDIAG_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("batchdiag-screenshots")
        });
    std::fs::create_dir_all(&shots).unwrap();
    let chrome_tmp = work.path().join("chrome-tmp");
    std::fs::create_dir_all(&chrome_tmp).unwrap();
    let (_driver, port) = start_driver(&chrome_tmp);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut c = Config::new(addr, Tokens::from_plain(&[TOKEN]));
        c.log = LogTarget::Memory(Default::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(batchdiag_server::serve(listener, c, async move {
            let _ = stopped.await;
        }));
        let site = format!("http://{addr}");
        tokio::time::timeout(
            Duration::from_secs(120),
            browse(port, &site, &har, &downloads, &shots),
        )
        .await
        .expect("the browser session finished within 120 s");
        let _ = stop.send(());
    });
}

async fn browse(port: u16, site: &str, har: &Path, downloads: &Path, shots: &Path) {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--no-first-run", "--disable-extensions"],
            "prefs": {"download.default_directory": downloads.to_string_lossy(),
                      "download.prompt_for_download": false,
                      "safebrowsing.enabled": false}
        }),
    );
    caps.insert(
        "goog:loggingPrefs".into(),
        json!({"browser": "ALL", "performance": "ALL"}),
    );
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}/"))
        .await
        .expect("a WebDriver session");
    // A failed assertion still ends the session, so no Chromium outlives the test.
    let result = AssertUnwindSafe(checks(&c, site, har, downloads, shots))
        .catch_unwind()
        .await;
    let _ = c.close().await;
    match result {
        Ok(r) => r.expect("browser checks"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Waits, at most 30 s, for the BD101 card of a fresh report; its text.
async fn bd101_card(c: &fantoccini::Client) -> Result<String, fantoccini::error::CmdError> {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#cards .card[data-code='BD101']"))
        .await?
        .text()
        .await
}

async fn checks(
    c: &fantoccini::Client,
    site: &str,
    har: &Path,
    downloads: &Path,
    shots: &Path,
) -> Result<(), fantoccini::error::CmdError> {
    c.set_window_size(1280, 1000).await?;
    c.goto(site).await?;
    c.find(Locator::Id("token")).await?.send_keys(TOKEN).await?;

    // A corpus bundle through the file input.
    // chromedriver takes only canonical paths (no `..`).
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(CORPUS_HAR)
        .canonicalize()
        .expect("the corpus bundle");
    c.find(Locator::Id("files"))
        .await?
        .send_keys(&corpus.to_string_lossy())
        .await?;
    let chosen = c.find(Locator::Id("chosen")).await?.text().await?;
    assert!(chosen.contains("fiddler-capture.har"), "{chosen}");
    c.find(Locator::Id("go")).await?.click().await?;
    let card = bd101_card(c).await?;
    assert!(card.contains("Confidence: confirmed"), "{card}");
    std::fs::write(shots.join("serve-page-1280.png"), c.screenshot().await?).unwrap();

    // The canary capture dropped on the drop zone (a synthetic drop event
    // carrying a real File, as a drag from the desktop would).
    c.execute(
        "document.getElementById('cards').textContent = '';
         var dt = new DataTransfer();
         dt.items.add(new File([arguments[0]], 'dropped.har', {type: 'application/json'}));
         var ev = new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true});
         document.getElementById('drop').dispatchEvent(ev);",
        vec![json!(std::fs::read_to_string(har).unwrap())],
    )
    .await?;
    let chosen = c.find(Locator::Id("chosen")).await?.text().await?;
    assert!(
        chosen.contains("dropped.har") && !chosen.contains("fiddler-capture.har"),
        "{chosen}"
    );
    c.find(Locator::Id("go")).await?.click().await?;
    bd101_card(c).await?;

    // Its sanitized copy, downloaded.
    c.find(Locator::Id("dl-clean")).await?.click().await?;
    let copy = downloads.join("sanitized-dropped.har");
    let start = Instant::now();
    // Chrome writes `*.crdownload` and renames it when complete.
    while !copy.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no download in {} within 30 s: {:?}",
            downloads.display(),
            std::fs::read_dir(downloads)
                .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = std::fs::read_to_string(&copy).unwrap();
    for canary in CANARIES {
        assert!(!text.contains(canary), "{canary} in the sanitized copy");
    }
    let parsed: Value = serde_json::from_str(&text).expect("the copy is JSON");
    assert_eq!(
        parsed["log"]["entries"].as_array().map(Vec::len),
        Some(2),
        "the copy keeps both entries"
    );
    let bundle =
        batchdiag_parser::Reader::new(Default::default()).read_bytes("copy.har", text.as_bytes());
    assert_eq!(bundle.inputs.len(), 1);
    assert_eq!(bundle.inputs[0].kind, batchdiag_parser::InputKind::Har);
    assert!(bundle.inputs[0].error.is_none(), "{:?}", bundle.inputs[0]);
    assert!(
        !bundle.evidence.is_empty(),
        "the copy still shows the failure"
    );

    // Keyboard, right after a download (its temporary link once stayed in
    // the Tab order, empty and off screen): from the token field, Tab reaches every control, each with a visible focus ring.
    c.execute("document.getElementById('token').focus();", vec![])
        .await?;
    let mut reached = Vec::new();
    for _ in 0..12 {
        let focus = c
            .execute(
                "var e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
                 return {id: e.id || e.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
                         onscreen: r.right > 0 && r.bottom > 0 && r.left < innerWidth + 1};",
                vec![],
            )
            .await?;
        let id = focus["id"].as_str().unwrap_or("").to_string();
        if id == "BODY" {
            break;
        }
        assert!(
            focus["outline"] != "none" && focus["width"].as_f64().unwrap_or(0.0) > 0.0,
            "no visible focus on {focus}"
        );
        assert_eq!(focus["onscreen"], true, "focus off screen: {focus}");
        reached.push(id);
        c.active_element().await?.send_keys(&Key::Tab).await?;
    }
    for want in ["token", "drop", "go", "dl-json", "dl-md", "dl-clean"] {
        assert!(
            reached.iter().any(|r| r == want),
            "{want} not reached by Tab: {reached:?}"
        );
    }

    c.set_window_size(390, 844).await?;
    let narrow = c
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
            vec![],
        )
        .await?;
    assert!(
        narrow[0].as_u64().unwrap_or(0) <= narrow[1].as_u64().unwrap_or(0) + 1,
        "the page scrolls sideways at 390 px: {narrow}"
    );
    std::fs::write(shots.join("serve-page-390.png"), c.screenshot().await?).unwrap();

    // The console: live (the probe comes back), and nothing else severe.
    c.execute("console.error('batchdiag-log-probe');", vec![])
        .await?;
    let log = c.issue_cmd(GetLog("browser")).await?;
    let entries = log.as_array().cloned().unwrap_or_default();
    assert!(
        entries.iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.contains("batchdiag-log-probe"))),
        "the browser log is not being read: {log}"
    );
    let errors: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["level"] == "SEVERE"
                && !e["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("batchdiag-log-probe")
        })
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");

    // The network: the page and its API calls, all on the server; nothing elsewhere.
    let perf = c.issue_cmd(GetLog("performance")).await?;
    let mut requested = Vec::new();
    for e in perf.as_array().cloned().unwrap_or_default() {
        let Some(m) = e["message"]
            .as_str()
            .and_then(|m| serde_json::from_str::<Value>(m).ok())
        else {
            continue;
        };
        if m["message"]["method"] == "Network.requestWillBeSent" {
            requested.push(
                m["message"]["params"]["request"]["url"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            );
        }
    }
    let analyze = format!("{site}/api/v1/analyze");
    assert!(
        requested.iter().any(|u| u.starts_with(&analyze)),
        "the API calls are not in the log: {requested:?}"
    );
    let elsewhere: Vec<&String> = requested
        .iter()
        .filter(|u| !(u.starts_with(&format!("{site}/")) || u.starts_with("blob:")))
        .collect();
    assert!(elsewhere.is_empty(), "requests elsewhere: {elsewhere:?}");
    Ok(())
}
