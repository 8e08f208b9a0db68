//! The one loop every background job runs: wait for the next tick (or shutdown), run one pass,
//! log what it did or why it failed, and wait again. A pass that fails is logged and tried at
//! the next tick; passes never overlap within a replica (a slow one delays the next tick
//! rather than piling up), and every pass is safe to run beside other replicas' (see each job).

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// What one pass of a job did, as a log line (nothing when it did nothing).
pub trait Pass {
    fn report(&self);
}

/// Run `pass` every `interval` until `stop` changes (the first pass at once). `job` names it
/// in logs and metrics (`outbox_relay`, `sla_sweeper`, …): each pass is counted and timed, and
/// the time of the last pass that succeeded kept, so a stuck job shows as growing lag.
pub async fn run_every<F, Fut, P, E>(
    job: &'static str,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<P, E>>,
    P: Pass,
    E: Display,
{
    crate::monitoring::record::job_started(job);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        let started = std::time::Instant::now();
        let outcome = pass().await;
        crate::monitoring::record::job_pass(job, started.elapsed(), outcome.is_ok());
        match outcome {
            Ok(done) => done.report(),
            Err(err) => tracing::error!(error = %err, job, "background job failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Pass, run_every};

    struct Nothing;
    impl Pass for Nothing {
        fn report(&self) {}
    }

    /// A failing pass does not end the loop; a stop does.
    #[tokio::test]
    async fn passes_repeat_through_failures_until_stopped() {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (ran, mut runs) = tokio::sync::mpsc::unbounded_channel();
        let mut n = 0;
        let job = tokio::spawn(run_every(
            "test_job",
            Duration::from_millis(1),
            stopped,
            move || {
                n += 1;
                let _ = ran.send(n);
                async move {
                    if n % 2 == 1 {
                        Err("failed")
                    } else {
                        Ok(Nothing)
                    }
                }
            },
        ));
        for expected in 1..=3 {
            assert_eq!(runs.recv().await, Some(expected), "pass {expected} ran");
        }
        stop.send(true).expect("the job listens");
        job.await.expect("the loop ended");
    }
}
