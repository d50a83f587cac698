//! `analyze --each`'s driver: many independent bundles, each read whole on
//! one thread, on as many threads as `--jobs` asks, their results handed
//! over in input order.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

/// Runs `work` on every item on `threads` threads and gives each result to
/// `write` in the items' order, as soon as it and all before it are done.
///
/// Each thread is the one thread of a rayon pool of its own, so whatever
/// rayon work an item does inside (a zip's members, a HAR's entries, a
/// log's chunks) runs on that thread, in order: with many items the
/// parallelism is across items. Splitting a small bundle across threads
/// only cost time (a zip reopened for each split, work handed over and
/// waited for) and memory (a thread waiting for its stolen half took up
/// another whole bundle meanwhile, so several bundles' buffers were live on
/// one stack). An item that is better read on many threads (a large one)
/// can still enter a shared pool from `work` with `ThreadPool::install`.
///
/// At most `ahead` items past the oldest unwritten one are started, so a
/// slow item holds back at most that many finished results (memory stays
/// bounded), while a thread that finishes never waits for a slow neighbour
/// unless that bound is reached. The first error of `write` stops the run:
/// items already running finish, those not yet begun are skipped; a panic
/// in `work` is raised again here the same way.
pub(crate) fn ordered<T, R, E>(
    threads: usize,
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
    let queue = Queue {
        state: Mutex::new(Turns {
            started: 0,
            written: 0,
            stop: false,
            waiting: 0,
        }),
        turn: Condvar::new(),
    };
    let (tx, rx) = mpsc::channel();
    let (work, queue) = (&work, &queue);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            let tx = tx.clone();
            scope.spawn(move || {
                // The thread's own pool: rayon calls made by `work` find it
                // as their current pool and run here. If it cannot be made,
                // they go to rayon's global pool instead: slower, same result.
                let own = rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .use_current_thread()
                    .build()
                    .ok();
                while let Some(i) = queue.next(items.len(), ahead) {
                    let item = &items[i];
                    // Sent even when `work` panics, so the writer never
                    // waits for a result that cannot come.
                    let r = panic::catch_unwind(AssertUnwindSafe(|| match &own {
                        Some(pool) => pool.install(|| work(item)),
                        None => work(item),
                    }));
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        // Only the workers hold senders now: if they all end, `recv` says so.
        drop(tx);
        let mut written = 0;
        let mut done: BTreeMap<usize, R> = BTreeMap::new();
        while written < items.len() {
            let (i, r) = rx
                .recv()
                .expect("every started item sends its result before its thread ends");
            match r {
                Ok(r) => done.insert(i, r),
                Err(p) => {
                    queue.stop();
                    panic::resume_unwind(p)
                }
            };
            while let Some(r) = done.remove(&written) {
                written += 1;
                queue.written(written);
                if let Err(e) = write(r) {
                    queue.stop();
                    return Err(e);
                }
            }
        }
        Ok(())
    })
}

/// A bundle file from this size on is read on all the pool's threads: its
/// members (a large HAR, many logs) are worth splitting, and it may be the
/// only bundle left to read. The fleets `--each` is for are far smaller
/// (the 2,000-bundle benchmark's largest is 3 MB, its median 12 KB).
pub(crate) const LARGE_BUNDLE_BYTES: u64 = 16 << 20;

/// Whether the bundle at `path` is better read on all threads: a file of
/// [`LARGE_BUNDLE_BYTES`] or more, a directory (its size unknown without a
/// walk) or standard input. A path that cannot be looked at is not: the
/// reader says what is wrong with it.
pub(crate) fn is_large(path: &str) -> bool {
    if path == "-" {
        return true;
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len() >= LARGE_BUNDLE_BYTES,
        Ok(_) => true,
        Err(_) => false,
    }
}

/// Which item the workers start next, and how far the writer has got.
struct Queue {
    state: Mutex<Turns>,
    /// Signalled when the writer moves on or the run stops.
    turn: Condvar,
}

struct Turns {
    started: usize,
    written: usize,
    stop: bool,
    /// Workers waiting for room (the writer wakes them only when some wait).
    waiting: usize,
}

impl Queue {
    /// The next item to start, waiting while `ahead` items past the oldest
    /// unwritten one are already started; `None` when there is none left
    /// or the run stopped.
    fn next(&self, len: usize, ahead: usize) -> Option<usize> {
        let mut t = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if t.stop || t.started >= len {
                return None;
            }
            if t.started < t.written + ahead {
                t.started += 1;
                return Some(t.started - 1);
            }
            t.waiting += 1;
            t = self.turn.wait(t).unwrap_or_else(|e| e.into_inner());
            t.waiting -= 1;
        }
    }

    fn written(&self, written: usize) {
        let mut t = self.state.lock().unwrap_or_else(|e| e.into_inner());
        t.written = written;
        if t.waiting > 0 {
            self.turn.notify_all();
        }
    }

    fn stop(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
        self.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn results_come_in_input_order_whatever_finishes_first() {
        let items: Vec<u64> = (0..200).collect();
        let mut out = Vec::new();
        ordered(
            2,
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
            4,
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
            2,
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
            1,
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
                2,
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
            1,
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

    #[test]
    fn an_items_rayon_work_stays_on_its_thread() {
        use rayon::prelude::*;
        let items: Vec<usize> = (0..16).collect();
        let mut seen = Vec::new();
        ordered(
            2,
            &items,
            4,
            |_| {
                let me = std::thread::current().id();
                // What a zip's members or a HAR's entries do inside a bundle.
                let others = (0..64)
                    .into_par_iter()
                    .filter(|_| std::thread::current().id() != me)
                    .count();
                let mut spawned_here = false;
                rayon::in_place_scope(|s| {
                    s.spawn(|_| spawned_here = std::thread::current().id() == me);
                });
                (rayon::current_num_threads(), others, spawned_here)
            },
            |r| {
                seen.push(r);
                Ok::<_, ()>(())
            },
        )
        .expect("no error");
        assert_eq!(seen, vec![(1, 0, true); 16]);
    }

    #[test]
    fn no_more_threads_than_asked_work_at_once() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let items: Vec<usize> = (0..40).collect();
        ordered(
            3,
            &items,
            100,
            |_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
                running.fetch_sub(1, Ordering::SeqCst);
            },
            |()| Ok::<_, ()>(()),
        )
        .expect("no error");
        assert!((2..=3).contains(&most.load(Ordering::SeqCst)), "{most:?}");
    }

    #[test]
    fn large_bundles_are_files_past_the_size_directories_and_stdin() {
        let dir = tempfile::tempdir().expect("temp dir");
        let small = dir.path().join("small.zip");
        std::fs::write(&small, b"PK").expect("write");
        let large = dir.path().join("large.zip");
        let f = std::fs::File::create(&large).expect("create");
        // Sparse: the size is what is judged, not the bytes.
        f.set_len(LARGE_BUNDLE_BYTES).expect("set_len");
        let path = |p: &std::path::Path| p.to_str().expect("utf-8").to_string();
        assert!(!is_large(&path(&small)));
        assert!(is_large(&path(&large)));
        assert!(is_large(&path(dir.path())));
        assert!(is_large("-"));
        assert!(!is_large(&path(&dir.path().join("missing.zip"))));
    }
}
