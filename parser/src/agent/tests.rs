use super::*;
use scan::NAME_WINDOW;

const J: &str = "pool not fully joined yet, health=Status.TvmJoinPoolInProgress";

fn sample(n: usize) -> String {
    let mut s = String::from("20240501T100000.000Z 01 agent.main:start {\"TVMName\":\"tvm-5_1-x\",\"PoolName\":\"pool-q\"}\r\n");
    for i in 0..n {
        let t = 1 + i;
        s.push_str(&format!(
            "20240501T10{:02}{:02}.000Z 02 agent.join:_join_pool_async:120 {J}\r\n",
            t / 60 % 60,
            t % 60
        ));
        s.push_str("20240501T100000.500Z 03 agent.misc:noise:7 \u{1}\u{2} block chars\n");
    }
    s
}

fn opts(chunk: usize, max_line: usize) -> LogOptions {
    LogOptions {
        chunk_bytes: chunk,
        max_line_bytes: max_line,
    }
}

#[test]
fn same_summary_for_any_chunk_size() {
    let data = sample(50);
    let whole = scan::scan_chunk(data.as_bytes(), 0, 1 << 20);
    assert_eq!(whole.join_count, 50);
    assert_eq!(whole.lines, 101);
    for chunk in [1, 7, 64, 1000, 1 << 20] {
        let r = read_agent_log(
            data.as_bytes(),
            &Location::file("a.log"),
            &opts(chunk, 1 << 20),
        );
        assert_eq!(r.summary, whole, "chunk {chunk}");
        assert!(r.error.is_none() && r.warnings.is_empty());
    }
}

#[test]
fn long_lines_are_cut_in_bounded_memory() {
    let mut data = format!("2024-05-01T10:00:00Z {J}\n").into_bytes();
    data.extend(b"2024-05-01T10:00:01Z ");
    data.extend(std::iter::repeat_n(b'x', 10_000));
    data.extend(b" health=Status.TvmJoinPoolInProgress\n");
    data.extend(format!("2024-05-01T10:20:00Z {J}\n").into_bytes());
    let r = read_agent_log(&data[..], &Location::file("long.log"), &opts(100, 500));
    assert_eq!(r.summary.lines, 3);
    assert_eq!(r.summary.bytes, data.len() as u64);
    // The marker beyond the limit is not seen; the lines around it are.
    assert_eq!(r.summary.join_count, 2);
    assert_eq!(r.summary.join_last.as_ref().unwrap().line, 2);
    assert_eq!(
        r.summary.join_last.as_ref().unwrap().offset,
        (data.len() - J.len() - 22) as u64
    );
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].contains("long.log:2: 1 line is longer than 500 bytes"),
        "{}",
        r.warnings[0]
    );
}

#[test]
fn a_single_huge_line_without_newline() {
    let data = vec![b'y'; 50_000];
    let r = read_agent_log(&data[..], &Location::file("one.log"), &opts(1000, 4096));
    assert_eq!(r.summary.lines, 1);
    assert_eq!(r.summary.bytes, 50_000);
    assert_eq!(r.warnings.len(), 1);
}

#[test]
fn read_errors_keep_what_was_read() {
    struct Failing(Vec<u8>, bool);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.1 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "corrupt deflate stream",
                ));
            }
            self.1 = true;
            let n = self.0.len().min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            Ok(n)
        }
    }
    let data = format!("2024-05-01T10:00:00Z {J}\n2024-05-01T10:00:01Z {J}\n");
    let r = read_agent_log(
        Failing(data.clone().into_bytes(), false),
        &Location::file("x.gz"),
        &opts(1 << 16, 1 << 16),
    );
    assert_eq!(r.summary.join_count, 2);
    let e = r.error.unwrap();
    assert!(matches!(e.kind, InputErrorKind::Decompress(_)), "{e}");
    assert_eq!(e.location.offset, Some(data.len() as u64));
}

proptest::proptest! {
    /// Chunk and line limits change nothing for lines within the limit, and
    /// arbitrary bytes never panic.
    #[test]
    fn chunking_invariance(lines in proptest::collection::vec(proptest::prelude::any::<Vec<u8>>(), 0..30), chunk in 1usize..200, joins in proptest::collection::vec(proptest::prelude::any::<bool>(), 30)) {
        let mut data = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let l: Vec<u8> = l.iter().copied().filter(|&b| b != b'\n').collect();
            data.extend(&l);
            if joins[i] {
                data.extend(b" health=Status.TvmJoinPoolInProgress");
            }
            data.push(b'\n');
        }
        let whole = scan::scan_chunk(&data, 0, 1 << 20);
        let r = read_agent_log(&data[..], &Location::file("p.log"), &opts(chunk, 1 << 20));
        proptest::prop_assert_eq!(r.summary, whole);
    }

    /// The in-memory path and the streaming path agree on any bytes, any chunking and any line limit.
    #[test]
    fn slice_and_stream_agree(data in proptest::collection::vec(proptest::prop_oneof![proptest::prelude::Just(b'\n'), proptest::prelude::any::<u8>()], 0..3000), chunk in 1usize..300, max_line in 1usize..400) {
        let mut data = data;
        data.extend_from_slice(b"\n2024-05-01T10:00:00Z health=Status.TvmJoinPoolInProgress\n");
        let a = read_agent_log(&data[..], &Location::file("p.log"), &opts(chunk, max_line));
        let b = read_agent_slice(&data, &Location::file("p.log"), &opts(chunk, max_line));
        proptest::prop_assert_eq!(&a.summary, &b.summary);
        proptest::prop_assert_eq!(a.warnings, b.warnings);
    }

    #[test]
    fn arbitrary_bytes(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000), chunk in 1usize..100, max_line in 1usize..300) {
        let r = read_agent_log(&data[..], &Location::file("r.log"), &opts(chunk, max_line));
        proptest::prop_assert_eq!(r.summary.bytes, data.len() as u64);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
    /// Chunks of a mapped file search the names in parallel, each skipping
    /// a name an earlier one found: the first in the file still wins.
    #[test]
    fn names_in_any_chunk_agree_with_the_stream(
        pieces in proptest::collection::vec(proptest::prop_oneof![
            proptest::prelude::Just("{\"TVMName\":\"n1\"}\n".to_string()),
            proptest::prelude::Just("TVMName=n2 PoolName=p2\n".to_string()),
            proptest::prelude::Just("'PoolName': 'p3'\n".to_string()),
            proptest::prelude::Just("PoolName\"\"\n".to_string()),
            "[a-z =\n]{0,40}",
        ], 0..40),
        chunk in 1usize..120,
        max_line in 8usize..200,
    ) {
        let data = pieces.concat().into_bytes();
        let loc = Location::file("n.log");
        let a = read_agent_slice(&data, &loc, &opts(chunk, max_line));
        let b = read_agent_log(&data[..], &loc, &opts(chunk, max_line));
        proptest::prop_assert_eq!(&a.summary, &b.summary);
    }
}

#[test]
fn names_are_read_from_the_head_of_each_file() {
    let filler =
        "2024-05-01T10:00:00Z filler line without names\n".repeat((NAME_WINDOW as usize) / 40);
    let late = format!("{filler}2024-05-01T11:00:00Z {{\"TVMName\":\"late\"}}\n");
    for chunk in [1 << 16, 1 << 22] {
        let r = read_agent_log(
            late.as_bytes(),
            &Location::file("n.log"),
            &opts(chunk, 1 << 20),
        );
        assert_eq!(r.summary.node, None, "chunk {chunk}");
        let s = read_agent_slice(
            late.as_bytes(),
            &Location::file("n.log"),
            &opts(chunk, 1 << 20),
        );
        assert_eq!(s.summary, r.summary);
    }
    let early = format!("2024-05-01T09:00:00Z {{'TVMName': 'early', 'PoolName': 'p'}}\n{filler}");
    let r = read_agent_log(
        early.as_bytes(),
        &Location::file("n.log"),
        &opts(1 << 16, 1 << 20),
    );
    assert_eq!(
        (r.summary.node.as_deref(), r.summary.pool.as_deref()),
        (Some("early"), Some("p"))
    );
}

/// Found by the `agent_line` fuzz target: a timestamp that starts inside the
/// line limit but ends beyond it was read by one path and not the other.
#[test]
fn timestamps_past_the_line_limit_are_not_read_by_either_path() {
    let line = format!(
        "{}2024-05-01T10:00:00Z {}\n2024-05-01T11:00:00Z ok\n",
        "x".repeat(50),
        "y".repeat(100)
    );
    let o = opts(13, 64);
    let a = read_agent_log(line.as_bytes(), &Location::file("f.log"), &o);
    let b = read_agent_slice(line.as_bytes(), &Location::file("f.log"), &o);
    assert_eq!(a.summary, b.summary);
    assert_eq!(
        a.summary.first_time,
        Some(1_714_561_200_000),
        "only the second line's time is within the limit"
    );
}

/// Found by the `agent_line` fuzz target: a last line exactly as long as the
/// limit was counted as too long when streamed.
#[test]
fn a_line_exactly_at_the_limit_is_not_long() {
    let data = vec![b'z'; 64];
    let o = opts(13, 64);
    let a = read_agent_log(&data[..], &Location::file("f.log"), &o);
    let b = read_agent_slice(&data, &Location::file("f.log"), &o);
    assert_eq!(a.summary, b.summary);
    assert_eq!(a.summary.long_lines, 0);
    assert!(a.warnings.is_empty());
}
