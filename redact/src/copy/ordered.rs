//! Work done on worker threads and handed back in the order it was given,
//! with a bound on what is outstanding: the copier cleans HAR entries two
//! (or more) at a time while the calling thread frames the capture and
//! writes the copy, and the copy is the same as if one thread did it all.
//!
//! Memory stays bounded: a job is only submitted while the jobs submitted
//! but not yet handed back weigh less than the limit (one job alone may
//! exceed it, so an entry as large as the entry limit still goes through).

use std::collections::BTreeMap;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::Scope;

/// Jobs of type `J` turned into results `R` by `work`, in order.
pub(crate) struct Ordered<'scope, 'env, J, R> {
    scope: &'scope Scope<'scope, 'env>,
    work: &'env (dyn Fn(J) -> R + Sync),
    threads: usize,
    max_weight: usize,
    pool: Option<Pool<J, R>>,
    submitted: u64,
    emitted: u64,
    /// Weight of the jobs submitted and not yet handed back.
    outstanding: usize,
    weights: BTreeMap<u64, usize>,
    ready: BTreeMap<u64, R>,
}

struct Pool<J, R> {
    jobs: mpsc::Sender<(u64, J)>,
    results: mpsc::Receiver<(u64, Result<R, String>)>,
}

impl<'scope, 'env, J: Send + 'scope, R: Send + 'scope> Ordered<'scope, 'env, J, R> {
    /// With `threads` of 1 or less every job is done at once on the calling thread.
    pub(crate) fn new(
        scope: &'scope Scope<'scope, 'env>,
        work: &'env (dyn Fn(J) -> R + Sync),
        threads: usize,
        max_weight: usize,
    ) -> Self {
        Ordered {
            scope,
            work,
            threads,
            max_weight,
            pool: None,
            submitted: 0,
            emitted: 0,
            outstanding: 0,
            weights: BTreeMap::new(),
            ready: BTreeMap::new(),
        }
    }

    /// Submits one job of `weight` (its bytes); results that are due are
    /// handed to `emit` meanwhile, in order.
    pub(crate) fn submit(
        &mut self,
        job: J,
        weight: usize,
        emit: &mut dyn FnMut(R) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.threads <= 1 {
            return emit((self.work)(job));
        }
        // Workers start with the first job, so a small input costs no threads.
        if self.pool.is_none() {
            self.pool = Some(self.start());
        }
        // Never more than two jobs a thread waiting, whatever they weigh.
        let max_jobs = 2 * self.threads as u64;
        while self.outstanding > 0
            && (self.outstanding + weight > self.max_weight
                || self.submitted - self.emitted >= max_jobs)
        {
            self.receive(true, emit)?;
        }
        let seq = self.submitted;
        self.submitted += 1;
        self.outstanding += weight;
        self.weights.insert(seq, weight);
        let sent = self.pool.as_ref().map(|p| p.jobs.send((seq, job)));
        if !matches!(sent, Some(Ok(()))) {
            return Err(io::Error::other("the cleaning threads stopped"));
        }
        self.receive(false, emit)
    }

    /// Waits for every submitted job and hands its result to `emit`.
    pub(crate) fn finish(&mut self, emit: &mut dyn FnMut(R) -> io::Result<()>) -> io::Result<()> {
        while self.emitted < self.submitted {
            self.receive(true, emit)?;
        }
        Ok(())
    }

    fn start(&self) -> Pool<J, R> {
        let (jobs, job_rx) = mpsc::channel::<(u64, J)>();
        let (result_tx, results) = mpsc::channel();
        let job_rx = Arc::new(Mutex::new(job_rx));
        for _ in 0..self.threads {
            let job_rx = Arc::clone(&job_rx);
            let result_tx = result_tx.clone();
            let work = self.work;
            self.scope.spawn(move || loop {
                let next = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((seq, job)) = next else { return };
                // A bug in cleaning must end the copy with an error, not
                // leave the writer waiting for a result that never comes.
                let result = catch_unwind(AssertUnwindSafe(|| work(job))).map_err(|p| {
                    p.downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a cleaning thread failed".into())
                });
                if result_tx.send((seq, result)).is_err() {
                    return;
                }
            });
        }
        Pool { jobs, results }
    }

    /// Takes one result (waiting for it when `wait`, else only those that
    /// are there) and emits every result that is due.
    fn receive(&mut self, wait: bool, emit: &mut dyn FnMut(R) -> io::Result<()>) -> io::Result<()> {
        let Some(pool) = &self.pool else {
            return Ok(());
        };
        let mut take = |(seq, r): (u64, Result<R, String>)| match r {
            Ok(r) => {
                self.ready.insert(seq, r);
                Ok(())
            }
            Err(why) => Err(io::Error::other(format!("cleaning failed: {why}"))),
        };
        if wait {
            match pool.results.recv() {
                Ok(x) => take(x)?,
                Err(_) => return Err(io::Error::other("the cleaning threads stopped")),
            }
        }
        while let Ok(x) = pool.results.try_recv() {
            take(x)?;
        }
        while let Some(r) = self.ready.remove(&self.emitted) {
            self.outstanding -= self.weights.remove(&self.emitted).unwrap_or(0);
            self.emitted += 1;
            emit(r)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_order_within_the_bound() {
        for threads in [1, 2, 4] {
            let work = |n: u64| {
                // Later jobs finish first now and then.
                std::thread::sleep(std::time::Duration::from_micros((n * 7919) % 300));
                n * n
            };
            let mut got = Vec::new();
            let peak = std::cell::Cell::new(0u64);
            std::thread::scope(|s| {
                let mut o = Ordered::new(s, &work, threads, 10);
                for n in 0..200u64 {
                    o.submit(n, 3, &mut |r| {
                        got.push(r);
                        Ok(())
                    })
                    .unwrap();
                    peak.set(peak.get().max(o.outstanding as u64));
                }
                o.finish(&mut |r| {
                    got.push(r);
                    Ok(())
                })
                .unwrap();
            });
            assert_eq!(got, (0..200u64).map(|n| n * n).collect::<Vec<_>>());
            assert!(
                peak.get() <= 10,
                "{threads} threads: {} outstanding",
                peak.get()
            );
        }
    }

    #[test]
    fn a_failing_job_is_an_error_not_a_hang() {
        let work = |n: u32| {
            if n == 5 {
                panic!("job five");
            }
            n
        };
        let r = std::thread::scope(|s| {
            let mut o = Ordered::new(s, &work, 2, 100);
            for n in 0..10 {
                o.submit(n, 1, &mut |_| Ok(()))?;
            }
            o.finish(&mut |_| Ok(()))
        });
        assert!(r.unwrap_err().to_string().contains("job five"));
    }
}
