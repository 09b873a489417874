//! Query parameters → validated filters, as django-filter's FilterSets do: unknown parameters
//! are ignored; a bad value of a known one is a 400 naming it.

use rust_decimal::Decimal;
use strata_api::serial::to_hundredths;
use strata_api::{ApiError, ApiResult, FieldErrors, UrlQuery};

pub use crate::selectors::{AdminFilter, PublicFilter};
use crate::serializers::{DEALS, STATUSES};

pub const PUBLIC_ORDERING: &[&str] = &["-published_at", "price", "-price"];
pub const ADMIN_ORDERING: &[&str] = &[
    "-updated_at",
    "updated_at",
    "-published_at",
    "published_at",
    "price",
    "-price",
    "title",
    "-title",
    "id",
    "-id",
];

/// Collects every filter's error, like a FilterSet's form.
struct Reader<'a> {
    query: &'a UrlQuery,
    errors: FieldErrors,
}

impl<'a> Reader<'a> {
    fn choice(&mut self, name: &str, choices: &[&'static str]) -> Option<&'static str> {
        self.query.choice(name, choices).unwrap_or_else(|err| {
            if let ApiError::Invalid(errors) = err {
                self.errors = std::mem::take(&mut self.errors).merge(errors);
            }
            None
        })
    }

    fn amount(&mut self, name: &str) -> Option<i64> {
        let text = self.query.text(name)?;
        match text
            .parse::<Decimal>()
            .ok()
            .filter(|d| !d.is_sign_negative())
            .and_then(to_hundredths)
        {
            Some(value) => Some(value),
            None => {
                self.errors.add(name, "Enter a number.");
                None
            }
        }
    }

    fn whole(&mut self, name: &str, max: i64) -> Option<i64> {
        let text = self.query.text(name)?;
        match text.parse::<i64>().ok().filter(|n| (0..=max).contains(n)) {
            Some(value) => Some(value),
            None => {
                self.errors.add(name, "Enter a whole number.");
                None
            }
        }
    }

    fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.query.text(name)?.as_str() {
            "true" | "True" | "1" => Some(true),
            "false" | "False" | "0" => Some(false),
            _ => {
                self.errors.add(name, "Select a valid choice.");
                None
            }
        }
    }
}

pub fn public(query: &UrlQuery) -> ApiResult<PublicFilter> {
    let mut r = Reader {
        query,
        errors: FieldErrors::new(),
    };
    let filter = PublicFilter {
        category: query.text("category"),
        city: query.text("city"),
        deal: r.choice("deal", DEALS),
        min_price: r.amount("min_price"),
        max_price: r.amount("max_price"),
        rooms: r.whole("rooms", 100).map(|n| n as i32),
        q: query.text("q"),
        tag: query.text("tag"),
        featured: r.boolean("featured"),
        ordering: r
            .choice("ordering", PUBLIC_ORDERING)
            .unwrap_or("-published_at"),
    };
    r.errors.check(filter)
}

pub fn admin(query: &UrlQuery) -> ApiResult<AdminFilter> {
    let mut r = Reader {
        query,
        errors: FieldErrors::new(),
    };
    let filter = AdminFilter {
        status: r.choice("status", STATUSES),
        deal: r.choice("deal", DEALS),
        category: r.whole("category", i64::MAX),
        featured: r.boolean("featured"),
        q: query.text("q").or_else(|| query.text("search")),
        ordering: r
            .choice("ordering", ADMIN_ORDERING)
            .unwrap_or("-updated_at"),
    };
    r.errors.check(filter)
}
