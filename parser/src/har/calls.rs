//! The portal's ARM `/batch` calls of a capture, successful or not, for a
//! timeline: when each was made, its outer status and how its inner
//! responses went.
//!
//! Only entries already recognized as `/batch` calls are recorded, so the
//! cost on the rest of a large capture is nil. The record is bounded: up to
//! [`CALLS_MAX`] calls are kept one by one; past that they are counted in
//! buckets of time whose width grows (each width a multiple of the one
//! before, so buckets merge exactly) to keep at most [`BUCKETS_MAX`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Calls kept one by one; a capture with more is summarized in buckets.
pub const CALLS_MAX: usize = 500;
/// Most buckets kept once calls are summarized.
pub const BUCKETS_MAX: usize = 300;
/// Bucket widths in seconds, each a multiple of the one before.
const WIDTHS: [i64; 12] = [1, 2, 10, 30, 60, 120, 600, 1800, 3600, 7200, 21600, 86400];

/// The first failing inner response of a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InnerFailure {
    /// Its `httpStatusCode`.
    pub status: u16,
    /// Its ARM error code, when the body had one.
    #[serde(default)]
    pub code: Option<String>,
}

/// One `/batch` call as the reader saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCall {
    /// `startedDateTime` (RFC 3339, UTC), when the entry had a readable one.
    #[serde(default)]
    pub time: Option<String>,
    /// Index of the entry in `log.entries` (0-based), as evidence sources name it.
    pub entry: u64,
    /// The outer HTTP status.
    pub status: u16,
    /// Inner responses in the body (0 when the capture dropped it).
    pub responses: u64,
    /// Inner responses with `httpStatusCode` >= 400.
    pub failed: u64,
    /// The first of them.
    #[serde(default)]
    pub first_failure: Option<InnerFailure>,
}

/// The calls of one slice of time, once there are too many to keep one by one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallBucket {
    /// Start of the slice (RFC 3339, UTC); it lasts [`BatchCalls::bucket_seconds`].
    pub start: String,
    /// Calls in the slice.
    pub calls: u64,
    /// Calls whose outer status was >= 400 or that held a failing inner response.
    pub failed_calls: u64,
    /// Inner responses in those calls.
    pub responses: u64,
    /// Failing inner responses in those calls.
    pub failed_responses: u64,
}

/// Every `/batch` call of a capture: one by one, or in buckets past [`CALLS_MAX`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCalls {
    /// The calls in time order (untimed ones last), when there are at most [`CALLS_MAX`]; else empty.
    #[serde(default)]
    pub calls: Vec<BatchCall>,
    /// True when there were more calls than [`CALLS_MAX`] and `buckets` holds them instead.
    #[serde(default)]
    pub aggregated: bool,
    /// Width of every bucket in seconds (0 when not aggregated).
    #[serde(default)]
    pub bucket_seconds: u64,
    /// Buckets in time order, only those with calls.
    #[serde(default)]
    pub buckets: Vec<CallBucket>,
    /// Calls without a readable time: counted here, placed nowhere.
    #[serde(default)]
    pub untimed: u64,
}

/// What extraction learned of one `/batch` call, before it is kept.
#[derive(Debug, Clone, Default)]
pub struct CallRecord {
    /// Unix milliseconds of `startedDateTime`.
    pub time_ms: Option<i64>,
    /// Outer status.
    pub status: u16,
    /// Inner responses.
    pub responses: u64,
    /// Failing inner responses.
    pub failed: u64,
    /// The first failing one.
    pub first_failure: Option<InnerFailure>,
}

impl CallRecord {
    fn failing(&self) -> bool {
        self.status >= 400 || self.failed > 0
    }
}

/// Counts of one bucket while reading.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    calls: u64,
    failed_calls: u64,
    responses: u64,
    failed_responses: u64,
}

/// Collects [`CallRecord`]s in bounded memory.
#[derive(Debug, Default)]
pub struct CallLog {
    calls: Vec<(CallRecord, u64)>,
    /// Index into [`WIDTHS`] once aggregated.
    width: Option<usize>,
    buckets: BTreeMap<i64, Counts>,
    untimed: u64,
}

fn rfc3339(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_string())
}

impl CallLog {
    /// Keeps the call of entry `entry`.
    pub fn push(&mut self, call: CallRecord, entry: u64) {
        if self.width.is_none() {
            self.calls.push((call, entry));
            if self.calls.len() > CALLS_MAX {
                self.width = Some(0);
                for (c, _) in std::mem::take(&mut self.calls) {
                    self.count(&c);
                }
            }
        } else {
            self.count(&call);
        }
    }

    fn width_ms(&self) -> i64 {
        let i = self.width.unwrap_or(0);
        match WIDTHS.get(i) {
            Some(w) => w * 1000,
            // Past a day: whole days, doubling.
            None => 86_400_000 << (i + 1 - WIDTHS.len()).min(30),
        }
    }

    fn count(&mut self, c: &CallRecord) {
        let Some(t) = c.time_ms else {
            self.untimed += 1;
            return;
        };
        let key = t.div_euclid(self.width_ms());
        let b = self.buckets.entry(key).or_default();
        b.calls += 1;
        b.failed_calls += u64::from(c.failing());
        b.responses += c.responses;
        b.failed_responses += c.failed;
        while self.buckets.len() > BUCKETS_MAX {
            self.widen();
        }
    }

    /// Doubles (or more) the bucket width, merging buckets that now share one.
    fn widen(&mut self) {
        let old = self.width_ms();
        self.width = Some(self.width.unwrap_or(0) + 1);
        let factor = self.width_ms() / old;
        let mut merged: BTreeMap<i64, Counts> = BTreeMap::new();
        for (k, c) in std::mem::take(&mut self.buckets) {
            let m = merged.entry(k.div_euclid(factor)).or_default();
            m.calls += c.calls;
            m.failed_calls += c.failed_calls;
            m.responses += c.responses;
            m.failed_responses += c.failed_responses;
        }
        self.buckets = merged;
    }

    /// The record as the report holds it; `None` when there was no call.
    pub fn finish(mut self) -> Option<BatchCalls> {
        if self.calls.is_empty() && self.width.is_none() {
            return None;
        }
        if self.width.is_some() {
            let w = self.width_ms();
            let buckets = self
                .buckets
                .iter()
                .filter_map(|(k, c)| {
                    Some(CallBucket {
                        start: rfc3339(k.checked_mul(w)?)?,
                        calls: c.calls,
                        failed_calls: c.failed_calls,
                        responses: c.responses,
                        failed_responses: c.failed_responses,
                    })
                })
                .collect();
            return Some(BatchCalls {
                calls: Vec::new(),
                aggregated: true,
                bucket_seconds: (w / 1000) as u64,
                buckets,
                untimed: self.untimed,
            });
        }
        // Time order; a call without a time goes last, in entry order.
        self.calls
            .sort_by_key(|(c, entry)| (c.time_ms.is_none(), c.time_ms, *entry));
        let untimed = self
            .calls
            .iter()
            .filter(|(c, _)| c.time_ms.is_none())
            .count() as u64;
        let calls = self
            .calls
            .into_iter()
            .map(|(c, entry)| BatchCall {
                time: c.time_ms.and_then(rfc3339),
                entry,
                status: c.status,
                responses: c.responses,
                failed: c.failed,
                first_failure: c.first_failure,
            })
            .collect();
        Some(BatchCalls {
            calls,
            untimed,
            ..BatchCalls::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_714_557_600_000;

    fn call(t: Option<i64>, failed: u64) -> CallRecord {
        CallRecord {
            time_ms: t,
            status: 200,
            responses: 2,
            failed,
            first_failure: (failed > 0).then(|| InnerFailure {
                status: 409,
                code: Some("AutoStorageNoPermission".into()),
            }),
        }
    }

    #[test]
    fn a_few_calls_are_kept_one_by_one_in_time_order() {
        let mut log = CallLog::default();
        log.push(call(Some(T0 + 5_000), 1), 7);
        log.push(call(None, 0), 8);
        log.push(call(Some(T0), 0), 9);
        let b = log.finish().expect("calls");
        assert!(!b.aggregated);
        assert_eq!(
            b.calls.iter().map(|c| c.entry).collect::<Vec<_>>(),
            [9, 7, 8]
        );
        assert_eq!(b.calls[0].time.as_deref(), Some("2024-05-01T10:00:00Z"));
        assert_eq!(b.calls[1].first_failure.as_ref().unwrap().status, 409);
        assert_eq!(b.untimed, 1);
    }

    #[test]
    fn no_call_gives_nothing() {
        assert_eq!(CallLog::default().finish(), None);
    }

    #[test]
    fn forty_thousand_calls_become_at_most_the_bucket_limit_and_lose_no_count() {
        let mut log = CallLog::default();
        // 40,000 calls, one every 250 ms over about 2.8 hours, every 1000th failing.
        for i in 0..40_000u64 {
            log.push(call(Some(T0 + i as i64 * 250), u64::from(i % 1000 == 0)), i);
        }
        log.push(call(None, 0), 40_000);
        let b = log.finish().expect("calls");
        assert!(b.aggregated && b.calls.is_empty());
        assert!(b.buckets.len() <= BUCKETS_MAX, "{}", b.buckets.len());
        assert!(b.buckets.len() > BUCKETS_MAX / 10, "{}", b.buckets.len());
        assert_eq!(b.buckets.iter().map(|x| x.calls).sum::<u64>(), 40_000);
        assert_eq!(b.buckets.iter().map(|x| x.failed_calls).sum::<u64>(), 40);
        assert_eq!(b.buckets.iter().map(|x| x.responses).sum::<u64>(), 80_000);
        assert_eq!(b.untimed, 1);
        assert_eq!(b.bucket_seconds, 60);
        assert!(b.buckets.windows(2).all(|w| w[0].start < w[1].start));
        assert_eq!(b.buckets[0].start, "2024-05-01T10:00:00Z");
    }

    #[test]
    fn calls_years_apart_still_fit() {
        let mut log = CallLog::default();
        for i in 0..2_000i64 {
            log.push(call(Some(T0 + i * 86_400_000 * 3), 0), i as u64);
        }
        let b = log.finish().expect("calls");
        assert!(b.buckets.len() <= BUCKETS_MAX);
        assert_eq!(b.buckets.iter().map(|x| x.calls).sum::<u64>(), 2_000);
    }
}
