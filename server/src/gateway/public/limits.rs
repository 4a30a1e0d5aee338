//! Per-client-address limits of the public pages: page loads and new quotes per minute (a fixed
//! one-minute window), live event streams open at once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Page loads (the page and its receipt) per address per minute.
pub(crate) const PAGE_LOADS_PER_MIN: u32 = 60;
/// Live event streams open at once per address.
pub(crate) const STREAMS_PER_ADDRESS: usize = 10;
/// New quotes per address per minute (as BTCPay's public invoice creation).
pub(crate) const QUOTES_PER_MIN: u32 = 4;
/// The window of the per-minute limits.
const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered before old windows are dropped.
const PRUNE_ABOVE: usize = 10_000;

/// A fixed-window counter per address.
#[derive(Debug)]
struct Window {
    per_window: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Window {
    fn new(per_window: u32) -> Self {
        Window {
            per_window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request from `ip`; whether it is within the limit.
    fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut seen = match self.seen.lock() {
            Ok(seen) => seen,
            Err(poisoned) => poisoned.into_inner(),
        };
        if seen.len() > PRUNE_ABOVE {
            seen.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_window {
            return false;
        }
        entry.1 += 1;
        true
    }
}

/// The public pages' limits, shared by all requests.
#[derive(Debug)]
pub(crate) struct PublicLimits {
    pages: Window,
    quotes: Window,
    streams: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Default for PublicLimits {
    fn default() -> Self {
        PublicLimits {
            pages: Window::new(PAGE_LOADS_PER_MIN),
            quotes: Window::new(QUOTES_PER_MIN),
            streams: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

/// An open event stream, counted against its address until dropped.
#[derive(Debug)]
pub(crate) struct StreamSlot {
    ip: IpAddr,
    streams: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut streams = match self.streams.lock() {
            Ok(streams) => streams,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(count) = streams.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                streams.remove(&self.ip);
            }
        }
    }
}

impl PublicLimits {
    /// Counts a page load; whether it is allowed.
    pub(crate) fn page(&self, ip: IpAddr) -> bool {
        self.pages.allow(ip)
    }

    /// Counts a new-quote request; whether it is allowed.
    pub(crate) fn quote(&self, ip: IpAddr) -> bool {
        self.quotes.allow(ip)
    }

    /// A slot for one more event stream from `ip`, if it has fewer than the limit open.
    pub(crate) fn stream(&self, ip: IpAddr) -> Option<StreamSlot> {
        let mut streams = match self.streams.lock() {
            Ok(streams) => streams,
            Err(poisoned) => poisoned.into_inner(),
        };
        let count = streams.entry(ip).or_insert(0);
        if *count >= STREAMS_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            ip,
            streams: self.streams.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_stream_slots_are_per_address() {
        let limits = PublicLimits::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..QUOTES_PER_MIN {
            assert!(limits.quote(a));
        }
        assert!(!limits.quote(a));
        assert!(limits.quote(b));
        let slots: Vec<_> = (0..STREAMS_PER_ADDRESS).map(|_| limits.stream(a).unwrap()).collect();
        assert!(limits.stream(a).is_none());
        drop(slots);
        assert!(limits.stream(a).is_some());
    }
}
