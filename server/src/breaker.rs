//! A generic circuit breaker guarding calls to an unreliable dependency (rate providers, LND, webhook endpoints).
//!
//! States:
//! - **Closed**: calls pass; `failure_threshold` consecutive failures open the circuit.
//! - **Open**: calls are rejected without running until `open_timeout` has passed.
//! - **Half-open**: exactly one trial call may run; success closes the circuit, failure opens it again
//!   for another `open_timeout`.
//!
//! Time comes from [`tokio::time::Instant`], so tests can drive it with paused time. The internal mutex is a
//! `std::sync::Mutex` that is never held across an `.await`.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

/// The breaker's state as shown to users (`openfatture lightning rates`, health pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls pass through.
    Closed,
    /// Calls are rejected; a trial call will be allowed in `retry_in_secs` seconds (rounded up).
    Open {
        /// Seconds until the breaker lets one trial call through.
        retry_in_secs: u64,
    },
    /// One trial call is allowed (or in flight); its outcome closes or re-opens the circuit.
    HalfOpen,
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakerState::Closed => f.write_str("closed"),
            BreakerState::Open { retry_in_secs } => write!(f, "open, retry in {retry_in_secs} s"),
            BreakerState::HalfOpen => f.write_str("half-open"),
        }
    }
}

/// Returned by [`CircuitBreaker::try_acquire`] when no call may be made now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The circuit is open; a trial call is allowed in `retry_in_secs` seconds.
    #[error("circuit breaker for {name} is open after repeated failures; next attempt in {retry_in_secs} s")]
    Open {
        /// Name of the guarded dependency.
        name: String,
        /// Seconds until a trial call is allowed.
        retry_in_secs: u64,
    },
    /// The circuit is half-open and its trial call is already running.
    #[error("circuit breaker for {name} is half-open and a trial call is already in progress; try again shortly")]
    TrialInProgress {
        /// Name of the guarded dependency.
        name: String,
    },
}

#[derive(Debug)]
enum Phase {
    Closed { consecutive_failures: u32 },
    Open { until: Instant },
    HalfOpen { trial_in_flight: bool },
}

#[derive(Debug)]
struct Inner {
    phase: Phase,
}

/// A thread-safe circuit breaker. Cloning shares the same state.
#[derive(Clone)]
pub struct CircuitBreaker {
    name: Arc<str>,
    failure_threshold: u32,
    open_timeout: Duration,
    inner: Arc<Mutex<Inner>>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("failure_threshold", &self.failure_threshold)
            .field("open_timeout", &self.open_timeout)
            .field("state", &self.state())
            .finish()
    }
}

/// Permission to make one call, from [`CircuitBreaker::try_acquire`]. Report the outcome with
/// [`Permit::success`] or [`Permit::failure`]. Dropping it without either (e.g. the caller's future was
/// cancelled) counts as neither, and frees the half-open trial slot for the next caller.
#[must_use = "report the call's outcome with success() or failure()"]
pub struct Permit {
    breaker: CircuitBreaker,
    is_trial: bool,
    reported: bool,
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("breaker", &self.breaker.name)
            .field("is_trial", &self.is_trial)
            .finish()
    }
}

impl Permit {
    /// Record that the call succeeded.
    pub fn success(mut self) {
        self.reported = true;
        self.breaker.record_success();
    }

    /// Record that the call failed.
    pub fn failure(mut self) {
        self.reported = true;
        self.breaker.record_failure();
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.reported && self.is_trial {
            let mut inner = self.breaker.lock();
            if let Phase::HalfOpen { trial_in_flight } = &mut inner.phase {
                *trial_in_flight = false;
            }
        }
    }
}

impl CircuitBreaker {
    /// A closed breaker named `name` (used in messages) that opens after `failure_threshold` consecutive
    /// failures (a threshold of 0 is treated as 1) and allows a trial call `open_timeout` after opening.
    pub fn new(name: impl Into<String>, failure_threshold: u32, open_timeout: Duration) -> Self {
        let name: String = name.into();
        Self {
            name: Arc::from(name),
            failure_threshold: failure_threshold.max(1),
            open_timeout,
            inner: Arc::new(Mutex::new(Inner {
                phase: Phase::Closed {
                    consecutive_failures: 0,
                },
            })),
        }
    }

    /// Consecutive failures needed to open the circuit.
    pub fn failure_threshold(&self) -> u32 {
        self.failure_threshold
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The state is a plain enum that is always left consistent, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Current state for display. An open circuit whose timeout has passed is shown as half-open.
    pub fn state(&self) -> BreakerState {
        let inner = self.lock();
        match inner.phase {
            Phase::Closed { .. } => BreakerState::Closed,
            Phase::HalfOpen { .. } => BreakerState::HalfOpen,
            Phase::Open { until } => {
                let now = Instant::now();
                if now >= until {
                    BreakerState::HalfOpen
                } else {
                    BreakerState::Open {
                        retry_in_secs: ceil_secs(until - now),
                    }
                }
            }
        }
    }

    /// Consecutive failures recorded while closed (0 when open or half-open).
    pub fn consecutive_failures(&self) -> u32 {
        match self.lock().phase {
            Phase::Closed { consecutive_failures } => consecutive_failures,
            _ => 0,
        }
    }

    /// Ask to make one call. In the half-open state only the first caller gets a (trial) permit.
    pub fn try_acquire(&self) -> Result<Permit, Rejection> {
        let mut inner = self.lock();
        let now = Instant::now();
        let is_trial = match &mut inner.phase {
            Phase::Closed { .. } => false,
            Phase::Open { until } => {
                if now < *until {
                    return Err(Rejection::Open {
                        name: self.name.to_string(),
                        retry_in_secs: ceil_secs(*until - now),
                    });
                }
                inner.phase = Phase::HalfOpen { trial_in_flight: true };
                true
            }
            Phase::HalfOpen { trial_in_flight } => {
                if *trial_in_flight {
                    return Err(Rejection::TrialInProgress {
                        name: self.name.to_string(),
                    });
                }
                *trial_in_flight = true;
                true
            }
        };
        drop(inner);
        Ok(Permit {
            breaker: self.clone(),
            is_trial,
            reported: false,
        })
    }

    /// Record a successful call: the circuit closes and the failure count resets.
    pub fn record_success(&self) {
        let mut inner = self.lock();
        let was_closed = matches!(inner.phase, Phase::Closed { .. });
        inner.phase = Phase::Closed {
            consecutive_failures: 0,
        };
        drop(inner);
        if !was_closed {
            tracing::info!(breaker = %self.name, "circuit closed after a successful trial call");
        }
    }

    /// Record a failed call: counts towards opening when closed; re-opens when half-open.
    pub fn record_failure(&self) {
        let mut inner = self.lock();
        let now = Instant::now();
        let opened = match &mut inner.phase {
            Phase::Closed { consecutive_failures } => {
                *consecutive_failures = consecutive_failures.saturating_add(1);
                *consecutive_failures >= self.failure_threshold
            }
            Phase::HalfOpen { .. } => true,
            // A late failure from a call admitted before the circuit opened: keep the current deadline.
            Phase::Open { .. } => false,
        };
        if opened {
            inner.phase = Phase::Open {
                until: now + self.open_timeout,
            };
        }
        drop(inner);
        if opened {
            tracing::warn!(
                breaker = %self.name,
                open_secs = self.open_timeout.as_secs(),
                "circuit opened after repeated failures"
            );
        }
    }
}

/// Whole seconds in `d`, rounded up (so "retry in 0 s" is never shown while still open).
fn ceil_secs(d: Duration) -> u64 {
    let secs = d.as_secs();
    if d.subsec_nanos() > 0 {
        secs.saturating_add(1)
    } else {
        secs
    }
}
