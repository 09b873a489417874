//! Prices as the site shows them: stored amounts are in the currency `web.currency` names (ISO
//! 4217, IRR by default); for IRR the site quotes tomans (a tenth of the amount, as Iranian
//! listing sites do) unless `web.irr_unit` says rials. Every amount carries its unit, in the
//! page's language and digits.

use serde::Deserialize;

use crate::i18n::{Lang, SiteLang};

/// How the site quotes amounts stored in Iranian rials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IrrUnit {
    /// Ten rials: what Iranian listing sites quote.
    #[default]
    Toman,
    Rial,
}

/// The stored amounts' currency and the unit the site shows them in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency {
    /// ISO 4217, upper case.
    pub code: String,
    pub irr_unit: IrrUnit,
}

impl Default for Currency {
    fn default() -> Self {
        Currency::new("IRR", IrrUnit::default())
    }
}

impl Currency {
    pub fn new(code: &str, irr_unit: IrrUnit) -> Self {
        Currency {
            code: code.trim().to_ascii_uppercase(),
            irr_unit,
        }
    }

    /// Tomans are shown: amounts are divided by ten.
    pub fn in_tomans(&self) -> bool {
        self.code == "IRR" && self.irr_unit == IrrUnit::Toman
    }

    /// What one shown unit is in stored units (10 for tomans, else 1).
    pub fn factor(&self) -> i64 {
        if self.in_tomans() { 10 } else { 1 }
    }

    /// The unit's name in `lang` (`تومان`, `toman`, `ریال`, `rials`; other currencies by their
    /// code).
    pub fn unit(&self, lang: Lang) -> &str {
        match (self.code.as_str(), self.in_tomans(), lang) {
            ("IRR", true, Lang::Fa) => "تومان",
            ("IRR", true, Lang::En) => "toman",
            ("IRR", false, Lang::Fa) => "ریال",
            ("IRR", false, Lang::En) => "rials",
            (code, ..) => code,
        }
    }

    /// A stored amount (a decimal string, e.g. `"125000000.00"`) in the shown unit, grouped,
    /// in `lang`'s digits, without the unit.
    pub fn amount(&self, lang: Lang, decimal: &str) -> String {
        if self.in_tomans() {
            lang.number(&shifted(decimal, 1))
        } else {
            lang.number(decimal)
        }
    }

    /// A stored amount with its unit: `۱۲٬۵۰۰٬۰۰۰ تومان`, `12,500,000 toman`.
    pub fn show(&self, lang: Lang, decimal: &str) -> String {
        format!("{} {}", self.amount(lang, decimal), self.unit(lang))
    }

    /// What a client needs to show amounts as the site does (the OpenAPI document's
    /// `info.x-strata-currency`).
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.code,
            "display_unit": if self.in_tomans() { "toman" } else if self.code == "IRR" { "rial" } else { self.code.as_str() },
            "display_divisor": self.factor(),
        })
    }
}

/// `decimal` with its point moved `places` to the left (`"1250.00"`, 1 → `"125.000"`); two
/// fraction digits at least, more only when they are not zero.
fn shifted(decimal: &str, places: usize) -> String {
    let (sign, unsigned) = match decimal.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", decimal),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let mut digits = format!("{whole}{fraction}");
    let fraction_len = fraction.len() + places;
    while digits.len() <= fraction_len {
        digits.insert(0, '0');
    }
    let (whole, fraction) = digits.split_at(digits.len() - fraction_len);
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let mut fraction = fraction.trim_end_matches('0').to_owned();
    while fraction.len() < 2 {
        fraction.push('0');
    }
    format!("{sign}{whole}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rials_are_shown_in_tomans_by_default() {
        let irr = Currency::default();
        assert!(irr.in_tomans());
        assert_eq!(irr.show(Lang::Fa, "125000000.00"), "۱۲٬۵۰۰٬۰۰۰ تومان");
        assert_eq!(irr.show(Lang::En, "125000000.00"), "12,500,000 toman");
        assert_eq!(irr.amount(Lang::En, "15.00"), "1.50");
        assert_eq!(irr.amount(Lang::En, "0.10"), "0.01");
        assert_eq!(irr.amount(Lang::En, "1.25"), "0.125");
        assert_eq!(irr.amount(Lang::En, "7"), "0.70");
        let rial = Currency::new("irr", IrrUnit::Rial);
        assert_eq!(rial.factor(), 1);
        assert_eq!(rial.show(Lang::Fa, "125000000.00"), "۱۲۵٬۰۰۰٬۰۰۰ ریال");
        assert_eq!(rial.show(Lang::En, "125000000.00"), "125,000,000 rials");
        let usd = Currency::new("USD", IrrUnit::Toman);
        assert_eq!(usd.factor(), 1);
        assert_eq!(usd.show(Lang::Fa, "1250.50"), "۱٬۲۵۰٫۵۰ USD");
        assert_eq!(usd.describe()["display_unit"], "USD");
        assert_eq!(irr.describe()["display_divisor"], 10);
    }

    #[test]
    fn shifting_keeps_every_digit() {
        assert_eq!(shifted("1250.00", 1), "125.00");
        assert_eq!(shifted("1255.00", 1), "125.50");
        assert_eq!(shifted("0.05", 1), "0.005");
        assert_eq!(shifted("-30.00", 1), "-3.00");
        assert_eq!(shifted("100", 1), "10.00");
    }
}
