//! A provider's request rate, `N/s`, `N/m` or `N/h`, enforced across instances as a token
//! bucket of `N` tokens refilled over the period: the generic cell rate algorithm (GCRA), whose
//! whole state is one timestamp kept in `cdn_sender.tat`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

/// The share of the configured rate used: requests leave on time but may arrive up to a few
/// milliseconds apart from where they left, and a provider's bucket running at exactly the
/// sent rate would then meet some of them empty.
const HEADROOM: f64 = 0.95;

impl Rate {
    /// Time between two requests at the sustained rate (less [`HEADROOM`]).
    pub fn interval(&self) -> Duration {
        (self.per / self.count).div_f64(HEADROOM)
    }

    /// How far ahead of the sustained rate a burst may run: `count - 1` intervals, so a full
    /// bucket sends `count` requests at once.
    pub fn tolerance(&self) -> Duration {
        self.interval() * (self.count - 1)
    }

    /// Requests per second sent, for the fallback's arithmetic.
    pub fn per_second(&self) -> f64 {
        1.0 / self.interval().as_secs_f64()
    }

    /// When a request may go, given the stored arrival time.
    pub fn allowed_at(&self, tat: DateTime<Utc>) -> DateTime<Utc> {
        tat - chrono::Duration::from_std(self.tolerance()).unwrap_or_default()
    }

    /// The arrival time after a request sent at `now`.
    pub fn after_request(&self, tat: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        tat.max(now) + chrono::Duration::from_std(self.interval()).unwrap_or_default()
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "m",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a rate: write requests per second, minute or hour, as `5/m` or `10/s`")]
pub struct RateError(String);

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refused = || RateError(text.to_owned());
        let (count, unit) = text.trim().split_once('/').ok_or_else(refused)?;
        let count: u32 = count.trim().parse().map_err(|_| refused())?;
        let per = match unit.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(refused()),
        };
        if count == 0 {
            return Err(refused());
        }
        Ok(Rate { count, per })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_the_plans_are_written() {
        let free: Rate = "5/m".parse().unwrap();
        assert_eq!(free.interval().as_millis(), 12_631);
        assert_eq!(free.tolerance(), free.interval() * 4);
        assert_eq!(free.to_string(), "5/m");
        assert_eq!(
            "50/s".parse::<Rate>().unwrap().interval().as_micros(),
            21_052
        );
        for bad in ["", "5", "0/s", "5/d", "x/s", "-1/s"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_full_bucket_sends_its_count_then_one_per_interval() {
        let rate: Rate = "5/m".parse().unwrap();
        let start = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
        let mut tat = DateTime::<Utc>::UNIX_EPOCH;
        // The provider's bucket: 5 tokens, refilled at 5 a minute.
        let mut tokens = 5.0_f64;
        let mut sent = 0;
        // Every 100 ms for two minutes, send whenever allowed.
        for tenth in 0..1200 {
            let now = start + chrono::Duration::milliseconds(tenth * 100);
            if tenth > 0 {
                tokens = (tokens + 0.1 * 5.0 / 60.0).min(5.0);
            }
            if rate.allowed_at(tat) <= now {
                tat = rate.after_request(tat, now);
                sent += 1;
                assert!(tokens >= 1.0, "sent at {tenth} with the bucket empty");
                tokens -= 1.0;
            }
        }
        // 5 at once, then one every 12.6 s for the remaining 120 s.
        assert_eq!(sent, 5 + 9);
    }
}
