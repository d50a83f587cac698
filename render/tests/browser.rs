//! The HTML report in a real browser: Debian's headless Chromium driven
//! through the system chromedriver (WebDriver, via `fantoccini`).
//!
//! A corpus bundle with BD101 and BD201 together, with markup planted in an
//! archive member name and a URL, is written to a temporary page and
//! opened from disk. Checked: the cards and the timeline are there (DOM
//! queries), the page's own script ran (its copy buttons exist, so the CSP
//! hash matches), the planted markup is text and never ran, the console
//! has no error, and no request was attempted besides the page itself.
//!
//! How the console and the network are read: an error collector cannot be
//! injected before load (the page's CSP allows only its own hashed script),
//! so the test asks chromedriver for the browser's own logs instead
//! (`goog:loggingPrefs`: the `browser` log holds console messages, CSP
//! violations and failed loads; the `performance` log holds DevTools
//! `Network.requestWillBeSent` events). A blocked request shows up in the
//! first, an attempted one in the second. Both are proved live: a
//! `console.error` the test emits must appear, and so must the page's own
//! request.
//!
//! Screenshots at 1280 px (top and timeline) and 390 px wide go to `$BATCHDIAG_SCREENSHOTS`, or
//! `target/tmp/batchdiag-screenshots/` (untracked, overwritten on
//! every run). Chromium and chromedriver are installed when missing (as
//! root, `apt-get install -y chromium chromium-driver`).

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use batchdiag_analyzer::report::Report;
use batchdiag_redact::redact;
use batchdiag_render::{sink, Format, SinkOptions};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{ClientBuilder, Locator};
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CANARY_MEMBER: &str =
    "pool/<script>window.__xss=1</script>/\"><img src=x onerror=\"window.__xss=2\">.log";
const CANARY_URL: &str = "https://management.azure.com/subscriptions/x/<script>window.__xss=3</script>?q=\"><img src=x onerror=window.__xss=4>";

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

/// A temporary directory removed however the test ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts chromedriver on a free loopback port and waits, at most 20 s,
/// until it accepts connections. Chromium writes its profile under `tmp`
/// (the test's own temp dir), so nothing of it outlives the test.
fn start_driver(tmp: &std::path::Path) -> (Driver, u16) {
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

/// The mixed BD101 + BD201 bundle's page with the canaries planted.
fn hostile_page() -> String {
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/expected/mixed-bd101-bd201.json");
    let text = std::fs::read_to_string(&golden).expect("golden report");
    let mut r: Report = serde_json::from_str(&text).expect("a report");
    for e in &mut r.evidence {
        if let batchdiag_parser::Fact::ArmError(a) = &mut e.evidence.fact {
            a.url = Some(CANARY_URL.into());
        }
        e.evidence.source.member = Some(CANARY_MEMBER.into());
    }
    r.inputs[0].path = CANARY_MEMBER.into();
    let red = redact(&r).expect("redactable");
    let mut out = Vec::new();
    {
        let mut s = sink(Format::Html, Box::new(&mut out), SinkOptions::default());
        s.begin().expect("memory");
        s.report(&red).expect("memory");
        s.finish().expect("memory");
    }
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn the_html_report_in_headless_chromium() {
    ensure_browser();
    let dir =
        TempDir(std::env::temp_dir().join(format!("batchdiag-browser-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    let page = dir.0.join("report.html");
    std::fs::File::create(&page)
        .and_then(|mut f| f.write_all(hostile_page().as_bytes()))
        .expect("page written");
    let shots = std::env::var_os("BATCHDIAG_SCREENSHOTS")
        .map(PathBuf::from)
        // Under target/ (untracked, removed by cargo clean), not in /tmp.
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("batchdiag-screenshots")
        });
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let (_driver, port) = start_driver(&dir.0);
    let page_url = format!("file://{}", page.display());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(120), browse(port, &page_url, &shots))
            .await
            .expect("the browser session finished within 120 s")
    });
}

async fn browse(port: u16, page_url: &str, shots: &Path) {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--no-first-run", "--disable-extensions"]
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
    let result = checks(&c, page_url, shots).await;
    let _ = c.close().await;
    result.expect("browser checks");
}

async fn checks(
    c: &fantoccini::Client,
    page_url: &str,
    shots: &Path,
) -> Result<(), fantoccini::error::CmdError> {
    c.set_window_size(1280, 1000).await?;
    c.goto(page_url).await?;

    let cards = c.find_all(Locator::Css("article.card")).await?;
    assert_eq!(cards.len(), 2, "two diagnosis cards");
    c.find(Locator::Css("article.card.confirmed[id='d0-BD101']"))
        .await?;
    c.find(Locator::Css("article.card[id='d1-BD201']")).await?;
    assert!(
        !c.find_all(Locator::Css("svg.tl rect.m.fail"))
            .await?
            .is_empty(),
        "the failing call on the timeline"
    );
    assert!(
        !c.find_all(Locator::Css("svg.tl rect.bar.stuck"))
            .await?
            .is_empty(),
        "the stuck node on the timeline"
    );
    // The /batch row: the bundle's three calls that went well and the
    // failing one (its link to the evidence is checked by the unit tests:
    // the canary member here is no longer the HAR's path).
    assert_eq!(
        c.find_all(Locator::Css("svg.tl rect.call.ok")).await?.len(),
        3,
        "the successful /batch calls on the timeline"
    );
    c.find(Locator::Css("svg.tl rect.call.fail")).await?;
    // Where agent-debug.log.1 gives way to agent-debug.log on the node's row.
    let rot = c
        .execute(
            "var g=document.querySelector('svg.tl g.rot');return g?g.querySelector('title').textContent:null;",
            vec![],
        )
        .await?;
    assert!(
        rot.as_str().is_some_and(
            |t| t.contains("agent-debug.log.1 ends") && t.contains("agent-debug.log begins")
        ),
        "a rotation boundary: {rot}"
    );
    let timeline = c.find(Locator::Css("#timeline")).await?.text().await?;
    assert!(
        timeline.contains("409 AutoStorageNoPermission"),
        "{timeline}"
    );

    let probe = c
        .execute(
            "return {xss: typeof window.__xss, imgs: document.images.length, \
             scripts: document.scripts.length, copy: document.querySelectorAll('button.copy').length, \
             text: document.body.textContent.indexOf('<script>window.__xss=1</script>') >= 0, \
             url: document.body.textContent.indexOf('onerror=window.__xss=4>') >= 0};",
            vec![],
        )
        .await?;
    assert_eq!(probe["xss"], "undefined", "a canary ran: {probe}");
    assert_eq!(probe["imgs"], 0, "{probe}");
    assert_eq!(probe["scripts"], 1, "only the page's own script: {probe}");
    assert!(
        probe["copy"].as_u64().unwrap_or(0) > 0,
        "the hashed script ran: {probe}"
    );
    assert_eq!(
        (&probe["text"], &probe["url"]),
        (&json!(true), &json!(true)),
        "canaries shown as text: {probe}"
    );

    std::fs::write(
        shots.join("mixed-bd101-bd201-1280.png"),
        c.screenshot().await?,
    )
    .expect("screenshot");
    c.execute(
        "document.getElementById('timeline').scrollIntoView();",
        vec![],
    )
    .await?;
    std::fs::write(
        shots.join("mixed-bd101-bd201-1280-timeline.png"),
        c.screenshot().await?,
    )
    .expect("screenshot");
    c.set_window_size(390, 844).await?;
    let narrow = c
        .execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
            vec![],
        )
        .await?;
    let (scroll, client) = (
        narrow[0].as_u64().unwrap_or(0),
        narrow[1].as_u64().unwrap_or(0),
    );
    assert!(
        scroll <= client + 1,
        "at 390 px the page itself must not scroll sideways (only the timeline does): {narrow}"
    );
    std::fs::write(
        shots.join("mixed-bd101-bd201-390.png"),
        c.screenshot().await?,
    )
    .expect("screenshot");

    // Proof that the console is read: this must come back, and nothing else severe.
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
            let msg = e["message"].as_str().unwrap_or("");
            e["level"] == "SEVERE" && !msg.contains("batchdiag-log-probe")
        })
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");

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
    assert!(
        requested.iter().any(|u| u == page_url),
        "the page's own request is not in the log: {requested:?}"
    );
    let others: Vec<&String> = requested.iter().filter(|u| *u != page_url).collect();
    assert!(others.is_empty(), "requests attempted: {others:?}");
    Ok(())
}
