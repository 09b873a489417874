//! Value formats of DRF's representation, for serializers.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;

/// ISO 8601 in UTC with `Z`, microseconds only when present — Python's `isoformat()` as DRF
/// renders it (`2026-11-24T15:36:38Z`, `2026-11-24T15:36:38.250000Z`).
pub fn datetime(value: &DateTime<Utc>) -> String {
    let format = if value.timestamp_subsec_micros() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Micros
    };
    value.to_rfc3339_opts(format, true)
}

/// An amount stored as hundredths (exact on SQLite and PostgreSQL alike), rendered as DRF's
/// `DecimalField(decimal_places=2)` does: a string with two places.
pub fn hundredths(value: i64) -> String {
    Decimal::new(value, 2).to_string()
}

/// The stored form of a validated two-place decimal, or `None` when it does not fit.
pub fn to_hundredths(value: Decimal) -> Option<i64> {
    let scaled = value.checked_mul(Decimal::ONE_HUNDRED)?.trunc();
    i64::try_from(scaled).ok()
}

/// Django's `slugify(value, allow_unicode=True)`: letters (any script), digits, `_` and `-`;
/// white space and dashes collapse to one `-`; lowercased; trimmed of `-` and `_`.
pub fn slugify(value: &str) -> String {
    let mut slug = String::with_capacity(value.len());
    let mut dash = false;
    for c in value.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(c);
        } else if c.is_whitespace() || c == '-' {
            dash = true;
        }
    }
    slug.trim_matches(|c| c == '-' || c == '_').to_owned()
}

/// Django's `validate_unicode_slug`.
pub fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn datetimes_are_python_isoformat_with_z() {
        let t = Utc.with_ymd_and_hms(2026, 11, 24, 15, 36, 38).unwrap();
        assert_eq!(datetime(&t), "2026-11-24T15:36:38Z");
        let t = t + chrono::Duration::microseconds(250_000);
        assert_eq!(datetime(&t), "2026-11-24T15:36:38.250000Z");
    }

    #[test]
    fn amounts_keep_two_places() {
        assert_eq!(hundredths(12_500_000_000), "125000000.00");
        assert_eq!(hundredths(5), "0.05");
        assert_eq!(to_hundredths("12.5".parse().unwrap()), Some(1250));
    }

    #[test]
    fn slugs_keep_persian_letters() {
        assert_eq!(slugify("  Villa  with Pool! "), "villa-with-pool");
        assert_eq!(slugify("آپارتمان نوساز تهران"), "آپارتمان-نوساز-تهران");
        assert!(is_slug("آپارتمان-1"));
        assert!(!is_slug("a b"));
    }
}
