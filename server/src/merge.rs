//! One bundle from several uploaded files.
//!
//! The reader reads one input per call and assembles join loops within
//! that read, so the parts of a multipart upload are read one by one and
//! merged here: inputs in upload order, per-input evidence in input order,
//! then every join loop ordered by pool and node, as the reader orders a
//! bundle. What this cannot do is join the rotated logs of one node sent as
//! separate parts into one loop (each part gives its own); an archive of
//! the node's logs, or a reader API that reads several named streams as one
//! bundle, does.

use batchdiag_parser::{Bundle, Evidence};

/// Merges the bundles of one upload.
pub fn merge(bundles: Vec<Bundle>) -> Bundle {
    if bundles.len() == 1 {
        return bundles.into_iter().next().unwrap_or_default();
    }
    let mut inputs = Vec::new();
    let mut evidence = Vec::new();
    let mut loops: Vec<Evidence> = Vec::new();
    for b in bundles {
        inputs.extend(b.inputs);
        for e in b.evidence {
            if e.fact.as_join_loop().is_some() {
                loops.push(e);
            } else {
                evidence.push(e);
            }
        }
    }
    // Stable, as the reader's own sort: equal keys keep upload order.
    loops.sort_by(|a, b| {
        let key = |e: &Evidence| {
            e.fact
                .as_join_loop()
                .map(|j| (j.pool.clone(), j.node.clone()))
        };
        key(a).cmp(&key(b))
    });
    evidence.extend(loops);
    Bundle { inputs, evidence }
}

#[cfg(test)]
mod tests {
    use super::*;
    use batchdiag_parser::{ReadOptions, Reader};

    fn log(node: &str) -> String {
        format!("2024-05-01T10:00:00Z pool not fully joined yet, \"TVMName\":\"{node}\", health=Status.TvmJoinPoolInProgress\n2024-05-01T10:30:00Z pool not fully joined yet, health=Status.TvmJoinPoolInProgress\n")
    }

    #[test]
    fn inputs_in_order_and_loops_last_sorted() {
        let r = Reader::new(ReadOptions::default());
        let b = log("tvm-b");
        let a = log("tvm-a");
        let merged = merge(vec![
            r.read_bytes("x/node-b/agent-debug.log", b.as_bytes()),
            r.read_bytes("x/node-a/agent-debug.log", a.as_bytes()),
        ]);
        let paths: Vec<&str> = merged.inputs.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            ["x/node-b/agent-debug.log", "x/node-a/agent-debug.log"]
        );
        let nodes: Vec<_> = merged
            .evidence
            .iter()
            .filter_map(|e| e.fact.as_join_loop().map(|j| j.node.clone()))
            .collect();
        assert_eq!(nodes.len(), 2, "{:?}", merged.evidence);
        assert!(nodes[0] < nodes[1], "{nodes:?}");
    }
}
