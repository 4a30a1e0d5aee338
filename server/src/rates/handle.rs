//! A shared, swappable rate service: the gateway replaces it on a settings change and everyone
//! holding a clone of the handle uses the new one from then on.

use std::sync::{Arc, RwLock};

use super::service::RateService;

/// A clonable handle on the rate service in use.
#[derive(Debug, Clone)]
pub struct RateHandle(Arc<RwLock<Arc<RateService>>>);

impl RateHandle {
    /// A handle on `rates`.
    pub fn new(rates: Arc<RateService>) -> Self {
        RateHandle(Arc::new(RwLock::new(rates)))
    }

    /// The rate service in use now.
    pub fn current(&self) -> Arc<RateService> {
        match self.0.read() {
            Ok(rates) => rates.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Uses `rates` from now on (every clone of this handle).
    pub fn replace(&self, rates: Arc<RateService>) {
        match self.0.write() {
            Ok(mut current) => *current = rates,
            Err(poisoned) => *poisoned.into_inner() = rates,
        }
    }
}
