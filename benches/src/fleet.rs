//! A labelled fleet: many one-file bundles (zip or tar.gz) as support finds
//! them in blob storage, for the Spark job and its tests.
//!
//! Every bundle is one of the corpus recipes ([`crate::corpus`]) packed into
//! a single archive, named under `bundles/region=R/sub-S/`, or one of a few
//! corrupt files. `labels.jsonl` says, per bundle, which diagnoses it must
//! give and whether it can be read: the labels are this table, written by
//! hand from the reviewed goldens, never what the analyzer answered.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::log_gen::{write_tar_gz, write_zip, BundleFile};

/// What a bundle must yield.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Read whole, no diagnosis.
    Clean,
    /// Read whole, at least one diagnosis.
    Diagnosed,
    /// Some part could not be read (exit code 3).
    InputError,
    /// Larger than the fleet job's size cap in the tests ([`OVERSIZED_BYTES`]).
    Oversized,
}

impl Expect {
    fn as_str(self) -> &'static str {
        match self {
            Expect::Clean => "clean",
            Expect::Diagnosed => "diagnosed",
            Expect::InputError => "input_error",
            Expect::Oversized => "oversized",
        }
    }
}

/// The oversized bundle is at least this big; the tests cap bundles at 2 MiB.
pub const OVERSIZED_BYTES: usize = 3 << 20;

/// Corpus recipe, the diagnosis codes it gives (one per diagnosis), what it yields.
const RECIPES: &[(&str, &[&str], Expect)] = &[
    (
        "ambiguous-denied-task",
        &["BD201", "BD202"],
        Expect::Diagnosed,
    ),
    ("bd101-chrome", &["BD101"], Expect::Diagnosed),
    ("bd101-chrome-gz", &["BD101"], Expect::Diagnosed),
    ("bd101-direct-put", &["BD101"], Expect::Diagnosed),
    ("bd101-firefox", &["BD101"], Expect::Diagnosed),
    ("bd101-sanitized-base64", &["BD101"], Expect::Diagnosed),
    ("bd101-truncated", &["BD101"], Expect::InputError),
    ("bd101-utf16-powershell", &["BD101"], Expect::Diagnosed),
    ("bd201-flat-content", &["BD201"], Expect::Diagnosed),
    ("bd201-nested", &["BD201"], Expect::Diagnosed),
    ("bd201-scenario3-confirmed", &["BD201"], Expect::Diagnosed),
    ("bd201-targz", &["BD201"], Expect::Diagnosed),
    ("bd201-upload-logs", &["BD201"], Expect::Diagnosed),
    ("bd201-zip", &["BD201"], Expect::Diagnosed),
    ("bd202-scenario2", &["BD202"], Expect::Diagnosed),
    ("bd202-storage-denied", &["BD202"], Expect::Diagnosed),
    ("bd203-scenario4", &["BD203"], Expect::Diagnosed),
    ("bd204-pool-without-identity", &["BD204"], Expect::Diagnosed),
    (
        "bd301-resource-file-identity",
        &["BD301"],
        Expect::Diagnosed,
    ),
    ("bd401-imds-client-id", &["BD401"], Expect::Diagnosed),
    (
        "bd402-imds-multiple-identities",
        &["BD402"],
        Expect::Diagnosed,
    ),
    ("bd403-storage-no-version", &["BD403"], Expect::Diagnosed),
    ("healthy-upload", &[], Expect::Clean),
    ("hostile-archives", &[], Expect::InputError),
    ("joined-nodes", &[], Expect::Clean),
    ("mixed-bd101-bd201", &["BD101", "BD201"], Expect::Diagnosed),
    ("mixed-two-accounts", &["BD101", "BD101"], Expect::Diagnosed),
    // Look-alikes: a 409 of another kind, SAS resource files, nodes that joined.
    ("other-409", &[], Expect::Clean),
    ("sas-resource-files", &[], Expect::Clean),
    ("scenario1-healthy", &[], Expect::Clean),
];

/// The corrupt kinds, in turn: every 40th bundle is one.
const CORRUPT: &[&str] = &["cut-zip", "garbage", "empty", "bad-gzip"];

const REGIONS: &[&str] = &["westeurope", "eastus", "southeastasia"];

/// Writes `n` bundles under `dir/bundles/` and their labels to `dir/labels.jsonl`.
pub fn write_fleet(n: usize, dir: &Path) -> io::Result<()> {
    let staging = staging_dir();
    let result = write_from(n, dir, &staging);
    let _ = std::fs::remove_dir_all(&staging);
    result
}

fn staging_dir() -> PathBuf {
    std::env::temp_dir().join(format!("batchdiag-fleet-{}", std::process::id()))
}

fn write_from(n: usize, dir: &Path, staging: &Path) -> io::Result<()> {
    crate::corpus::write_corpus(staging)?;
    let recipes: Vec<Vec<BundleFile>> = RECIPES
        .iter()
        .map(|(name, _, _)| load(&staging.join(name)))
        .collect::<io::Result<_>>()?;
    let mut labels = io::BufWriter::new(std::fs::File::create(dir_ok(dir)?.join("labels.jsonl"))?);
    let mut corrupt = 0;
    let mut recipe = 0;
    for i in 0..n {
        let region = REGIONS[i % REGIONS.len()];
        let folder = format!("bundles/region={region}/sub-{}", i % 7);
        std::fs::create_dir_all(dir.join(&folder))?;
        let (name, bytes, codes, expect): (String, Vec<u8>, &[&str], Expect) = if i % 40 == 39 {
            let kind = CORRUPT[corrupt % CORRUPT.len()];
            corrupt += 1;
            let (ext, bytes) = corrupt_bundle(kind, &recipes[1], i)?;
            // A cut capture still shows the calls before the cut (as the
            // bd101-truncated recipe): the cut zip holds recipe 1's HAR.
            let codes: &[&str] = if kind == "cut-zip" { RECIPES[1].1 } else { &[] };
            (
                format!("bundle-{i:05}-{kind}.{ext}"),
                bytes,
                codes,
                Expect::InputError,
            )
        } else if n >= 10 && i == n / 2 {
            (
                format!("bundle-{i:05}-oversized.zip"),
                oversized()?,
                &[],
                Expect::Oversized,
            )
        } else {
            let r = recipe % RECIPES.len();
            recipe += 1;
            let (rname, codes, expect) = RECIPES[r];
            // Alternate the container, as uploads come both ways; a recipe
            // holding archives goes in a zip, as tar.gz counts two levels of
            // the reader's nesting limit and would push its inner logs past it.
            let holds_archives = recipes[r].iter().any(|(n, _)| {
                [".zip", ".gz", ".tar", ".tgz", ".xz"]
                    .iter()
                    .any(|e| n.ends_with(e))
            });
            let (ext, bytes) = if i % 2 == 0 || holds_archives {
                ("zip", zip_of(&recipes[r], rname)?)
            } else {
                ("tar.gz", tgz_of(&recipes[r], rname)?)
            };
            (format!("bundle-{i:05}-{rname}.{ext}"), bytes, codes, expect)
        };
        let path = format!("{folder}/{name}");
        std::fs::write(dir.join(&path), &bytes)?;
        let label = serde_json::json!({
            "path": path,
            "codes": codes,
            "status": expect.as_str(),
            "size": bytes.len(),
        });
        writeln!(labels, "{label}")?;
    }
    labels.flush()
}

fn dir_ok(dir: &Path) -> io::Result<&Path> {
    std::fs::create_dir_all(dir)?;
    Ok(dir)
}

/// Every file under `dir`, by relative path in name order.
fn load(dir: &Path) -> io::Result<Vec<BundleFile>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)?.collect::<io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            if e.file_type()?.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .map_err(io::Error::other)?
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p)?));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn zip_of(files: &[BundleFile], name: &str) -> io::Result<Vec<u8>> {
    let mut buf = io::Cursor::new(Vec::new());
    write_zip(&mut buf, files, &format!("{name}/"))?;
    Ok(buf.into_inner())
}

fn tgz_of(files: &[BundleFile], name: &str) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    write_tar_gz(&mut buf, files, &format!("{name}/"))?;
    Ok(buf)
}

/// A file that looks like a bundle and is not one.
fn corrupt_bundle(
    kind: &str,
    sample: &[BundleFile],
    i: usize,
) -> io::Result<(&'static str, Vec<u8>)> {
    Ok(match kind {
        // An upload cut short: the central directory never arrived.
        "cut-zip" => {
            let whole = zip_of(sample, "cut")?;
            ("zip", whole[..whole.len() * 3 / 5].to_vec())
        }
        // Bytes of no known format, deterministic per bundle.
        "garbage" => {
            let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ i as u64;
            let bytes = (0..4096)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 32) as u8
                })
                .collect();
            ("zip", bytes)
        }
        "empty" => ("zip", Vec::new()),
        // A gzip header whose deflate stream is junk.
        _ => {
            let mut b = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
            b.extend(std::iter::repeat_n(0xff, 512));
            ("tar.gz", b)
        }
    })
}

/// A readable bundle past the size cap: a node log stored uncompressed.
fn oversized() -> io::Result<Vec<u8>> {
    let line =
        "2024-05-01T10:00:00Z pool not fully joined yet, health=Status.TvmJoinPoolInProgress\n";
    let log = line.repeat(OVERSIZED_BYTES / line.len() + 1).into_bytes();
    let mut buf = io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file("big/agent-debug.log", opts)
            .map_err(io::Error::other)?;
        z.write_all(&log)?;
        z.finish().map_err(io::Error::other)?;
    }
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cover_every_bundle_and_every_kind() {
        let dir = std::env::temp_dir().join(format!("batchdiag-fleet-test-{}", std::process::id()));
        write_fleet(120, &dir).unwrap();
        let labels = std::fs::read_to_string(dir.join("labels.jsonl")).unwrap();
        let rows: Vec<serde_json::Value> = labels
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 120);
        for r in &rows {
            let p = dir.join(r["path"].as_str().unwrap());
            assert_eq!(
                std::fs::metadata(&p).unwrap().len(),
                r["size"].as_u64().unwrap()
            );
        }
        for s in ["clean", "diagnosed", "input_error", "oversized"] {
            assert!(rows.iter().any(|r| r["status"] == s), "no {s} bundle");
        }
        let big = rows.iter().find(|r| r["status"] == "oversized").unwrap();
        assert!(big["size"].as_u64().unwrap() as usize > OVERSIZED_BYTES);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
