//! Deterministic generator of node-agent logs (`agent-debug.log`) and of
//! "upload batch logs" bundles.
//!
//! The exact line layout of the agent is not public (`../shared/domain.md`),
//! so nodes are written in several plausible layouts, all built from the
//! known pieces: a UTC timestamp near the line start (compact
//! `20220421T164300.123Z`, ISO with `T` or a space, `.` or `,` fractions,
//! bracketed), Python-style function names, `Status.<Name>` values, JSON
//! fragments (`"TVMName"`, `"PoolName"`, FILETIME ticks), Python dict reprs
//! and the odd non-printable byte.

use std::io::{self, Write};
use std::path::Path;

use crate::har_gen::{jiff_like, Rng};

/// How a node writes its timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `20220421T164300.123Z 1234 INFO agent.core:func:12 message`
    Compact,
    /// `2022-04-21T16:43:00.123Z INFO [agent.core] func: message`
    Iso,
    /// `2022-04-21 16:43:00,123 - agent.core - INFO - func - message`
    Python,
    /// `[2022-04-21 16:43:00.123] [INFO] func message`
    Bracketed,
}

/// One node to generate.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// Pool id.
    pub pool: String,
    /// Node id, with `_` as Batch writes it.
    pub node: String,
    /// Line layout.
    pub layout: Layout,
    /// Seconds of join-in-progress reports before `health=Status.Ok`; `None`: never (stuck).
    pub joins_for: Option<u64>,
    /// Unix seconds of the first line.
    pub start: i64,
    /// Approximate size in bytes.
    pub bytes: usize,
    /// Seconds between two join reports.
    pub join_every: u64,
    /// Write `"TVMName"` / `"PoolName"` into the log.
    pub names_in_content: bool,
}

const FILETIME_EPOCH: i64 = 116_444_736_000_000_000;

fn stamp(layout: Layout, ms: i64) -> String {
    let c = jiff_like(ms.div_euclid(1000), ms.rem_euclid(1000) as u64);
    let iso = c.utc(); // 2024-05-01T10:00:00.123Z
    let (date, time) = (&iso[..10], &iso[11..23]);
    match layout {
        Layout::Compact => format!("{}T{}Z", date.replace('-', ""), time.replace(':', "")),
        Layout::Iso => iso,
        Layout::Python => format!("{date} {}", time.replace('.', ",")),
        Layout::Bracketed => format!("[{date} {time}]"),
    }
}

#[allow(clippy::too_many_arguments)] // one argument per field of a log line
fn line(
    layout: Layout,
    ms: i64,
    pid: u32,
    level: &str,
    module: &str,
    func: &str,
    lineno: u32,
    msg: &str,
) -> String {
    let ts = stamp(layout, ms);
    match layout {
        Layout::Compact => format!("{ts} {pid} {level} {module}:{func}:{lineno} {msg}\n"),
        Layout::Iso => format!("{ts} {level} [{module}] {func}:{lineno}: {msg}\n"),
        Layout::Python => format!("{ts} - {module} - {level} - {func} - {msg}\n"),
        Layout::Bracketed => format!("{ts} [{level}] [{pid}] {module}.{func} {msg}\n"),
    }
}

const NOISE: &[(&str, &str, &str)] = &[
    (
        "agent.core.tasks",
        "_poll_tasks_async",
        "polling for tasks, running=0, queued=0",
    ),
    (
        "agent.core.heartbeat",
        "_send_heartbeat_async",
        "heartbeat sent, status=200",
    ),
    (
        "agent.container",
        "pull_container_images_async",
        "pull images status: Status.Ok",
    ),
    (
        "agent.storage",
        "_refresh_mounts",
        "mounts refreshed: 0 changed",
    ),
    (
        "agent.core.metrics",
        "_collect",
        "cpu=3.2 mem=812MB disk_free=61GB",
    ),
    (
        "agent.identity",
        "_imds_probe",
        "imds reachable at 169.254.169.254, latency_ms=2",
    ),
    ("agent.core", "_watchdog", "watchdog ok \u{1}\u{7}"),
];

/// Writes a node's whole log.
pub fn node_log(spec: &NodeSpec, rng: &mut Rng, out: &mut dyn Write) -> io::Result<u64> {
    let mut written = 0u64;
    let mut ms = spec.start * 1000;
    let pid = 1000 + rng.below(30000) as u32;
    let alloc_ticks = spec.start * 10_000_000 + FILETIME_EPOCH;
    let emit = |s: String, out: &mut dyn Write| -> io::Result<u64> {
        out.write_all(s.as_bytes())?;
        Ok(s.len() as u64)
    };
    let first = if spec.names_in_content {
        format!("node started {{\"TVMName\":\"{}\",\"PoolName\":\"{}\",\"TVMAllocationTime\":\"{alloc_ticks}\"}}", spec.node, spec.pool)
    } else {
        format!("node started {{\"TVMAllocationTime\":\"{alloc_ticks}\"}}")
    };
    written += emit(
        line(
            spec.layout,
            ms,
            pid,
            "INFO",
            "agent.main",
            "main",
            88,
            &first,
        ),
        out,
    )?;
    written += emit(
        line(
            spec.layout,
            ms + 3,
            pid,
            "DEBUG",
            "agent.main",
            "_boot",
            120,
            &format!(
                "{{'TVMBootTime': '{}', 'Version': '1.11.3'}}",
                alloc_ticks + 41_000_000
            ),
        ),
        out,
    )?;
    let mut next_join = ms + 2_000;
    let join_until = spec.joins_for.map(|s| ms + (s * 1000) as i64);
    let mut joined = false;
    while (written as usize) < spec.bytes {
        ms += 200 + rng.below(1800) as i64;
        if !joined && ms >= next_join {
            if join_until.is_some_and(|end| ms >= end) {
                written += emit(
                    line(
                        spec.layout,
                        ms,
                        pid,
                        "INFO",
                        "agent.nodestate",
                        "_wait_for_join_async",
                        233,
                        "pool joined, health=Status.Ok",
                    ),
                    out,
                )?;
                joined = true;
            } else {
                written += emit(
                    line(
                        spec.layout,
                        ms,
                        pid,
                        "INFO",
                        "agent.nodestate",
                        "_wait_for_join_async",
                        233,
                        "pool not fully joined yet, health=Status.TvmJoinPoolInProgress",
                    ),
                    out,
                )?;
                next_join = ms + (spec.join_every * 1000) as i64;
            }
            continue;
        }
        let (module, func, msg) = NOISE[rng.below(NOISE.len() as u64) as usize];
        written += emit(
            line(
                spec.layout,
                ms,
                pid,
                if rng.below(5) == 0 { "DEBUG" } else { "INFO" },
                module,
                func,
                40 + rng.below(900) as u32,
                msg,
            ),
            out,
        )?;
        if joined && rng.below(40) == 0 {
            written += emit(
                line(
                    spec.layout,
                    ms + 1,
                    pid,
                    "DEBUG",
                    "agent.nodestate",
                    "_report_health",
                    301,
                    "node health reported, health=Status.Ok",
                ),
                out,
            )?;
        }
    }
    Ok(written)
}

/// Splits a log into rotated files, oldest first: `(name, bytes)`.
/// The oldest ones are gzip-compressed, as logrotate leaves them.
pub fn rotate(log: &[u8], parts: usize, base: &str) -> Vec<(String, Vec<u8>)> {
    let parts = parts.max(1);
    let mut cuts = vec![0];
    for k in 1..parts {
        let target = log.len() * k / parts;
        let cut = log[target..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(log.len(), |p| target + p + 1);
        cuts.push(cut);
    }
    cuts.push(log.len());
    let mut files = Vec::new();
    for k in 0..parts {
        let body = &log[cuts[k]..cuts[k + 1]];
        let n = parts - 1 - k;
        if n == 0 {
            files.push((base.to_string(), body.to_vec()));
        } else if n >= 2 {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(body).expect("writing to memory");
            files.push((
                format!("{base}.{n}.gz"),
                gz.finish().expect("writing to memory"),
            ));
        } else {
            files.push((format!("{base}.{n}"), body.to_vec()));
        }
    }
    files
}

/// The directory name "upload batch logs" gives a node: `_` becomes `-`.
pub fn upload_dir(spec: &NodeSpec, rng: &mut Rng) -> String {
    format!(
        "{}/{}/{}",
        spec.pool,
        spec.node.replace('_', "-"),
        rng.guid()
    )
}

/// A file of a bundle: relative path and bytes.
pub type BundleFile = (String, Vec<u8>);

/// The files of an "upload batch logs" bundle for these nodes.
pub fn bundle_files(nodes: &[NodeSpec], rotations: usize, seed: u64) -> Vec<BundleFile> {
    let mut rng = Rng::new(seed);
    let mut files = Vec::new();
    for spec in nodes {
        let mut log = Vec::with_capacity(spec.bytes + 4096);
        node_log(spec, &mut rng, &mut log).expect("writing to memory");
        let dir = upload_dir(spec, &mut rng);
        for (name, bytes) in rotate(&log, rotations, "agent-debug.log") {
            files.push((format!("{dir}/{name}"), bytes));
        }
        files.push((
            format!("{dir}/agent-service.log"),
            b"2024-05-01 10:00:00,000 service started\n".to_vec(),
        ));
    }
    files
}

/// Writes files under `dir`.
pub fn write_dir(dir: &Path, files: &[BundleFile]) -> io::Result<()> {
    for (name, bytes) in files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, bytes)?;
    }
    Ok(())
}

/// A tar.gz of the files, under `prefix/`.
pub fn write_tar_gz(out: impl Write, files: &[BundleFile], prefix: &str) -> io::Result<()> {
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (name, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_714_557_600);
        h.set_cksum();
        tar.append_data(&mut h, format!("{prefix}{name}"), &bytes[..])?;
    }
    tar.into_inner()?.finish()?;
    Ok(())
}

/// A zip of the files, under `prefix/`.
pub fn write_zip<W: Write + io::Seek>(
    out: W,
    files: &[BundleFile],
    prefix: &str,
) -> io::Result<()> {
    let mut zip = zip::ZipWriter::new(out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in files {
        zip.start_file(format!("{prefix}{name}"), opts)
            .map_err(io::Error::other)?;
        zip.write_all(bytes)?;
    }
    zip.finish().map_err(io::Error::other)?;
    Ok(())
}

/// A realistic fleet: `count` nodes over a few pools, `stuck` of them stuck.
pub fn fleet(count: usize, stuck: usize, bytes_per_node: usize, start: i64) -> Vec<NodeSpec> {
    let layouts = [
        Layout::Compact,
        Layout::Iso,
        Layout::Python,
        Layout::Bracketed,
    ];
    (0..count)
        .map(|i| NodeSpec {
            pool: format!("pool-{}", ["render", "etl", "sim"][i % 3]),
            node: format!("tvm-1695681911_{}-20240501t095{}00z", i + 1, i % 10),
            layout: layouts[i % layouts.len()],
            joins_for: if i % (count / stuck.max(1)).max(1) == 0
                && i / (count / stuck.max(1)).max(1) < stuck
            {
                None
            } else {
                Some(60 + (i as u64 % 7) * 20)
            },
            start: start + (i as i64 % 13) * 7,
            bytes: bytes_per_node,
            join_every: 5,
            names_in_content: i % 2 == 0,
        })
        .collect()
}
