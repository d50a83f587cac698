use std::io::Write as _;

use super::*;
use crate::limits::{Budget, Limits};

#[test]
fn nested_member_paths() {
    let outer = Location::file("b.zip");
    let inner = member_loc(&outer, "logs.tar.gz");
    assert_eq!(inner.member.as_deref(), Some("logs.tar.gz"));
    let deeper = member_loc(&inner, "p/n/agent-debug.log");
    assert_eq!(
        crate::input::virtual_path(&deeper),
        "b.zip!/logs.tar.gz!/p/n/agent-debug.log"
    );
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    for (n, b) in files {
        w.start_file(*n, o).unwrap();
        w.write_all(b).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn read(bytes: Vec<u8>, limits: Limits) -> Found {
    let opts = ReadOptions::default();
    let budget = Budget::new(limits);
    let ctx = Run {
        opts: &opts,
        budget: &budget,
    };
    read_item(
        Item {
            loc: Location::file("-"),
            reader: Box::new(std::io::Cursor::new(bytes)),
            explicit: true,
            depth: 0,
            compression: None,
            disk_path: None,
        },
        &ctx,
    )
}

const LOG: &[u8] = b"2024-05-01T10:00:00Z health=Status.TvmJoinPoolInProgress\n";

#[test]
fn zip_from_a_stream_is_read_in_memory_in_member_order() {
    let z = zip_of(&[
        ("p/n1/u/agent-debug.log", LOG),
        ("notes.txt", b"hello"),
        ("p/n2/u/agent-debug.log", LOG),
    ]);
    let f = read(z, Limits::default());
    let paths: Vec<&str> = f.inputs.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "-",
            "-!/p/n1/u/agent-debug.log",
            "-!/notes.txt",
            "-!/p/n2/u/agent-debug.log"
        ]
    );
    assert_eq!(f.inputs[0].members, Some(3));
    assert_eq!(f.logs.len(), 2);
    assert!(f.inputs.iter().all(|i| i.error.is_none()));
}

#[test]
fn in_memory_limit_for_streamed_zips() {
    let z = zip_of(&[("a/agent-debug.log", LOG)]);
    let f = read(
        z,
        Limits {
            max_in_memory_bytes: 10,
            ..Limits::default()
        },
    );
    assert!(f.inputs[0]
        .error
        .as_deref()
        .unwrap()
        .contains("max_in_memory"));
}

#[test]
fn member_size_limit_names_the_member() {
    let big = LOG.repeat(1000);
    let z = zip_of(&[("a/agent-debug.log", &big), ("b/agent-debug.log", LOG)]);
    let f = read(
        z,
        Limits {
            max_member_bytes: 10_000,
            ..Limits::default()
        },
    );
    let bad = &f.inputs[1];
    assert_eq!(bad.path, "-!/a/agent-debug.log");
    assert!(
        bad.error.as_deref().unwrap().contains("max_member_size"),
        "{:?}",
        bad.error
    );
    assert!(f.inputs[2].error.is_none(), "the next member is still read");
}

#[test]
fn tar_gz_stream_with_nested_gz_member() {
    let mut gz_member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz_member.write_all(LOG).unwrap();
    let gz_member = gz_member.finish().unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in [
        ("x/agent-debug.log.1.gz", &gz_member[..]),
        ("x/agent-debug.log", LOG),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, data).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    let f = read(gz.finish().unwrap(), Limits::default());
    assert_eq!(f.inputs[0].kind, InputKind::Tar);
    assert_eq!(f.inputs[0].compression.as_deref(), Some("gzip"));
    assert_eq!(f.inputs[1].compression.as_deref(), Some("gzip"));
    assert_eq!(f.logs.len(), 2);
    assert!(f.inputs.iter().all(|i| i.error.is_none()), "{:?}", f.inputs);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Damaged archives never panic: any prefix of a zip or a tar.gz.
    #[test]
    fn cut_archives_do_not_panic(cut in 0usize..2000) {
        let z = zip_of(&[("p/n/u/agent-debug.log", &LOG.repeat(20)), ("q.har", b"{\"log\":{\"entries\":[]}}")]);
        let _ = read(z[..cut.min(z.len())].to_vec(), Limits::default());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&z).unwrap();
        let g = gz.finish().unwrap();
        let _ = read(g[..cut.min(g.len())].to_vec(), Limits::default());
    }
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, *data).unwrap();
    }
    tar.into_inner().unwrap()
}

fn in_pool(threads: usize, bytes: Vec<u8>) -> Found {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| read(bytes, Limits::default()))
}

/// Compressed tar members are handed to other threads when there are any;
/// what is found, and in which order, must not depend on it.
#[test]
fn tar_members_handed_off_read_as_in_place() {
    let stuck = |node: u32| {
        (0..200)
            .map(|i| {
                format!(
                    "2024-05-01T10:{:02}:{:02}Z tvm-{node} health=Status.TvmJoinPoolInProgress\n",
                    i / 60,
                    i % 60
                )
            })
            .collect::<String>()
            .into_bytes()
    };
    let logs: Vec<Vec<u8>> = (0..6).map(stuck).collect();
    let gzs: Vec<Vec<u8>> = logs.iter().map(|l| gz(l)).collect();
    let cut = &gzs[5][..gzs[5].len() / 2];
    let nested_zip = zip_of(&[("agent-debug.log", &logs[4])]);
    let tar = tar_of(&[
        ("p/n0/agent-debug.log.1.gz", &gzs[0]),
        ("p/n0/agent-debug.log", &logs[0]),
        ("p/n1/agent-debug.log.1.gz", &gzs[1]),
        ("p/n2/agent-debug.log.2.gz", &gzs[2]),
        ("p/n3/logs.zip", &nested_zip),
        ("p/n4/agent-debug.log", &logs[3]),
        ("p/n5/agent-debug.log.1.gz", cut),
        ("p/n6/capture.har", b"{\"log\":{\"entries\":[]}}"),
    ]);
    let archive = gz(&tar);
    let one = in_pool(1, archive.clone());
    let two = in_pool(2, archive);
    assert_eq!(one.inputs, two.inputs);
    assert_eq!(one.evidence, two.evidence);
    assert_eq!(format!("{:?}", one.logs), format!("{:?}", two.logs));
    let paths: Vec<&str> = two.inputs.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths[1], "-!/p/n0/agent-debug.log.1.gz",
        "archive order: {paths:?}"
    );
    assert_eq!(paths.len(), 10, "{paths:?}");
    let cut = two
        .inputs
        .iter()
        .find(|i| i.path == "-!/p/n5/agent-debug.log.1.gz")
        .unwrap();
    assert!(cut.error.is_some(), "the cut member is named: {cut:?}");
    assert!(
        two.inputs.iter().filter(|i| i.error.is_some()).count() == 1,
        "{:?}",
        two.inputs
    );
}

/// A cut `.gz` inside an archive keeps what it held, and the error says
/// where it stopped, as the same file on disk would.
#[test]
fn a_cut_gz_member_keeps_its_lines() {
    // Small enough that the cut comes before the first 4 KiB of text (the
    // head read to recognise content), and large.
    for count in [40, 400] {
        let lines: String = (0..count)
            .map(|i| {
                format!(
                    "2024-05-01T10:{:02}:{:02}Z node {i} health=Status.TvmJoinPoolInProgress\n",
                    i / 60,
                    i % 60
                )
            })
            .collect();
        let whole = gz(lines.as_bytes());
        let cut = &whole[..whole.len() / 2];
        let tar = tar_of(&[("n/agent-debug.log.1.gz", cut)]);
        for threads in [1, 2] {
            let f = in_pool(threads, gz(&tar));
            let member = &f.inputs[1];
            assert_eq!(member.kind, InputKind::AgentLog, "{member:?}");
            let e = member
                .error
                .as_deref()
                .unwrap_or_else(|| panic!("the cut is an error: {member:?}"));
            assert!(e.contains("(byte "), "{e}");
            let read = member.log.as_ref().map_or(0, |l| l.lines);
            assert!(read >= count / 8, "{count} lines, {read} read: {member:?}");
        }
    }
}

/// A zip cut short (no central directory) still gives the members before the cut.
#[test]
fn a_cut_zip_gives_the_members_before_the_cut() {
    let big: Vec<u8> = (0..2000)
        .flat_map(|i| format!("2024-05-01T10:00:00Z line {i} health=Status.Ok\n").into_bytes())
        .collect();
    let z = zip_of(&[
        ("p/n1/agent-debug.log", LOG),
        ("p/n2/agent-debug.log", LOG),
        ("p/n3/agent-debug.log", &big),
    ]);
    let cut = z[..z.len() * 3 / 4].to_vec();
    let f = read(cut, Limits::default());
    let e = f.inputs[0].error.as_deref().expect("the cut is named");
    assert!(e.contains("read from their local headers"), "{e}");
    let paths: Vec<&str> = f.inputs.iter().map(|i| i.path.as_str()).collect();
    assert!(paths.contains(&"-!/p/n1/agent-debug.log"), "{paths:?}");
    assert!(paths.contains(&"-!/p/n2/agent-debug.log"), "{paths:?}");
    assert!(f.logs.len() >= 2);
    // Garbage is still no zip at all.
    let f = read(b"PK\x03\x04garbage".to_vec(), Limits::default());
    assert!(f.inputs[0]
        .error
        .as_deref()
        .unwrap()
        .contains("not a readable zip archive"));
}

/// On one thread a zip's members are all read through the archive opened
/// first; on two, each split reopens it: what is found is the same.
#[test]
fn zip_members_read_the_same_on_one_thread_and_on_two() {
    let log = |node: u32| {
        format!("2024-05-01T10:00:00Z tvm-{node} health=Status.TvmJoinPoolInProgress\n")
            .into_bytes()
    };
    let logs: Vec<Vec<u8>> = (0..8).map(log).collect();
    let nested = zip_of(&[("agent-debug.log", &logs[7])]);
    let mut files: Vec<(String, &[u8])> = (0..7)
        .map(|i| (format!("p/n{i}/agent-debug.log"), &logs[i][..]))
        .collect();
    files.push(("p/n7/logs.zip".into(), &nested));
    files.push(("p/n8/capture.har".into(), b"{\"log\":{\"entries\":[]}}"));
    let named: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    let archive = zip_of(&named);
    let one = in_pool(1, archive.clone());
    let two = in_pool(2, archive);
    assert_eq!(one.inputs, two.inputs);
    assert_eq!(one.evidence, two.evidence);
    assert_eq!(format!("{:?}", one.logs), format!("{:?}", two.logs));
    // The zip, 9 members and the nested zip's member, in archive order.
    let paths: Vec<&str> = one.inputs.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths.len(), 11, "{paths:?}");
    assert_eq!(paths[1], "-!/p/n0/agent-debug.log");
    assert_eq!(paths[9], "-!/p/n7/logs.zip!/agent-debug.log");
    assert!(
        one.inputs.iter().all(|i| i.error.is_none()),
        "{:?}",
        one.inputs
    );
}
