//! The HAR bundles of `corpus/`, each a realistic capture of one situation.
//! Regenerate with `cargo run -p batchdiag-benches --bin batchdiag-gen -- corpus corpus`.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::har_gen::{Browser, Session, Tenant};

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
