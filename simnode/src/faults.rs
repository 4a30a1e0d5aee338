//! Injected faults: call latency, UNAVAILABLE answers, and ending all open streams.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

use crate::control::FaultCommand;

/// What to do to the next call, decided by [`Faults::before_call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallFault {
    /// Delay before handling (or refusing) the call.
    pub(crate) delay: Duration,
    /// Refuse the call with UNAVAILABLE.
    pub(crate) unavailable: bool,
}

#[derive(Debug, Default)]
struct Settings {
    latency_ms: u64,
    latency_method: Option<String>,
    unavailable_remaining: u32,
    payment_delay_ms: u64,
}

/// The node's current faults, shared by the gRPC layer and the control surface.
#[derive(Debug)]
pub(crate) struct Faults {
    settings: Mutex<Settings>,
    /// Bumped to end every open stream (drop-streams fault or shutdown).
    stream_generation: watch::Sender<u64>,
}

impl Faults {
    /// No faults.
    pub(crate) fn new() -> Self {
        Faults {
            settings: Mutex::new(Settings::default()),
            stream_generation: watch::Sender::new(0),
        }
    }

    /// Applies a fault command.
    pub(crate) fn apply(&self, command: &FaultCommand) {
        let mut s = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        match command {
            FaultCommand::Latency { ms, method } => {
                s.latency_ms = *ms;
                s.latency_method = method.clone().filter(|m| !m.is_empty());
            }
            FaultCommand::Unavailable { count } => s.unavailable_remaining = *count,
            FaultCommand::DropStreams => {
                drop(s);
                self.end_streams();
            }
            FaultCommand::SlowPayments { ms } => s.payment_delay_ms = *ms,
            FaultCommand::Clear => *s = Settings::default(),
            // Channel faults change the ledger; the control surface applies them there.
            FaultCommand::ForceClose { .. } | FaultCommand::PeerOffline { .. } | FaultCommand::PeerOnline { .. } => {}
        }
    }

    /// Decides the fault for a call to `path` (`/package.Service/Method`), consuming one
    /// pending UNAVAILABLE answer if any.
    pub(crate) fn before_call(&self, path: &str) -> CallFault {
        let mut s = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        let method_matches = match &s.latency_method {
            None => true,
            Some(m) if m.starts_with('/') => path == m,
            Some(m) => path.rsplit('/').next() == Some(m.as_str()),
        };
        let delay = if method_matches {
            Duration::from_millis(s.latency_ms)
        } else {
            Duration::ZERO
        };
        let unavailable = s.unavailable_remaining > 0;
        if unavailable {
            s.unavailable_remaining -= 1;
        }
        CallFault { delay, unavailable }
    }

    /// How long a SendPaymentV2 payment takes (zero: at once).
    pub(crate) fn payment_delay(&self) -> Duration {
        let s = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        Duration::from_millis(s.payment_delay_ms)
    }

    /// Ends every stream opened so far.
    pub(crate) fn end_streams(&self) {
        self.stream_generation.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// A future that completes when streams open now must end.
    pub(crate) fn stream_stop(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.stream_generation.subscribe();
        async move {
            // Err means the node is gone: end the stream as well.
            let _ = rx.changed().await;
        }
    }
}
