//! Request bodies as DRF reads them: a JSON object validated field by field, every problem
//! reported at once under its field's name, unknown fields refused.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::error::{ApiError, FieldErrors};

/// A JSON object body. Rejects other content types (415), malformed JSON (400 `detail`) and
/// anything but an object (400 `non_field_errors`), with DRF's messages.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
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
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        JsonObject::parse(&bytes)
    }
}

impl JsonObject {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| ApiError::Parse(format!("JSON parse error - {e}")))?;
        match value {
            Value::Object(map) => Ok(JsonObject(map)),
            other => Err(ApiError::field(
                FieldErrors::NON_FIELD,
                format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    python_type(&other)
                ),
            )),
        }
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
    errors: FieldErrors,
}

impl Fields {
    pub fn new(JsonObject(map): JsonObject, partial: bool) -> Self {
        Fields {
            map,
            partial,
            errors: FieldErrors::new(),
        }
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    pub fn has_error(&self, field: &str) -> bool {
        self.errors.has(field)
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

    /// A list of primary keys (a many-to-many field), deduplicated in order.
    pub fn id_list(&mut self, field: &'static str, required: bool) -> Option<Vec<i64>> {
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
        let mut ids = Vec::with_capacity(items.len());
        for item in &items {
            match item.as_i64().filter(|id| *id > 0) {
                Some(id) if !ids.contains(&id) => ids.push(id),
                Some(_) => {}
                None => {
                    self.errors.add(
                        field,
                        format!(
                            "Incorrect type. Expected pk value, received {}.",
                            python_type(item)
                        ),
                    );
                    return None;
                }
            }
        }
        Some(ids)
    }

    /// Refuses fields no reader took (unknown ones), then returns `value` or every error found.
    pub fn finish<T>(mut self, value: T) -> Result<T, ApiError> {
        let mut unknown: Vec<String> = self.map.keys().cloned().collect();
        unknown.sort();
        for field in unknown {
            self.errors.add(&field, "This field is not allowed.");
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
