//! Independent jobs (the cross-fitting folds) on scoped threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::error::Result;
use crate::estimator::FitStage;

/// A job: its index, and where it reports progress.
pub(crate) type Job<'a, T> = dyn Fn(usize, &mut dyn FnMut(&FitStage)) -> Result<T> + Sync + 'a;

/// Runs `job(i)` for every `i` in `0..count` on up to `threads` threads (each
/// takes the next index not yet taken) and returns the results in index order.
/// Progress reports reach `progress` on the calling thread, in the order they
/// were sent. With one thread the jobs run in order on the calling thread.
///
/// The first job (by index) that fails decides the error; after a failure no
/// thread starts another job.
pub(crate) fn run<T: Send>(
    count: usize,
    threads: usize,
    job: &Job<'_, T>,
    progress: &mut dyn FnMut(&FitStage),
) -> Result<Vec<T>> {
    if threads <= 1 || count <= 1 {
        return (0..count).map(|i| job(i, progress)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<T>>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel::<FitStage>();
        let workers: Vec<_> = (0..threads.min(count))
            .map(|_| {
                let sender = sender.clone();
                let next = &next;
                scope.spawn(move || {
                    let mut done = Vec::new();
                    let mut report = |stage: &FitStage| {
                        // The receiver lives until every worker has finished.
                        let _ = sender.send(*stage);
                    };
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= count {
                            break;
                        }
                        let result = job(i, &mut report);
                        let failed = result.is_err();
                        done.push((i, result));
                        if failed {
                            next.store(count, Ordering::SeqCst);
                        }
                    }
                    done
                })
            })
            .collect();
        drop(sender);
        for stage in receiver {
            progress(&stage);
        }
        for worker in workers {
            match worker.join() {
                Ok(done) => done.into_iter().for_each(|(i, r)| results[i] = Some(r)),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    // A job not run (`None`) follows a failure, whose error comes first by index
    // unless an earlier job failed too.
    if let Some(error) = results.iter_mut().find_map(|r| match r {
        Some(Err(_)) => r.take().and_then(|r| r.err()),
        _ => None,
    }) {
        return Err(error);
    }
    Ok(results.into_iter().flatten().flatten().collect())
}
