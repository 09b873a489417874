//! Request bodies as DRF reads them: a JSON object validated field by field, every problem
//! reported at once under its field's name. Read-only fields (`id`, timestamps, what only the
//! output shows) are ignored, as DRF ignores them: clients send back what they fetched. Unknown
//! fields are ignored too, unless `api.strict_input` is on (then each is a 400).

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::context::Ctx;
use crate::error::{ApiError, FieldErrors};

/// Most ids a relation field (tags, options, an image order) accepts in one write.
pub const RELATION_IDS_MAX: usize = 100;
/// Most ids one bulk action accepts.
pub const BULK_IDS_MAX: usize = 500;

/// A JSON object body. Rejects other content types (415), malformed JSON (400 `detail`) and
/// anything but an object (400 `non_field_errors`), with DRF's messages. Extracted from a
/// request, it carries the `api.strict_input` setting to the [`Fields`] that read it.
#[derive(Debug)]
pub struct JsonObject {
    map: Map<String, Value>,
    strict: bool,
}

impl FromRequest<Ctx> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        if !media_type.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::UnsupportedMediaType(content_type));
        }
        let bytes = Bytes::from_request(req, ctx)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        Ok(JsonObject::parse(&bytes)?.strict(ctx.settings.strict_input))
    }
}

impl JsonObject {
    /// The body's object; unknown fields are ignored unless [`JsonObject::strict`] says not.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| ApiError::Parse(format!("JSON parse error - {e}")))?;
        match value {
            Value::Object(map) => {
                crate::text::check_json(&map)?;
                Ok(JsonObject { map, strict: false })
            }
            other => Err(ApiError::field(
                FieldErrors::NON_FIELD,
                format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    python_type(&other)
                ),
            )),
        }
    }

    /// With `strict`, a field no reader takes is a 400 "This field is not allowed." instead of
    /// being ignored (`api.strict_input`).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The body without `field`: a read-only field every resource shares (its `version`,
    /// which a client may send back with the object it fetched), dropped even in strict mode.
    pub fn without(mut self, field: &str) -> Self {
        self.map.remove(field);
        self
    }
}

fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Which write a body is for: POST creates, PUT replaces (every required field), PATCH updates
/// the fields it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Create,
    Replace,
    Patch,
}

impl Mode {
    pub fn partial(self) -> bool {
        self == Mode::Patch
    }

    pub fn creating(self) -> bool {
        self == Mode::Create
    }
}

/// Reads fields out of a JSON object the way a DRF serializer validates them. `partial` is a
/// PATCH: absent fields are fine. Every reader returns `None` when the field is absent or
/// invalid; [`Fields::finish`] then returns all errors at once.
pub struct Fields {
    map: Map<String, Value>,
    partial: bool,
    strict: bool,
    errors: FieldErrors,
}

impl Fields {
    pub fn new(JsonObject { map, strict }: JsonObject, partial: bool) -> Self {
        Fields {
            map,
            partial,
            strict,
            errors: FieldErrors::new(),
        }
    }

    /// Drops the serializer's read-only fields (DRF's `read_only_fields`: the id, timestamps,
    /// what only the output shows) whatever their value, even in strict mode: a client may send
    /// back the object it fetched.
    pub fn read_only(&mut self, fields: &[&str]) {
        for field in fields {
            self.map.remove(*field);
        }
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    /// Whether the body has `field` (not yet read).
    pub fn has_field(&self, field: &str) -> bool {
        self.map.contains_key(field)
    }

    pub fn has_error(&self, field: &str) -> bool {
        self.errors.has(field)
    }

    /// A PATCH: absent fields are left as they are.
    pub(crate) fn partial(&self) -> bool {
        self.partial
    }

    /// The raw value, with the required / null checks done. `Some(None)` is an explicit null
    /// on a nullable field.
    fn take(
        &mut self,
        field: &'static str,
        required: bool,
        nullable: bool,
    ) -> Option<Option<Value>> {
        match self.map.remove(field) {
            None => {
                if required && !self.partial {
                    self.errors.add(field, "This field is required.");
                }
                None
            }
            Some(Value::Null) if nullable => Some(None),
            Some(Value::Null) => {
                self.errors.add(field, "This field may not be null.");
                None
            }
            Some(value) => Some(Some(value)),
        }
    }

    /// A string, trimmed like DRF's `CharField`; blank refused unless `allow_blank`.
    pub fn string(
        &mut self,
        field: &'static str,
        required: bool,
        max_length: usize,
        allow_blank: bool,
    ) -> Option<String> {
        let value = self.take(field, required, false)??;
        let Value::String(text) = value else {
            self.errors.add(field, "Not a valid string.");
            return None;
        };
        let text = text.trim().to_owned();
        if text.is_empty() && !allow_blank {
            self.errors.add(field, "This field may not be blank.");
            return None;
        }
        if text.chars().count() > max_length {
            self.errors.add(
                field,
                format!("Ensure this field has no more than {max_length} characters."),
            );
            return None;
        }
        Some(text)
    }

    /// A required string taken as sent, never trimmed (a password).
    pub fn secret(&mut self, field: &'static str, max_length: usize) -> Option<String> {
        let value = self.take(field, true, false)??;
        match value {
            Value::String(text) if text.is_empty() => {
                self.errors.add(field, "This field may not be blank.");
                None
            }
            Value::String(text) if text.chars().count() <= max_length => Some(text),
            Value::String(_) => {
                self.errors.add(
                    field,
                    format!("Ensure this field has no more than {max_length} characters."),
                );
                None
            }
            _ => {
                self.errors.add(field, "Not a valid string.");
                None
            }
        }
    }

    /// An integer within `min..=max`; numeric strings are accepted, as DRF does.
    pub fn integer(
        &mut self,
        field: &'static str,
        required: bool,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let value = self.take(field, required, false)??;
        self.integer_value(field, &value, min, max)
    }

    /// A nullable integer (a foreign key, say): `Some(None)` is an explicit null.
    pub fn nullable_integer(
        &mut self,
        field: &'static str,
        min: i64,
        max: i64,
    ) -> Option<Option<i64>> {
        match self.take(field, false, true)? {
            None => Some(None),
            Some(value) => self.integer_value(field, &value, min, max).map(Some),
        }
    }

    /// A nullable date and time, as DRF's `DateTimeField` reads it (ISO 8601; without an
    /// offset it is UTC, the site's time zone): `Some(None)` is an explicit null.
    pub fn nullable_datetime(&mut self, field: &'static str) -> Option<Option<DateTime<Utc>>> {
        match self.take(field, false, true)? {
            None => Some(None),
            Some(Value::String(text)) if let Some(at) = parse_datetime(text.trim()) => {
                Some(Some(at))
            }
            Some(_) => {
                self.errors.add(
                    field,
                    "Datetime has wrong format. Use one of these formats instead: \
                     YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
                );
                None
            }
        }
    }

    fn integer_value(&mut self, field: &str, value: &Value, min: i64, max: i64) -> Option<i64> {
        let parsed = match value {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let Some(n) = parsed else {
            self.errors.add(field, "A valid integer is required.");
            return None;
        };
        check_range(&mut self.errors, field, n, min, max)
    }

    /// A decimal with at most `places` decimal places, within `0..=max`, as DRF's
    /// `DecimalField` (strings and numbers both accepted).
    pub fn decimal(
        &mut self,
        field: &'static str,
        required: bool,
        places: u32,
        max: Decimal,
    ) -> Option<Decimal> {
        let value = self.take(field, required, false)??;
        self.decimal_value(field, &value, places, max)
    }

    /// A nullable decimal: `Some(None)` is an explicit null.
    pub fn nullable_decimal(
        &mut self,
        field: &'static str,
        places: u32,
        max: Decimal,
    ) -> Option<Option<Decimal>> {
        match self.take(field, false, true)? {
            None => Some(None),
            Some(value) => self.decimal_value(field, &value, places, max).map(Some),
        }
    }

    fn decimal_value(
        &mut self,
        field: &str,
        value: &Value,
        places: u32,
        max: Decimal,
    ) -> Option<Decimal> {
        let parsed = match value {
            Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
            Value::String(s) => s.trim().parse::<Decimal>().ok(),
            _ => None,
        };
        let Some(d) = parsed else {
            self.errors.add(field, "A valid number is required.");
            return None;
        };
        if d.normalize().scale() > places {
            self.errors.add(
                field,
                format!("Ensure that there are no more than {places} decimal places."),
            );
            return None;
        }
        if d.is_sign_negative() && !d.is_zero() {
            self.errors
                .add(field, "Ensure this value is greater than or equal to 0.");
            return None;
        }
        if d > max {
            self.errors.add(
                field,
                format!("Ensure this value is less than or equal to {max}."),
            );
            return None;
        }
        Some(d)
    }

    pub fn boolean(&mut self, field: &'static str, required: bool) -> Option<bool> {
        let value = self.take(field, required, false)??;
        let parsed = match &value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Some(true),
                "false" | "0" | "no" | "off" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            self.errors.add(field, "Must be a valid boolean.");
        }
        parsed
    }

    /// One of `choices` (a DRF `ChoiceField`).
    pub fn choice(
        &mut self,
        field: &'static str,
        required: bool,
        choices: &[&'static str],
    ) -> Option<&'static str> {
        let value = self.take(field, required, false)??;
        let text = match &value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match choices.iter().find(|c| **c == text) {
            Some(choice) => Some(choice),
            None => {
                self.errors
                    .add(field, format!("\"{text}\" is not a valid choice."));
                None
            }
        }
    }

    /// A JSON object taken as it is (a DRF `DictField`); its entries are the caller's to read.
    pub fn object(&mut self, field: &'static str, required: bool) -> Option<Map<String, Value>> {
        match self.take(field, required, false)?? {
            Value::Object(map) => Some(map),
            other => {
                self.errors.add(
                    field,
                    format!(
                        "Expected a dictionary of items but got type \"{}\".",
                        python_type(&other)
                    ),
                );
                None
            }
        }
    }

    /// A list of primary keys (a many-to-many field: tags, options; an image order), at most
    /// [`RELATION_IDS_MAX`] of them, deduplicated in order.
    pub fn id_list(&mut self, field: &'static str, required: bool) -> Option<Vec<i64>> {
        self.ids(field, required, RELATION_IDS_MAX)
    }

    /// The `ids` of a bulk action: required, not empty, at most [`BULK_IDS_MAX`], deduplicated
    /// in order.
    pub fn bulk_ids(&mut self, field: &'static str) -> Option<Vec<i64>> {
        let ids = self.ids(field, true, BULK_IDS_MAX)?;
        if ids.is_empty() {
            self.errors.add(field, "This list may not be empty.");
            return None;
        }
        Some(ids)
    }

    /// Ids as DRF's `PrimaryKeyRelatedField(many=True)` reads them. The length is checked on
    /// the list as sent, before any work, so the query the ids end up in always stays far below
    /// the databases' bind-parameter limits (32,766 for SQLite, 65,535 for PostgreSQL).
    fn ids(&mut self, field: &'static str, required: bool, max: usize) -> Option<Vec<i64>> {
        let value = self.take(field, required, false)??;
        let Value::Array(items) = value else {
            self.errors.add(
                field,
                format!(
                    "Expected a list of items but got type \"{}\".",
                    python_type(&value)
                ),
            );
            return None;
        };
        if items.len() > max {
            self.errors.add(
                field,
                format!("Ensure this field has no more than {max} elements."),
            );
            return None;
        }
        let mut seen = HashSet::with_capacity(items.len());
        let mut ids = Vec::with_capacity(items.len());
        for item in &items {
            let Some(id) = item.as_i64().filter(|id| *id > 0) else {
                self.errors.add(
                    field,
                    format!(
                        "Incorrect type. Expected pk value, received {}.",
                        python_type(item)
                    ),
                );
                return None;
            };
            if seen.insert(id) {
                ids.push(id);
            }
        }
        Some(ids)
    }

    /// Returns `value` or every error found. Fields no reader took (unknown ones) are ignored,
    /// as DRF ignores them; in strict mode each is refused.
    pub fn finish<T>(mut self, value: T) -> Result<T, ApiError> {
        if self.strict {
            let mut unknown: Vec<String> = self.map.keys().cloned().collect();
            unknown.sort();
            for field in unknown {
                self.errors.add(&field, "This field is not allowed.");
            }
        }
        self.errors.check(value)
    }
}

fn check_range(errors: &mut FieldErrors, field: &str, n: i64, min: i64, max: i64) -> Option<i64> {
    if n < min {
        errors.add(
            field,
            format!("Ensure this value is greater than or equal to {min}."),
        );
        None
    } else if n > max {
        errors.add(
            field,
            format!("Ensure this value is less than or equal to {max}."),
        );
        None
    } else {
        Some(n)
    }
}

/// ISO 8601 as Django's `parse_datetime` reads it: `T` or a space between date and time,
/// seconds and fractions optional, an offset or `Z`, or none (UTC); a date alone is midnight.
fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    const WITH_OFFSET: [&str; 4] = [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
    ];
    if let Some(at) = WITH_OFFSET
        .iter()
        .find_map(|format| DateTime::parse_from_str(text, format).ok())
    {
        return Some(at.with_timezone(&Utc));
    }
    const NAIVE: [&str; 4] = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
    ];
    NAIVE
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|day| day.and_hms_opt(0, 0, 0))
        })
        .map(|at| at.and_utc())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(body: Value) -> Fields {
        let Value::Object(map) = body else {
            unreachable!("tests pass objects")
        };
        Fields::new(JsonObject { map, strict: false }, false)
    }

    fn messages(f: Fields) -> Value {
        match f.finish(()) {
            Err(ApiError::Invalid(errors)) => json!(errors),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn ids_are_deduplicated_in_order() {
        let mut f = fields(json!({"tags": [3, 1, 3, 2, 1]}));
        assert_eq!(f.id_list("tags", true), Some(vec![3, 1, 2]));
        assert!(f.finish(()).is_ok());
    }

    #[test]
    fn relation_ids_are_capped_before_being_read() {
        let at_cap: Vec<i64> = (1..=RELATION_IDS_MAX as i64).collect();
        let mut f = fields(json!({ "tags": at_cap }));
        assert_eq!(
            f.id_list("tags", true).map(|ids| ids.len()),
            Some(RELATION_IDS_MAX)
        );
        // One more, even a repeat, is refused: the cap is on the list as sent.
        let mut over = at_cap.clone();
        over.push(1);
        let mut f = fields(json!({ "tags": over }));
        assert_eq!(f.id_list("tags", true), None);
        assert_eq!(
            messages(f),
            json!({"tags": ["Ensure this field has no more than 100 elements."]})
        );
    }

    #[test]
    fn bulk_ids_are_required_non_empty_and_capped_at_500() {
        let mut f = fields(json!({}));
        assert_eq!(f.bulk_ids("ids"), None);
        assert_eq!(messages(f), json!({"ids": ["This field is required."]}));
        let mut f = fields(json!({"ids": []}));
        assert_eq!(f.bulk_ids("ids"), None);
        assert_eq!(messages(f), json!({"ids": ["This list may not be empty."]}));
        let many: Vec<i64> = (1..=BULK_IDS_MAX as i64).collect();
        let mut f = fields(json!({ "ids": many }));
        assert_eq!(f.bulk_ids("ids").map(|ids| ids.len()), Some(BULK_IDS_MAX));
        let too_many: Vec<i64> = (1..=BULK_IDS_MAX as i64 + 1).collect();
        let mut f = fields(json!({ "ids": too_many }));
        assert_eq!(f.bulk_ids("ids"), None);
        assert_eq!(
            messages(f),
            json!({"ids": ["Ensure this field has no more than 500 elements."]})
        );
    }

    #[test]
    fn a_non_id_is_drf_incorrect_type() {
        let mut f = fields(json!({"options": [1, "x"]}));
        assert_eq!(f.id_list("options", false), None);
        assert_eq!(
            messages(f),
            json!({"options": ["Incorrect type. Expected pk value, received str."]})
        );
    }

    /// 200,000 distinct ids (past any cap, so read uncapped here): a quadratic dedupe would
    /// take minutes.
    #[test]
    fn deduplication_is_linear() {
        let mut f = fields(json!({}));
        let distinct: Vec<Value> = (1..=200_000).map(|n: i64| json!(n)).collect();
        f.map.insert("ids".into(), Value::Array(distinct));
        let started = std::time::Instant::now();
        assert_eq!(
            f.ids("ids", true, usize::MAX).map(|ids| ids.len()),
            Some(200_000)
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn unknown_fields_are_ignored_unless_strict() {
        let body = || JsonObject::parse(br#"{"name": "x", "colour": "red"}"#).unwrap();
        let mut f = Fields::new(body(), false);
        assert_eq!(f.string("name", true, 10, false).as_deref(), Some("x"));
        assert!(f.finish(()).is_ok());
        let mut f = Fields::new(body().strict(true), false);
        f.string("name", true, 10, false);
        assert_eq!(
            messages(f),
            json!({"colour": ["This field is not allowed."]})
        );
    }

    #[test]
    fn read_only_fields_are_ignored_even_when_strict() {
        let body = JsonObject::parse(br#"{"id": 7, "created_at": "x", "name": "y"}"#).unwrap();
        let mut f = Fields::new(body.strict(true), false);
        f.read_only(&["id", "created_at"]);
        assert_eq!(f.string("name", true, 10, false).as_deref(), Some("y"));
        assert!(f.finish(()).is_ok());
    }

    #[test]
    fn json_bodies_with_nul_are_a_400_on_the_field() {
        match JsonObject::parse(br#"{"name": "a\u0000b"}"#) {
            Err(ApiError::Invalid(errors)) => assert_eq!(
                json!(errors),
                json!({"name": ["Null characters are not allowed."]})
            ),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn datetimes_are_read_as_django_reads_them() {
        let at = |text| parse_datetime(text).map(|at| at.to_rfc3339());
        let utc = Some("2026-12-07T10:30:00+00:00".to_owned());
        assert_eq!(at("2026-12-07T10:30:00Z"), utc);
        assert_eq!(at("2026-12-07T14:00:00+03:30"), utc);
        assert_eq!(at("2026-12-07 10:30"), utc);
        assert_eq!(at("2026-12-07T10:30"), utc);
        assert_eq!(at("2026-12-07T14:00+03:30"), utc);
        assert_eq!(
            at("2026-12-07T10:30:00.250"),
            Some("2026-12-07T10:30:00.250+00:00".to_owned())
        );
        assert_eq!(
            at("2026-12-07"),
            Some("2026-12-07T00:00:00+00:00".to_owned())
        );
        for wrong in ["", "tomorrow", "2026-13-07T10:30", "2026-12-07T25:00"] {
            assert_eq!(at(wrong), None, "{wrong:?}");
        }
    }
}
