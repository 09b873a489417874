//! ERROR lines for store failures, at most one per command and interval.
//!
//! The policy makes logging Redis errors mandatory (fail-open hides outages otherwise), but an
//! outage under load fails thousands of commands a second: the first failure of a command logs at
//! once, the rest are counted and reported with the next line after the interval.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) struct ErrorLog {
    interval: Duration,
    state: Mutex<HashMap<&'static str, Window>>,
}

struct Window {
    last_logged: Instant,
    suppressed: u64,
}

impl ErrorLog {
    pub(crate) fn new(interval: Duration) -> Self {
        ErrorLog {
            interval,
            state: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn report(&self, command: &'static str, kind: &str, error: &dyn std::fmt::Display) {
        let now = Instant::now();
        let suppressed = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            match state.get_mut(command) {
                Some(window) if now.duration_since(window.last_logged) < self.interval => {
                    window.suppressed += 1;
                    return;
                }
                Some(window) => {
                    window.last_logged = now;
                    std::mem::take(&mut window.suppressed)
                }
                None => {
                    state.insert(
                        command,
                        Window {
                            last_logged: now,
                            suppressed: 0,
                        },
                    );
                    0
                }
            }
        };
        tracing::error!(
            target: "strata_cache::store",
            command,
            kind,
            suppressed,
            "cache store command failed: {error}"
        );
    }

    /// Reports the failures suppressed in windows that have ended, so a burst that stops is
    /// still counted in the log (called periodically by the engine).
    pub(crate) fn flush(&self) {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        for (command, window) in state.iter_mut() {
            if window.suppressed > 0 && now.duration_since(window.last_logged) >= self.interval {
                let suppressed = std::mem::take(&mut window.suppressed);
                window.last_logged = now;
                tracing::error!(
                    target: "strata_cache::store",
                    command = *command,
                    suppressed,
                    "cache store command kept failing: {suppressed} more failures in the last interval"
                );
            }
        }
    }
}
