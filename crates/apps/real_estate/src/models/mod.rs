//! Real-estate tables. Persistence only: no cache, no HTTP.
//!
//! Amounts (price, deposit) and area are stored as integer hundredths, exact and comparable on
//! SQLite and PostgreSQL alike; serializers render them as DRF's two-place decimal strings.

pub mod property;
pub mod property_option;
pub mod property_tag;
