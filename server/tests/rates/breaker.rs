//! Circuit breaker state machine, driven by tokio's paused clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use openfatture::breaker::{BreakerState, CircuitBreaker, Rejection};

const OPEN: Duration = Duration::from_secs(300);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("boom")]
struct Boom;

/// Why a guarded call gave no value: the breaker turned it away, or it failed by itself.
#[derive(Debug, thiserror::Error)]
enum Called {
    #[error(transparent)]
    Rejected(Rejection),
    #[error(transparent)]
    Inner(Boom),
}

/// A call guarded as the product guards its calls (LND, rates, webhooks): ask for a permit, then
/// record the outcome on it.
async fn guarded(breaker: &CircuitBreaker, calls: &AtomicU32, outcome: Result<u32, Boom>) -> Result<u32, Called> {
    let permit = breaker.try_acquire().map_err(Called::Rejected)?;
    calls.fetch_add(1, Ordering::SeqCst);
    match outcome {
        Ok(value) => {
            permit.success();
            Ok(value)
        }
        Err(e) => {
            permit.failure();
            Err(Called::Inner(e))
        }
    }
}

async fn fail(breaker: &CircuitBreaker, calls: &AtomicU32) -> Result<u32, Called> {
    guarded(breaker, calls, Err(Boom)).await
}

async fn succeed(breaker: &CircuitBreaker, calls: &AtomicU32) -> Result<u32, Called> {
    guarded(breaker, calls, Ok(7)).await
}

#[tokio::test(start_paused = true)]
async fn opens_after_threshold_consecutive_failures_and_stops_calling() {
    let breaker = CircuitBreaker::new("test", 3, OPEN);
    let calls = AtomicU32::new(0);
    for _ in 0..2 {
        assert!(matches!(fail(&breaker, &calls).await, Err(Called::Inner(Boom))));
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert_eq!(breaker.consecutive_failures(), 2);
    assert!(matches!(fail(&breaker, &calls).await, Err(Called::Inner(Boom))));
    assert_eq!(breaker.state(), BreakerState::Open { retry_in_secs: 300 });
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // While open the function is not run at all.
    let rejected = succeed(&breaker, &calls).await;
    assert!(
        matches!(
            rejected,
            Err(Called::Rejected(Rejection::Open { retry_in_secs: 300, .. }))
        ),
        "{rejected:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    tokio::time::advance(Duration::from_millis(100_500)).await;
    assert_eq!(breaker.state(), BreakerState::Open { retry_in_secs: 200 }, "rounded up");
    let message = succeed(&breaker, &calls).await.unwrap_err().to_string();
    assert!(message.contains("test") && message.contains("200 s"), "{message}");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn success_resets_the_failure_count() {
    let breaker = CircuitBreaker::new("test", 2, OPEN);
    let calls = AtomicU32::new(0);
    let _ = fail(&breaker, &calls).await;
    assert_eq!(succeed(&breaker, &calls).await.unwrap(), 7);
    let _ = fail(&breaker, &calls).await;
    assert_eq!(breaker.state(), BreakerState::Closed, "failures were not consecutive");
    let _ = fail(&breaker, &calls).await;
    assert!(matches!(breaker.state(), BreakerState::Open { .. }));
}

#[tokio::test(start_paused = true)]
async fn half_opens_after_timeout_allows_one_trial_and_closes_on_success() {
    let breaker = CircuitBreaker::new("test", 1, OPEN);
    let calls = AtomicU32::new(0);
    let _ = fail(&breaker, &calls).await;
    assert!(matches!(breaker.state(), BreakerState::Open { .. }));

    tokio::time::advance(OPEN - Duration::from_secs(1)).await;
    assert_eq!(breaker.state(), BreakerState::Open { retry_in_secs: 1 });
    assert!(breaker.try_acquire().is_err());
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(breaker.state(), BreakerState::HalfOpen);

    // Exactly one trial: a second caller is turned away while it runs.
    let trial = breaker.try_acquire().expect("trial permit");
    assert!(matches!(breaker.try_acquire(), Err(Rejection::TrialInProgress { .. })));
    let second = succeed(&breaker, &calls).await;
    assert!(
        matches!(second, Err(Called::Rejected(Rejection::TrialInProgress { .. }))),
        "{second:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    trial.success();
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert_eq!(succeed(&breaker, &calls).await.unwrap(), 7);
}

#[tokio::test(start_paused = true)]
async fn failed_trial_reopens_for_a_full_timeout() {
    let breaker = CircuitBreaker::new("test", 1, OPEN);
    let calls = AtomicU32::new(0);
    let _ = fail(&breaker, &calls).await;
    tokio::time::advance(OPEN).await;
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    assert!(matches!(fail(&breaker, &calls).await, Err(Called::Inner(Boom))));
    assert_eq!(breaker.state(), BreakerState::Open { retry_in_secs: 300 });
    assert!(matches!(
        succeed(&breaker, &calls).await,
        Err(Called::Rejected(Rejection::Open { .. }))
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn dropped_trial_permit_frees_the_trial_slot() {
    let breaker = CircuitBreaker::new("test", 1, OPEN);
    breaker.record_failure();
    tokio::time::advance(OPEN).await;
    let trial = breaker.try_acquire().expect("trial permit");
    drop(trial); // e.g. the caller's future was cancelled
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    let next = breaker.try_acquire().expect("a new trial is allowed");
    next.failure();
    assert!(matches!(breaker.state(), BreakerState::Open { .. }));
}

#[tokio::test(start_paused = true)]
async fn cancelled_trial_call_does_not_wedge_the_breaker() {
    let breaker = CircuitBreaker::new("test", 1, OPEN);
    breaker.record_failure();
    tokio::time::advance(OPEN).await;
    // The trial call never finishes within the timeout and is dropped.
    let slow = async {
        let permit = breaker.try_acquire().map_err(Called::Rejected)?;
        tokio::time::sleep(Duration::from_secs(3600)).await;
        permit.success();
        Ok::<_, Called>(())
    };
    assert!(tokio::time::timeout(Duration::from_secs(1), slow).await.is_err());
    let calls = AtomicU32::new(0);
    assert_eq!(succeed(&breaker, &calls).await.unwrap(), 7);
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_share_state_across_threads() {
    let breaker = CircuitBreaker::new("shared", 50, OPEN);
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let breaker = breaker.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                breaker.record_failure();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert!(
        matches!(breaker.state(), BreakerState::Open { .. }),
        "50 failures from 10 tasks open it"
    );
}

#[test]
fn state_serialises_for_json_output_and_displays() {
    let open = BreakerState::Open { retry_in_secs: 42 };
    assert_eq!(
        serde_json::to_string(&open).unwrap(),
        r#"{"state":"open","retry_in_secs":42}"#
    );
    assert_eq!(
        serde_json::to_string(&BreakerState::HalfOpen).unwrap(),
        r#"{"state":"half_open"}"#
    );
    assert_eq!(open.to_string(), "open, retry in 42 s");
}

#[tokio::test(start_paused = true)]
async fn zero_threshold_is_treated_as_one() {
    let breaker = CircuitBreaker::new("z", 0, OPEN);
    assert_eq!(breaker.failure_threshold(), 1);
    breaker.record_failure();
    assert!(matches!(breaker.state(), BreakerState::Open { .. }));
}

/// Half-open lets exactly one probe through however many callers arrive at once: 16 threads
/// ask together after the open time; one gets the trial permit, the 15 others are refused at
/// once ("trial in progress"), and once the probe succeeds everyone passes again.
#[test]
fn half_open_lets_exactly_one_of_many_concurrent_callers_probe() {
    let open = Duration::from_millis(50);
    let breaker = CircuitBreaker::new("lnd", 1, open);
    breaker.record_failure();
    std::thread::sleep(open + Duration::from_millis(20));
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    let callers = 16;
    let start = std::sync::Arc::new(std::sync::Barrier::new(callers));
    let answers: Vec<_> = (0..callers)
        .map(|_| {
            let breaker = breaker.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                let asked = std::time::Instant::now();
                let answer = breaker.try_acquire();
                (answer, asked.elapsed())
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let mut probes = Vec::new();
    for (answer, took) in answers {
        assert!(took < Duration::from_millis(100), "a caller waited {took:?}");
        match answer {
            Ok(permit) => probes.push(permit),
            Err(rejection) => assert!(matches!(rejection, Rejection::TrialInProgress { .. }), "{rejection:?}"),
        }
    }
    assert_eq!(probes.len(), 1, "exactly one probe goes through");
    assert!(matches!(breaker.try_acquire(), Err(Rejection::TrialInProgress { .. })));
    probes.pop().unwrap().success();
    assert_eq!(breaker.state(), BreakerState::Closed);
    breaker.try_acquire().expect("closed again").success();
}

/// `serve`'s LND breaker (and the rate providers' and webhooks', which share the setting) stays
/// open 30 s by default, so a short LND blip stops sales for seconds, not minutes.
#[test]
fn the_default_open_time_is_thirty_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let home = openfatture::config::Home::at(dir.path());
    let settings = openfatture::config::Settings::load_with(
        &home,
        &openfatture::config::EnvVars::from_pairs(std::iter::empty::<(&str, &str)>()),
    )
    .unwrap();
    assert_eq!(settings.lightning_circuit_breaker_timeout, 30);
    let cfg = settings.lnd_config_at("127.0.0.1:1".into(), "cert".into(), "macaroon".into());
    assert_eq!(cfg.breaker_open, Duration::from_secs(30));
    assert_eq!(openfatture::lnd::DEFAULT_BREAKER_OPEN, Duration::from_secs(30));
}
