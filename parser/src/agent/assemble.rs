//! From log files to nodes: rotated files of one node are joined in time
//! order, the node is attributed to its pool, and its join loop becomes
//! evidence.
//!
//! Files belong to the same node when they sit in the same directory (of the
//! same archive): that is how "upload batch logs" and the node itself lay
//! them out. Pool and node ids come from the content (`"PoolName"`,
//! `"TVMName"`) when a line names them, else from the upload layout
//! `<poolId>/<nodeId>/<unique id>/...`.

use std::collections::BTreeMap;

use super::scan::{HealthPoint, Summary};
use crate::evidence::{Attribution, Evidence, Fact, FileTimes, HealthReport, JoinLoop};
use crate::location::Location;

/// One log file and its summary.
#[derive(Debug, Clone)]
pub struct LogFile {
    /// Where the file is (path, and member inside an archive).
    pub location: Location,
    /// What it holds.
    pub summary: Summary,
}

impl LogFile {
    /// The virtual path: the path, then `!/member` inside archives.
    pub fn virtual_path(&self) -> String {
        match &self.location.member {
            Some(m) => format!("{}!/{m}", self.location.path),
            None => self.location.path.clone(),
        }
    }

    /// Files of one node: the same directory and the same base name once
    /// the rotation suffix (`.1`, `.2.gz`) is removed.
    fn node_key(&self) -> String {
        let p = self.virtual_path();
        let name = p.rsplit(['/', '\\']).next().unwrap_or("");
        let dir = &p[..p.len() - name.len()];
        let stem = name.strip_suffix(".gz").unwrap_or(name);
        let stem = match stem.rsplit_once('.') {
            Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
            _ => stem,
        };
        format!("{dir}{stem}")
    }

    /// `agent-debug.log.3.gz` is rotation 3; the live file is 0.
    fn rotation(&self) -> u32 {
        let p = self.virtual_path();
        let name = p.rsplit(['/', '\\']).next().unwrap_or("");
        let name = name.strip_suffix(".gz").unwrap_or(name);
        name.rsplit('.')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

fn is_guid_like(s: &str) -> bool {
    s.len() >= 32
        && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        && s.chars().filter(|c| c.is_ascii_hexdigit()).count() >= 32
}

/// Pool and node from the upload layout `<poolId>/<nodeId>/<unique id>/...`.
pub fn layout_ids(virtual_path: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = virtual_path
        .split(['/', '\\', '!'])
        .filter(|s| !s.is_empty())
        .collect();
    let dirs = &parts[..parts.len().saturating_sub(1)];
    // Batch node ids start with `tvm-`; the pool is the directory above.
    if let Some(i) = dirs
        .iter()
        .rposition(|d| d.len() > 4 && d[..4].eq_ignore_ascii_case("tvm-"))
    {
        if i > 0 {
            return Some((dirs[i - 1].to_string(), dirs[i].to_string()));
        }
    }
    // Otherwise a unique-id directory with the pool and node above it.
    let i = dirs.iter().rposition(|d| is_guid_like(d))?;
    (i >= 2).then(|| (dirs[i - 2].to_string(), dirs[i - 1].to_string()))
}

/// Joins the files of each node and returns one join-loop evidence item per
/// node that reported `TvmJoinPoolInProgress`, ordered by pool and node.
pub fn assemble(files: Vec<LogFile>) -> Vec<Evidence> {
    let mut groups: BTreeMap<String, Vec<LogFile>> = BTreeMap::new();
    for f in files {
        groups.entry(f.node_key()).or_default().push(f);
    }
    let mut out: Vec<Evidence> = groups.into_values().filter_map(node_loop).collect();
    out.sort_by(|a, b| {
        let key = |e: &Evidence| {
            e.fact
                .as_join_loop()
                .map(|j| (j.pool.clone(), j.node.clone()))
        };
        key(a).cmp(&key(b))
    });
    out
}

fn rfc3339(ms: Option<i64>) -> Option<String> {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| t.to_string())
}

fn node_loop(mut files: Vec<LogFile>) -> Option<Evidence> {
    if files.iter().all(|f| f.summary.join_count == 0) {
        return None;
    }
    // Time order when every file has a timestamp; otherwise rotation order (.2 before .1 before the live file).
    if files.iter().all(|f| f.summary.first_time.is_some()) {
        files.sort_by_key(|f| (f.summary.first_time, std::cmp::Reverse(f.rotation())));
    } else {
        files.sort_by_key(|f| std::cmp::Reverse(f.rotation()));
    }
    let total = files
        .iter()
        .enumerate()
        .map(|(i, f)| f.summary.clone().in_file(i))
        .reduce(Summary::then_file)
        .unwrap_or_default();
    let at = |p: &HealthPoint| -> Location {
        let f = &files[p.file.min(files.len() - 1)].location;
        Location {
            line: Some(p.line + 1),
            offset: Some(p.offset),
            ..f.clone()
        }
    };
    let first = total.join_first.as_ref()?;
    let last = total.join_last.as_ref()?;
    let layout = files.first().and_then(|f| layout_ids(&f.virtual_path()));
    let (pool, node, attribution) = match (&total.pool, &total.node, &layout) {
        (p, Some(n), l) => (
            p.clone().or(l.as_ref().map(|l| l.0.clone())),
            Some(n.clone()),
            Attribution::Content,
        ),
        (p, None, Some((lp, ln))) => (
            p.clone().or(Some(lp.clone())),
            Some(ln.clone()),
            Attribution::Layout,
        ),
        (p, None, None) => (
            p.clone(),
            None,
            if p.is_some() {
                Attribution::Content
            } else {
                Attribution::Unknown
            },
        ),
    };
    let join = JoinLoop {
        pool,
        node,
        attribution,
        count: total.join_count,
        first: rfc3339(first.time),
        last: rfc3339(last.time),
        duration_seconds: first.time.zip(last.time).map(|(a, b)| (b - a) / 1000),
        ended: total.ended_by.is_some(),
        ended_by: total.ended_by.as_ref().map(|p| HealthReport {
            status: p.status.clone(),
            time: rfc3339(p.time),
            source: at(p),
        }),
        last_source: at(last),
        log_end: rfc3339(total.last_time),
        files: files.iter().map(LogFile::virtual_path).collect(),
        file_times: files
            .iter()
            .map(|f| FileTimes {
                first: rfc3339(f.summary.first_time),
                last: rfc3339(f.summary.last_time),
            })
            .collect(),
    };
    Some(Evidence {
        source: at(first),
        time: rfc3339(first.time),
        fact: Fact::JoinLoop(join),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::scan::scan_chunk;

    #[test]
    fn layout_attribution() {
        assert_eq!(
            layout_ids("b.zip!/pool-a/tvm-1695681911-1-20231004t120000z/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0/agent-debug.log"),
            Some(("pool-a".into(), "tvm-1695681911-1-20231004t120000z".into()))
        );
        assert_eq!(
            layout_ids("logs/render/node-7/0b1c2d3e4f5061728394a5b6c7d8e9f0/sub/agent-debug.log"),
            Some(("render".into(), "node-7".into()))
        );
        assert_eq!(layout_ids("agent-debug.log"), None);
        assert_eq!(layout_ids("tvm-1/agent-debug.log"), None);
    }

    fn file(path: &str, text: &str) -> LogFile {
        LogFile {
            location: Location::file(path),
            summary: scan_chunk(text.as_bytes(), 0, 1 << 20),
        }
    }

    const J: &str = "health=Status.TvmJoinPoolInProgress";

    #[test]
    fn rotated_files_join_in_time_order() {
        let dir = "p/pool-x/tvm-9_1-z/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
        let files = vec![
            file(
                &format!("{dir}/agent-debug.log"),
                &format!("2024-05-01T12:00:00Z {J}\n2024-05-01T12:30:00Z {J}\n"),
            ),
            file(
                &format!("{dir}/agent-debug.log.1"),
                &format!("2024-05-01T11:00:00Z {J}\nfoo\n"),
            ),
            file(
                &format!("{dir}/agent-debug.log.2.gz"),
                &format!("2024-05-01T10:00:00Z start\n2024-05-01T10:00:05Z {J}\n"),
            ),
            file("p/other/agent-debug.log", "2024-05-01T10:00:00Z nothing\n"),
        ];
        let ev = assemble(files);
        assert_eq!(ev.len(), 1);
        let j = ev[0].fact.as_join_loop().unwrap();
        assert_eq!(j.count, 4);
        assert_eq!(j.first.as_deref(), Some("2024-05-01T10:00:05Z"));
        assert_eq!(j.last.as_deref(), Some("2024-05-01T12:30:00Z"));
        assert_eq!(j.duration_seconds, Some(2 * 3600 + 30 * 60 - 5));
        assert!(!j.ended);
        assert_eq!(
            (j.pool.as_deref(), j.node.as_deref(), j.attribution.as_str()),
            (Some("pool-x"), Some("tvm-9_1-z"), "layout")
        );
        assert!(j.files[0].ends_with(".log.2.gz") && j.files[2].ends_with("agent-debug.log"));
        // Where each rotated file begins and ends, in the order of `files`.
        let spans: Vec<(Option<&str>, Option<&str>)> = j
            .file_times
            .iter()
            .map(|t| (t.first.as_deref(), t.last.as_deref()))
            .collect();
        assert_eq!(
            spans,
            [
                (Some("2024-05-01T10:00:00Z"), Some("2024-05-01T10:00:05Z")),
                (Some("2024-05-01T11:00:00Z"), Some("2024-05-01T11:00:00Z")),
                (Some("2024-05-01T12:00:00Z"), Some("2024-05-01T12:30:00Z")),
            ]
        );
        assert_eq!(ev[0].source.line, Some(2));
        assert!(ev[0].source.path.ends_with(".log.2.gz"));
        assert_eq!(j.last_source.line, Some(2));
        assert!(j.last_source.path.ends_with("agent-debug.log"));
    }

    #[test]
    fn flat_files_of_two_nodes_stay_apart() {
        let t = |n: &str| {
            format!("2024-05-01T10:00:00Z {{\"TVMName\":\"{n}\"}}\n2024-05-01T10:00:01Z {J}\n2024-05-01T10:30:00Z {J}\n")
        };
        let ev = assemble(vec![
            file("d/node1-agent-debug.log", &t("n1")),
            file("d/node2-agent-debug.log", &t("n2")),
            file("d/node2-agent-debug.log.1", &t("n2")),
        ]);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[1].fact.as_join_loop().unwrap().files.len(), 2);
    }

    #[test]
    fn content_names_win_and_a_later_status_ends_the_loop() {
        let text = format!(
            "2024-05-01T10:00:00Z {{\"TVMName\":\"tvm-1_2-x\",\"PoolName\":\"pp\"}}\n2024-05-01T10:00:01Z {J}\n2024-05-01T10:02:00Z health=Status.Ok\n"
        );
        let ev = assemble(vec![file("flat/node.log", &text)]);
        let j = ev[0].fact.as_join_loop().unwrap();
        assert_eq!(
            (j.pool.as_deref(), j.node.as_deref(), j.attribution.as_str()),
            (Some("pp"), Some("tvm-1_2-x"), "content")
        );
        assert!(j.ended);
        let e = j.ended_by.as_ref().unwrap();
        assert_eq!((e.status.as_str(), e.source.line), ("Ok", Some(3)));
    }
}
