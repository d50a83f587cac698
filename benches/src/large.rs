//! Large inputs for benchmarks: a Chrome HAR of a chosen size.

use std::io::{self, Write};

use crate::har_gen::{Browser, Session, Tenant};

/// Writes a pretty-printed Chrome HAR of about `target_bytes`: portal noise
/// with base64 images, ARM `/batch` traffic, and one failing package upload
/// in the middle. Streams entries, so memory stays small whatever the size.
pub fn write_large_har(out: &mut dyn Write, target_bytes: u64, seed: u64) -> io::Result<u64> {
    let tenant = Tenant {
        subscription: "6f3c8a52-1d4e-4b7a-9c21-0e5d8f7a9b13".into(),
        resource_group: "rg-render-prod".into(),
        account: "contosobatch".into(),
        storage: "contosobatchsa".into(),
        region: "westeurope".into(),
    };
    let mut s = Session::new(Browser::Chrome, seed, tenant, 1_714_557_600);
    let head = b"{\n  \"log\": {\n    \"version\": \"1.2\",\n    \"creator\": {\n      \"name\": \"WebInspector\",\n      \"version\": \"537.36\"\n    },\n    \"pages\": [],\n    \"entries\": [\n";
    out.write_all(head)?;
    let mut written = head.len() as u64;
    let mut first = true;
    let mut failed = false;
    while written < target_bytes {
        s.noise(200, 12_000);
        if !failed && written > target_bytes / 2 {
            s.package_upload("render", "2.1.0", Some((409, "AutoStorageNoPermission", "The managed identity does not have permission to access auto storage account. Please use Azure RBAC to assign the managed identity access to auto storage.")), false);
            failed = true;
        }
        for e in s.entries.drain(..) {
            let text = serde_json::to_string_pretty(&e).map_err(io::Error::other)?;
            let mut chunk = String::with_capacity(text.len() + text.len() / 8);
            if !first {
                chunk.push_str(",\n");
            }
            first = false;
            for (i, line) in text.lines().enumerate() {
                if i > 0 {
                    chunk.push('\n');
                }
                chunk.push_str("      ");
                chunk.push_str(line);
            }
            out.write_all(chunk.as_bytes())?;
            written += chunk.len() as u64;
        }
    }
    let tail = b"\n    ]\n  }\n}\n";
    out.write_all(tail)?;
    Ok(written + tail.len() as u64)
}
