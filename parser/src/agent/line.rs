//! The grammar of the pieces of an `agent-debug.log` line that batchdiag reads.
//!
//! The line layout is not public, so nothing here depends on field order:
//! the timestamp is searched for near the start of the line in any common
//! form, and messages are matched by content (`health=Status.<Name>`,
//! `"TVMName":"<id>"`, `'PoolName': '<id>'`). Lines are bytes: non-UTF-8 and
//! control characters are simply not part of any token.

use nom::branch::alt;
use nom::bytes::complete::{take_while1, take_while_m_n};
use nom::character::complete::{char, one_of, space0};
use nom::combinator::opt;
use nom::sequence::preceded;
use nom::{IResult, Parser};

use std::sync::LazyLock;

use memchr::memmem;

/// How far into a line a timestamp may start.
const TIMESTAMP_WINDOW: usize = 96;

fn digits<const N: usize>(i: &[u8]) -> IResult<&[u8], u32> {
    take_while_m_n(N, N, |b: u8| b.is_ascii_digit())
        .map(|d: &[u8]| d.iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')))
        .parse(i)
}

/// `.123`, `,123456`: returns milliseconds.
fn fraction(i: &[u8]) -> IResult<&[u8], u32> {
    let (i, _) = one_of(".,").parse(i)?;
    let (i, d) = take_while1(|b: u8| b.is_ascii_digit()).parse(i)?;
    let mut ms = 0u32;
    for k in 0..3 {
        ms = ms * 10 + d.get(k).map_or(0, |b| u32::from(b - b'0'));
    }
    Ok((i, ms))
}

/// `Z`, `+02:00`, `-0530`: returns the offset in minutes east of UTC.
fn zone(i: &[u8]) -> IResult<&[u8], i32> {
    alt((
        char('Z').map(|_| 0),
        (one_of("+-"), digits::<2>, opt(char(':')), digits::<2>).map(|(sign, h, _, m)| {
            let mins = (h * 60 + m) as i32;
            if sign == '-' {
                -mins
            } else {
                mins
            }
        }),
    ))
    .parse(i)
}

/// Civil date and time as parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts {
    y: u32,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    ms: u32,
    offset_min: i32,
}

impl Parts {
    /// From the parsed fields; a missing fraction is 0, a missing zone is UTC.
    fn new(
        (y, mo, d): (u32, u32, u32),
        (h, mi, s): (u32, u32, u32),
        ms: Option<u32>,
        offset: Option<i32>,
    ) -> Self {
        Parts {
            y,
            mo,
            d,
            h,
            mi,
            s,
            ms: ms.unwrap_or(0),
            offset_min: offset.unwrap_or(0),
        }
    }
}

/// ISO 8601 with `-` and `:` separators, `T` or a space between date and time.
fn iso(i: &[u8]) -> IResult<&[u8], Parts> {
    let (i, (y, _, mo, _, d)) =
        (digits::<4>, char('-'), digits::<2>, char('-'), digits::<2>).parse(i)?;
    let (i, _) = one_of("Tt ").parse(i)?;
    let (i, (h, _, mi, _, s)) =
        (digits::<2>, char(':'), digits::<2>, char(':'), digits::<2>).parse(i)?;
    let (i, ms) = opt(fraction).parse(i)?;
    let (i, offset) = opt(preceded(space0, zone)).parse(i)?;
    Ok((i, Parts::new((y, mo, d), (h, mi, s), ms, offset)))
}

/// The compact form seen in agent logs: `20220421T164300.123Z`.
fn compact(i: &[u8]) -> IResult<&[u8], Parts> {
    let (i, (y, mo, d)) = (digits::<4>, digits::<2>, digits::<2>).parse(i)?;
    let (i, _) = one_of("Tt").parse(i)?;
    let (i, (h, mi, s)) = (digits::<2>, digits::<2>, digits::<2>).parse(i)?;
    let (i, ms) = opt(fraction).parse(i)?;
    let (i, offset) = opt(zone).parse(i)?;
    Ok((i, Parts::new((y, mo, d), (h, mi, s), ms, offset)))
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Parts {
    fn valid(&self) -> bool {
        (1970..=2200).contains(&self.y)
            && (1..=12).contains(&self.mo)
            && (1..=31).contains(&self.d)
            && self.h < 24
            && self.mi < 60
            && self.s <= 60
    }

    fn epoch_ms(&self) -> i64 {
        let days = days_from_civil(i64::from(self.y), self.mo, self.d);
        let secs =
            days * 86_400 + i64::from(self.h) * 3600 + i64::from(self.mi) * 60 + i64::from(self.s)
                - i64::from(self.offset_min) * 60;
        secs * 1000 + i64::from(self.ms)
    }
}

/// Finds the first timestamp within the first bytes of a line (bracketed or
/// not, ISO or compact) and returns it as Unix milliseconds. A time without
/// a zone is taken as UTC, which is what the node agent writes.
pub fn find_timestamp(line: &[u8]) -> Option<i64> {
    let window = &line[..line.len().min(TIMESTAMP_WINDOW)];
    for p in 0..window.len() {
        let b = window[p];
        if !b.is_ascii_digit() || (p > 0 && window[p - 1].is_ascii_digit()) {
            continue;
        }
        // The window bounds where a timestamp starts, not where it ends.
        let rest = &line[p..];
        if let Ok((_, parts)) = alt((iso, compact)).parse(rest) {
            if parts.valid() {
                return Some(parts.epoch_ms());
            }
        }
    }
    None
}

/// The marker of a node health report.
pub const HEALTH_MARKER: &[u8] = b"health=Status.";

/// The health status of a node that has not finished joining its pool.
pub const JOIN_IN_PROGRESS: &[u8] = b"TvmJoinPoolInProgress";

/// A byte of a status name (`TvmJoinPoolInProgress`, `Ok`).
fn is_status_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The length of the status name at the start of `rest` (what follows the
/// marker); 0 when there is none. The one grammar of a status name: the
/// scan compares it where the marker ends, [`health_status`] reads it from a line.
pub fn status_len(rest: &[u8]) -> usize {
    // Most reports of a stuck node are this one: a compare, not a walk.
    if rest.starts_with(JOIN_IN_PROGRESS)
        && !rest
            .get(JOIN_IN_PROGRESS.len())
            .copied()
            .is_some_and(is_status_byte)
    {
        return JOIN_IN_PROGRESS.len();
    }
    rest.iter()
        .position(|&b| !is_status_byte(b))
        .unwrap_or(rest.len())
}

/// The status name after `health=Status.` (e.g. `TvmJoinPoolInProgress`).
pub fn health_status(line: &[u8]) -> Option<&[u8]> {
    static FINDER: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(HEALTH_MARKER));
    let at = FINDER.find(line)?;
    let rest = &line[at + HEALTH_MARKER.len()..];
    let n = status_len(rest);
    (n > 0).then(|| &rest[..n])
}

/// The value of a `key` written as JSON (`"key":"v"`), a Python dict
/// (`'key': 'v'`) or `key=v`, wherever it appears in the line.
pub fn field_value<'a>(line: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let finder = memmem::Finder::new(key);
    let mut from = 0;
    while let Some(k) = finder.find(&line[from..]) {
        let at = from + k;
        from = at + key.len();
        if let Ok((_, v)) = quoted_value(&line[from..]) {
            if !v.is_empty() {
                return Some(v);
            }
        }
    }
    None
}

fn quoted_value(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, close) = opt(one_of("\"'")).parse(i)?;
    let (i, _) = (space0, one_of(":="), space0).parse(i)?;
    match close {
        Some(_) => {
            let (i, q) = one_of("\"'").parse(i)?;
            let end = i.iter().position(|&b| b == q as u8).unwrap_or(i.len());
            Ok((&i[end..], &i[..end]))
        }
        None => {
            let end = i
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b == b',' || b == b'}' || b == b';')
                .unwrap_or(i.len());
            let v = &i[..end];
            let v = v.strip_prefix(b"\"").unwrap_or(v);
            let v = v.strip_suffix(b"\"").unwrap_or(v);
            Ok((&i[end..], v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_650_559_380_123; // 2022-04-21T16:43:00.123Z

    #[test]
    fn timestamps_in_any_common_form() {
        let cases: &[&[u8]] = &[
            b"20220421T164300.123Z pid=12 agent.core:_run:88 msg",
            b"2022-04-21T16:43:00.123Z INFO msg",
            b"2022-04-21 16:43:00,123 INFO msg",
            b"[2022-04-21T16:43:00.123456] msg",
            b"2022-04-21T18:43:00.123+02:00 msg",
            b"2022-04-21T18:43:00.123 +0200 msg",
            b"INFO 12345 [2022-04-21 16:43:00.123Z] msg",
            b"\xff\x00garbage 20220421T164300.123 msg",
        ];
        for c in cases {
            assert_eq!(
                find_timestamp(c),
                Some(T0),
                "{}",
                String::from_utf8_lossy(c)
            );
        }
        assert_eq!(find_timestamp(b"2022-04-21T16:43:00Z"), Some(T0 - 123));
    }

    #[test]
    fn not_timestamps() {
        for c in [
            &b"no time here"[..],
            b"1234567890 12:00",
            b"2022-13-01T00:00:00Z",
            b"9999-99-99 99:99:99",
            b"",
        ] {
            assert_eq!(find_timestamp(c), None, "{}", String::from_utf8_lossy(c));
        }
        // Too far into the line to be the line's timestamp.
        let mut far = vec![b'x'; 200];
        far.extend_from_slice(b" 2022-04-21T16:43:00Z");
        assert_eq!(find_timestamp(&far), None);
    }

    #[test]
    fn health_statuses() {
        assert_eq!(
            health_status(b"... pool not fully joined yet, health=Status.TvmJoinPoolInProgress\r"),
            Some(&b"TvmJoinPoolInProgress"[..])
        );
        assert_eq!(health_status(b"x health=Status.Ok;"), Some(&b"Ok"[..]));
        assert_eq!(health_status(b"x health=Status."), None);
        assert_eq!(health_status(b"pull images status: Status.Ok"), None);
    }

    #[test]
    fn status_names_end_at_the_first_other_byte() {
        for (rest, n) in [
            (&b"TvmJoinPoolInProgress"[..], 21),
            (b"TvmJoinPoolInProgress\r\n", 21),
            (b"TvmJoinPoolInProgressX", 22),
            (b"TvmJoinPoolInProgress_2 x", 23),
            (b"Ok;", 2),
            (b"", 0),
            (b" Ok", 0),
        ] {
            assert_eq!(status_len(rest), n, "{}", String::from_utf8_lossy(rest));
        }
    }

    #[test]
    fn node_and_pool_fields() {
        let json = br#"{"TVMName":"tvm-1695681911_1-20231004t120000z","PoolName":"pool-a","TVMAllocationTime":"133411680000000000"}"#;
        assert_eq!(
            field_value(json, b"TVMName"),
            Some(&b"tvm-1695681911_1-20231004t120000z"[..])
        );
        assert_eq!(field_value(json, b"PoolName"), Some(&b"pool-a"[..]));
        let dict = b"{'PoolName': 'render-pool', 'TVMBootTime': '133411680000000000'}";
        assert_eq!(field_value(dict, b"PoolName"), Some(&b"render-pool"[..]));
        assert_eq!(
            field_value(b"PoolName=p1 TVMName=n1", b"TVMName"),
            Some(&b"n1"[..])
        );
        assert_eq!(field_value(b"PoolNameless", b"PoolName"), None);
        assert_eq!(field_value(br#""TVMName": """#, b"TVMName"), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = find_timestamp(&line);
            let _ = health_status(&line);
            // The fast path for the common name agrees with the walk.
            let walk = line.iter().position(|&b| !is_status_byte(b)).unwrap_or(line.len());
            proptest::prop_assert_eq!(status_len(&line), walk);
            let _ = field_value(&line, b"TVMName");
        }

        #[test]
        fn iso_round_trip(secs in 0i64..7_000_000_000, ms in 0i64..1000) {
            let t = jiff::Timestamp::from_second(secs).unwrap();
            let line = format!("{} msg", t.strftime("%Y-%m-%dT%H:%M:%S"));
            let line = line.replacen(" msg", &format!(".{ms:03}Z msg"), 1);
            proptest::prop_assert_eq!(find_timestamp(line.as_bytes()), Some(secs * 1000 + ms));
        }
    }
}
