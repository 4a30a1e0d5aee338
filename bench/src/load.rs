//! Closed-loop load: N clients each send one request after the other for a fixed time.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Latency percentiles and throughput of one run.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Successful requests.
    pub ok: usize,
    /// Failed requests.
    pub errors: usize,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Successful requests per second over the run.
    pub per_sec: f64,
    /// First error seen, if any.
    pub first_error: Option<String>,
}

impl Stats {
    /// Percentiles of `samples` (any order); throughput over `elapsed`.
    pub fn from_samples(mut samples: Vec<Duration>, errors: usize, elapsed: Duration) -> Stats {
        samples.sort_unstable();
        let ok = samples.len();
        Stats {
            ok,
            errors,
            p50: percentile(&samples, 50),
            p99: percentile(&samples, 99),
            per_sec: if elapsed.is_zero() {
                0.0
            } else {
                ok as f64 / elapsed.as_secs_f64()
            },
            first_error: None,
        }
    }
}

/// The nearest-rank percentile of sorted samples (zero when there are none).
pub fn percentile(sorted: &[Duration], pct: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * pct).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

/// Runs `op` from `clients` concurrent loops for `run_for`; every loop starts a request only
/// before the deadline and finishes the one in flight.
pub async fn closed_loop<F, Fut>(clients: usize, run_for: Duration, op: F) -> Stats
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let deadline = start + run_for;
    let mut workers = Vec::with_capacity(clients);
    for _ in 0..clients {
        let op = op.clone();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0usize;
            let mut first_error = None;
            while Instant::now() < deadline {
                let sent = Instant::now();
                match op().await {
                    Ok(()) => samples.push(sent.elapsed()),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            }
            (samples, errors, first_error)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for worker in workers {
        match worker.await {
            Ok((samples, worker_errors, worker_first)) => {
                all.extend(samples);
                errors += worker_errors;
                if first_error.is_none() {
                    first_error = worker_first;
                }
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| format!("client task failed: {e}"));
            }
        }
    }
    let mut stats = Stats::from_samples(all, errors, start.elapsed());
    stats.first_error = first_error;
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&samples, 50), Duration::from_millis(50));
        assert_eq!(percentile(&samples, 99), Duration::from_millis(99));
        let few = [Duration::from_millis(3), Duration::from_millis(7)];
        assert_eq!(percentile(&few, 50), Duration::from_millis(3));
        assert_eq!(percentile(&few, 99), Duration::from_millis(7));
        assert_eq!(percentile(&[], 99), Duration::ZERO);
    }
}
