//! `analyze --each`'s driver: many independent bundles on every thread of
//! the pool, their results handed over in input order.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

/// Runs `work` on every item on the threads of `pool` and gives each result
/// to `write` in the items' order, as soon as it and all before it are done.
///
/// At most `ahead` items past the oldest unwritten one are started, so a
/// slow item holds back at most that many finished results (memory stays
/// bounded), while a thread that finishes never waits for a slow neighbour.
/// The first error of `write` stops the run: items already running finish,
/// those not yet begun are skipped; a panic in `work` is raised again here
/// the same way.
pub(crate) fn ordered<T, R, E>(
    pool: &rayon::ThreadPool,
    items: &[T],
    ahead: usize,
    work: impl Fn(&T) -> R + Sync,
    mut write: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
{
    let ahead = ahead.max(1);
    let (tx, rx) = mpsc::channel();
    let work = &work;
    // Set when the run ends early: nobody waits for more results then.
    let stop = &AtomicBool::new(false);
    // The calling thread only hands out work and writes: it is not one of
    // the pool's threads, so `--jobs N` still means N threads working.
    pool.in_place_scope(|scope| {
        let mut started = 0;
        let mut written = 0;
        let mut done: BTreeMap<usize, R> = BTreeMap::new();
        while written < items.len() {
            while started < items.len() && started < written + ahead {
                let (i, item, tx) = (started, &items[started], tx.clone());
                scope.spawn(move |_| {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    // Sent even when `work` panics, so the writer never waits
                    // for a result that cannot come.
                    let r = panic::catch_unwind(AssertUnwindSafe(|| work(item)));
                    let _ = tx.send((i, r));
                });
                started += 1;
            }
            let (i, r) = rx
                .recv()
                .expect("every started item sends its result, and the sender outlives them");
            match r {
                Ok(r) => done.insert(i, r),
                Err(p) => {
                    stop.store(true, Ordering::Relaxed);
                    panic::resume_unwind(p)
                }
            };
            while let Some(r) = done.remove(&written) {
                written += 1;
                if let Err(e) = write(r) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn pool(n: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("threads")
    }

    #[test]
    fn results_come_in_input_order_whatever_finishes_first() {
        let items: Vec<u64> = (0..200).collect();
        let mut out = Vec::new();
        ordered(
            &pool(2),
            &items,
            8,
            // Early items are the slow ones: they finish after later ones.
            |&i| {
                if i % 16 == 0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
                i * 2
            },
            |r| {
                out.push(r);
                Ok::<_, ()>(())
            },
        )
        .expect("no error");
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn no_more_than_ahead_items_are_in_flight() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let items: Vec<usize> = (0..100).collect();
        let mut n = 0;
        ordered(
            &pool(4),
            &items,
            3,
            |_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(1));
                running.fetch_sub(1, Ordering::SeqCst);
            },
            |()| {
                n += 1;
                Ok::<_, ()>(())
            },
        )
        .expect("no error");
        assert_eq!(n, 100);
        assert!(most.load(Ordering::SeqCst) <= 3, "{most:?}");
    }

    #[test]
    fn the_first_write_error_stops_the_run() {
        let items: Vec<usize> = (0..1000).collect();
        let started = AtomicUsize::new(0);
        let mut written = Vec::new();
        let r = ordered(
            &pool(2),
            &items,
            4,
            |&i| {
                started.fetch_add(1, Ordering::SeqCst);
                i
            },
            |i| {
                if i == 10 {
                    return Err("closed");
                }
                written.push(i);
                Ok(())
            },
        );
        assert_eq!(r, Err("closed"));
        assert_eq!(written, (0..10).collect::<Vec<_>>());
        assert!(started.load(Ordering::SeqCst) <= 10 + 1 + 4);
    }

    #[test]
    fn items_not_begun_when_the_write_fails_are_skipped() {
        let items: Vec<usize> = (0..100).collect();
        let started = AtomicUsize::new(0);
        let r = ordered(
            &pool(1),
            &items,
            100,
            |_| {
                started.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
            },
            |()| Err("closed"),
        );
        assert_eq!(r, Err("closed"));
        // The first item failed to write while the second was running: the
        // other 98 queued ones never ran.
        assert!(started.load(Ordering::SeqCst) < 10, "{started:?}");
    }

    #[test]
    fn a_panic_in_the_work_reaches_the_caller_instead_of_a_hang() {
        let items: Vec<usize> = (0..20).collect();
        let caught = panic::catch_unwind(AssertUnwindSafe(|| {
            ordered(
                &pool(2),
                &items,
                4,
                |&i| assert!(i != 7, "bundle 7"),
                |()| Ok::<_, ()>(()),
            )
        }));
        assert!(caught.is_err());
    }

    #[test]
    fn nothing_to_do_is_done_at_once() {
        let mut called = false;
        ordered(
            &pool(1),
            &[] as &[u8],
            4,
            |_| (),
            |()| {
                called = true;
                Ok::<_, ()>(())
            },
        )
        .expect("no error");
        assert!(!called);
    }
}
