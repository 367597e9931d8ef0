//! When to check the delegation again: fast at first (the user just pasted the nameservers),
//! backing off to a ceiling, with jitter, and never more often than a floor. Polling stops when
//! the delegation is ready.

use std::time::Duration;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::config::DnsConfig;
use super::report::DelegationReport;

/// The back-off schedule. Pure: the caller owns the clock and the random source.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PollSchedule {
    /// Delay after the first check.
    pub first: Duration,
    /// Growth factor per check.
    pub factor: f64,
    /// Largest delay.
    pub ceiling: Duration,
    /// Relative jitter: each delay is moved by up to this fraction, up or down.
    pub jitter: f64,
    /// Smallest delay, jitter included: a server is never asked more often than this.
    pub floor: Duration,
}

impl Default for PollSchedule {
    /// 5 s, 7.5 s, 11 s, ... up to 90 s, ±20 %, never under 3 s.
    fn default() -> Self {
        Self {
            first: Duration::from_secs(5),
            factor: 1.5,
            ceiling: Duration::from_secs(90),
            jitter: 0.2,
            floor: Duration::from_secs(3),
        }
    }
}

impl PollSchedule {
    /// The delay after check number `attempt` (0 for the first), without jitter.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let exponent = i32::try_from(attempt.min(64)).unwrap_or(64);
        let secs = self.first.as_secs_f64() * factor.powi(exponent);
        let ceiling = self.ceiling.max(self.floor);
        if !secs.is_finite() || secs >= ceiling.as_secs_f64() {
            return ceiling;
        }
        Duration::from_secs_f64(secs).max(self.floor)
    }

    /// The delay after check number `attempt`, with jitter from `rng`, within
    /// `[floor, ceiling]`.
    pub fn next_delay<R: Rng + ?Sized>(&self, attempt: u32, rng: &mut R) -> Duration {
        let base = self.base_delay(attempt).as_secs_f64();
        let j = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 0.9)
        } else {
            0.0
        };
        let offset = if j > 0.0 {
            rng.random_range(-j..=j)
        } else {
            0.0
        };
        let secs = base * (1.0 + offset);
        let ceiling = self.ceiling.max(self.floor);
        Duration::from_secs_f64(secs.max(0.0))
            .max(self.floor)
            .min(ceiling)
    }
}

/// A poller for one checkpoint: counts checks, says how long to wait, stops when ready.
#[derive(Debug, Clone, PartialEq)]
pub struct Poller {
    pub schedule: PollSchedule,
    attempt: u32,
    done: bool,
}

impl Poller {
    pub fn new(schedule: PollSchedule) -> Self {
        Self {
            schedule,
            attempt: 0,
            done: false,
        }
    }

    /// Records the result of a check; returns how long to wait before the next one, or `None`
    /// when the checkpoint is passed and polling stops.
    pub fn after_check<R: Rng + ?Sized>(&mut self, ready: bool, rng: &mut R) -> Option<Duration> {
        if ready || self.done {
            self.done = true;
            return None;
        }
        let delay = self.schedule.next_delay(self.attempt, rng);
        self.attempt = self.attempt.saturating_add(1);
        Some(delay)
    }

    /// Starts the back-off again (the user says "I just changed it, check now").
    pub fn reset(&mut self) {
        self.attempt = 0;
        self.done = false;
    }

    /// How many checks were recorded.
    pub fn checks(&self) -> u32 {
        self.attempt + u32::from(self.done)
    }

    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// Checks the delegation until it is ready, calling `on_report` after every check (one check
/// at a time: never two in flight). Returns the last report (the ready one).
pub async fn poll_until_ready(
    cfg: &DnsConfig,
    domain: &str,
    expected_ns: &[String],
    schedule: PollSchedule,
    mut on_report: impl FnMut(&DelegationReport),
) -> DelegationReport {
    let mut poller = Poller::new(schedule);
    loop {
        let report = super::check_delegation(cfg, domain, expected_ns).await;
        on_report(&report);
        let delay = {
            let mut rng = rand::rng();
            poller.after_check(report.ready, &mut rng)
        };
        match delay {
            None => return report,
            Some(d) => tokio::time::sleep(d).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn starts_fast_and_backs_off_to_the_ceiling() {
        let s = PollSchedule::default();
        let delays: Vec<u64> = (0..12)
            .map(|a| s.base_delay(a).as_millis() as u64)
            .collect();
        assert_eq!(delays[0], 5000);
        assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
        assert_eq!(*delays.last().expect("delays"), 90_000);
        assert_eq!(s.base_delay(u32::MAX), Duration::from_secs(90));
    }

    #[test]
    fn jitter_stays_within_bounds_and_varies() {
        let s = PollSchedule::default();
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen = std::collections::BTreeSet::new();
        for attempt in 0..40 {
            for _ in 0..50 {
                let d = s.next_delay(attempt, &mut rng);
                assert!(d >= s.floor && d <= s.ceiling, "{d:?}");
                let base = s.base_delay(attempt).as_secs_f64();
                assert!(d.as_secs_f64() >= base * 0.8 - 1e-9, "{d:?} vs {base}");
                seen.insert(d.as_millis());
            }
        }
        assert!(seen.len() > 100, "jitter should spread the delays");
    }

    #[test]
    fn never_floods_even_with_a_silly_schedule() {
        let s = PollSchedule {
            first: Duration::ZERO,
            factor: 0.1,
            ceiling: Duration::ZERO,
            jitter: 5.0,
            floor: Duration::from_secs(2),
        };
        let mut rng = StdRng::seed_from_u64(1);
        for attempt in 0..10 {
            assert_eq!(s.next_delay(attempt, &mut rng), Duration::from_secs(2));
        }
    }

    #[test]
    fn poller_stops_when_ready_and_can_restart() {
        let mut p = Poller::new(PollSchedule::default());
        let mut rng = StdRng::seed_from_u64(3);
        let first = p.after_check(false, &mut rng).expect("keeps polling");
        assert!(first <= Duration::from_secs(6));
        for _ in 0..20 {
            assert!(p.after_check(false, &mut rng).is_some());
        }
        let late = p.after_check(false, &mut rng).expect("keeps polling");
        assert!(late >= Duration::from_secs(72), "{late:?}");
        assert_eq!(p.after_check(true, &mut rng), None);
        assert!(p.is_done());
        assert_eq!(p.after_check(false, &mut rng), None);
        p.reset();
        let again = p.after_check(false, &mut rng).expect("polling again");
        assert!(again <= Duration::from_secs(6));
    }
}
