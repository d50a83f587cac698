//! Limits on decompression, so that no archive can make batchdiag use
//! unbounded time or memory (zip bombs, nested bombs, runaway members).
//!
//! Every decompressed stream is wrapped in a [`Guard`] that counts what
//! comes out and fails the read, with a [`LimitExceeded`] error naming the
//! limit and its flag, as soon as a member, the whole run, or the
//! compression ratio goes over. Nothing is ever written to disk, so these
//! limits bound only work and memory.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// The limits. Messages name each by its field name (`max_member_size`
/// and so on), which front ends map to their own spelling of it.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Decompressed bytes one member (or one `.gz`) may produce (`max_member_size`).
    pub max_member_bytes: u64,
    /// Decompressed bytes all archives together may produce (`max_total_size`).
    pub max_total_bytes: u64,
    /// Decompressed/compressed ratio above which a stream is a bomb (`max_ratio`),
    /// checked once a stream has produced [`RATIO_GRACE_BYTES`].
    pub max_ratio: u64,
    /// How deep archives may nest inside archives (`max_depth`).
    pub max_depth: u32,
    /// Largest nested zip read into memory to be opened (zip needs random access).
    pub max_in_memory_bytes: u64,
}

/// Small streams may compress very well (a log of identical lines); the
/// ratio is only judged past this much output.
pub const RATIO_GRACE_BYTES: u64 = 16 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_member_bytes: 4 << 30,
            max_total_bytes: 64 << 30,
            max_ratio: 1000,
            max_depth: 4,
            max_in_memory_bytes: 512 << 20,
        }
    }
}

/// A flag a caller raises to stop a read (a server whose client went
/// away). Reading stops at the next check, which is where the limits are
/// checked: every read of a decompressed or guarded stream, every archive member.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag not yet raised.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// Raises the flag: reads using it stop soon after.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the flag was raised.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The decompression budget shared by every input of one run, and the
/// run's cancel flag.
#[derive(Debug, Default)]
pub struct Budget {
    /// The limits.
    pub limits: Limits,
    used: AtomicU64,
    cancel: Cancel,
}

impl Budget {
    /// A budget with these limits.
    pub fn new(limits: Limits) -> Self {
        Budget::with_cancel(limits, Cancel::new())
    }

    /// A budget with these limits that stops when `cancel` is raised.
    pub fn with_cancel(limits: Limits, cancel: Cancel) -> Self {
        Budget {
            limits,
            used: AtomicU64::new(0),
            cancel,
        }
    }

    /// Whether the run was cancelled.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// Which limit a stream went over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    /// One member produced too much.
    #[error("decompressed data exceeds the per-member limit of {0} (max_member_size); reading stopped there")]
    Member(String),
    /// All archives together produced too much.
    #[error("decompressed data of all archives exceeds the limit of {0} (max_total_size); reading stopped there")]
    Total(String),
    /// The compression ratio is that of a bomb.
    #[error("compression ratio above {0}:1 (max_ratio), a likely decompression bomb; reading stopped there")]
    Ratio(u64),
    /// The caller cancelled the run.
    #[error("reading was cancelled")]
    Cancelled,
}

/// Formats a byte count for messages.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Counts bytes read through it, for the compressed side of a ratio.
#[derive(Debug)]
pub struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> Counted<R> {
    /// Wraps `inner`; the returned counter follows the bytes read.
    pub fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            Counted {
                inner,
                count: Arc::clone(&count),
            },
            count,
        )
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Where the compressed size of a guarded stream comes from.
#[derive(Debug, Clone)]
pub enum Compressed {
    /// Known in advance (a zip member's header).
    Known(u64),
    /// Counted as the compressed bytes are read.
    Counter(Arc<AtomicU64>),
}

/// Which limits a [`Guard`] enforces.
#[derive(Debug, Clone)]
pub struct Checks {
    /// The stream is one member's content: the per-member limit applies.
    pub member: bool,
    /// The stream is decompressed here: it counts toward the run's total,
    /// and its ratio to this compressed size is judged.
    pub decompressed: Option<Compressed>,
}

/// A stream under the limits.
pub struct Guard<'b, R> {
    inner: R,
    out: u64,
    checks: Checks,
    budget: &'b Budget,
    tripped: Option<LimitExceeded>,
}

impl<'b, R> Guard<'b, R> {
    /// Guards `inner` with `checks` against `budget`.
    pub fn new(inner: R, checks: Checks, budget: &'b Budget) -> Self {
        Guard {
            inner,
            out: 0,
            checks,
            budget,
            tripped: None,
        }
    }

    fn check(&self, n: u64) -> Option<LimitExceeded> {
        if self.budget.cancelled() {
            return Some(LimitExceeded::Cancelled);
        }
        let l = &self.budget.limits;
        let out = self.out + n;
        if self.checks.member && out > l.max_member_bytes {
            return Some(LimitExceeded::Member(human(l.max_member_bytes)));
        }
        let compressed = self.checks.decompressed.as_ref()?;
        if self.budget.used.fetch_add(n, Ordering::Relaxed) + n > l.max_total_bytes {
            return Some(LimitExceeded::Total(human(l.max_total_bytes)));
        }
        if out > RATIO_GRACE_BYTES {
            let c = match compressed {
                Compressed::Known(c) => *c,
                Compressed::Counter(c) => c.load(Ordering::Relaxed),
            };
            if out / c.max(1) > l.max_ratio {
                return Some(LimitExceeded::Ratio(l.max_ratio));
            }
        }
        None
    }
}

impl<R: Read> Read for Guard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(t) = &self.tripped {
            return Err(io::Error::other(t.clone()));
        }
        let n = self.inner.read(buf)?;
        if let Some(t) = self.check(n as u64) {
            self.tripped = Some(t.clone());
            return Err(io::Error::other(t));
        }
        self.out += n as u64;
        Ok(n)
    }
}

/// The limit behind an I/O error, if a [`Guard`] raised it.
pub fn limit_of(e: &io::Error) -> Option<&LimitExceeded> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<LimitExceeded>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(member: u64, total: u64, ratio: u64) -> Budget {
        Budget::new(Limits {
            max_member_bytes: member,
            max_total_bytes: total,
            max_ratio: ratio,
            ..Limits::default()
        })
    }

    fn known(c: u64) -> Checks {
        Checks {
            member: true,
            decompressed: Some(Compressed::Known(c)),
        }
    }

    #[test]
    fn member_cap() {
        let b = budget(1000, u64::MAX, u64::MAX);
        let mut g = Guard::new(&[0u8; 5000][..], known(10), &b);
        let mut out = Vec::new();
        let e = g.read_to_end(&mut out).unwrap_err();
        assert!(
            matches!(limit_of(&e), Some(LimitExceeded::Member(_))),
            "{e}"
        );
        assert!(out.len() <= 1000);
        assert!(e.to_string().contains("max_member_size"));
    }

    #[test]
    fn total_cap_is_shared() {
        let b = budget(u64::MAX, 6000, u64::MAX);
        let mut sink = Vec::new();
        Guard::new(&[0u8; 4000][..], known(4000), &b)
            .read_to_end(&mut sink)
            .unwrap();
        let e = Guard::new(&[0u8; 4000][..], known(4000), &b)
            .read_to_end(&mut sink)
            .unwrap_err();
        assert!(matches!(limit_of(&e), Some(LimitExceeded::Total(_))));
    }

    #[test]
    fn ratio_after_grace() {
        let b = budget(u64::MAX, u64::MAX, 100);
        let big = vec![0u8; (RATIO_GRACE_BYTES + 1_000_000) as usize];
        let e = Guard::new(&big[..], known(1000), &b)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(matches!(limit_of(&e), Some(LimitExceeded::Ratio(100))));
        // Under the grace size even a high ratio passes.
        Guard::new(&big[..1_000_000], known(10), &b)
            .read_to_end(&mut Vec::new())
            .unwrap();
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(512), "512 bytes");
        assert_eq!(human(4 << 30), "4.0 GiB");
    }
}
