//! Client text the database must never see: NUL (PostgreSQL refuses it in `text`, so it would
//! surface as a 500) and the other C0 control characters, which no field of ours means to hold.
//! Every extractor of client text (query parameters, JSON bodies, path segments) checks here,
//! so an app gets this for free.

use serde_json::Value;

use crate::error::{ApiError, FieldErrors};

/// DRF's own message (`ProhibitNullCharactersValidator`).
pub const NUL_MESSAGE: &str = "Null characters are not allowed.";
pub const CONTROL_MESSAGE: &str = "Control characters are not allowed.";

/// Longest free-text query parameter (`q`, `search`, `city`, `tag`, `category`), in characters:
/// far above any title, city or slug searched for, far below what makes a `LIKE` pattern too
/// complex for SQLite (50,000 bytes) or costly anywhere. Longer is a 400 (DRF's `max_length`).
pub const TEXT_PARAM_MAX: usize = 200;

/// Longest path segment (a slug) looked up: longer than any stored slug (220), so it names
/// nothing: a 404 before any query.
pub const SEGMENT_MAX: usize = 255;

/// DRF's `CharField(max_length=…)` message.
pub fn too_long(max: usize) -> String {
    format!("Ensure this field has no more than {max} characters.")
}

/// Whether tab, newline and carriage return are acceptable: yes in free text (values), no in
/// names and path segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whitespace {
    Allowed,
    Refused,
}

/// The message refusing `text`, or `None` when it holds no forbidden character.
pub fn control_error(text: &str, whitespace: Whitespace) -> Option<&'static str> {
    let mut found = None;
    for c in text.chars() {
        match c {
            '\0' => return Some(NUL_MESSAGE),
            '\t' | '\n' | '\r' if whitespace == Whitespace::Allowed => {}
            c if c < ' ' => found = Some(CONTROL_MESSAGE),
            _ => {}
        }
    }
    found
}

/// Query parameters: a bad name or value is a 400 on that parameter.
pub fn check_params(params: &[(String, String)]) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    for (name, value) in params {
        let problem = control_error(name, Whitespace::Refused)
            .or_else(|| control_error(value, Whitespace::Allowed));
        if let Some(message) = problem
            && !errors.has(name)
        {
            errors.add(name, message);
        }
    }
    errors.check(())
}

/// A JSON body: every string at any depth, object keys included. An offending top-level key is
/// reported under `non_field_errors`, anything inside a field under that field's name.
pub fn check_json(object: &serde_json::Map<String, Value>) -> Result<(), ApiError> {
    let mut errors = FieldErrors::new();
    for (key, value) in object {
        if let Some(message) = control_error(key, Whitespace::Refused) {
            errors.add(FieldErrors::NON_FIELD, message);
        } else if let Some(message) = value_error(value) {
            errors.add(key, message);
        }
    }
    errors.check(())
}

/// The first forbidden character inside `value`. Recursion is bounded by serde_json's own
/// nesting limit (128), which parsing enforced before we get here.
fn value_error(value: &Value) -> Option<&'static str> {
    match value {
        Value::String(text) => control_error(text, Whitespace::Allowed),
        Value::Array(items) => items.iter().find_map(value_error),
        Value::Object(map) => map.iter().find_map(|(key, value)| {
            control_error(key, Whitespace::Refused).or_else(|| value_error(value))
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// A path segment (a slug): one with a control character names nothing, so it is a 404.
pub fn check_segment(segment: &str) -> Result<(), ApiError> {
    let too_long = segment.chars().nth(SEGMENT_MAX).is_some();
    match control_error(segment, Whitespace::Refused) {
        Some(_) => Err(ApiError::NotFound),
        None if too_long => Err(ApiError::NotFound),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors(result: Result<(), ApiError>) -> serde_json::Value {
        match result {
            Err(ApiError::Invalid(errors)) => json!(errors),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn nul_and_controls_are_refused_whitespace_only_in_values() {
        assert_eq!(
            control_error("a\0b", Whitespace::Allowed),
            Some(NUL_MESSAGE)
        );
        // NUL wins over another control character found first.
        assert_eq!(
            control_error("\u{1}\0", Whitespace::Allowed),
            Some(NUL_MESSAGE)
        );
        assert_eq!(
            control_error("a\u{1b}b", Whitespace::Allowed),
            Some(CONTROL_MESSAGE)
        );
        assert_eq!(control_error("a\tb\r\nc", Whitespace::Allowed), None);
        assert_eq!(
            control_error("a\nb", Whitespace::Refused),
            Some(CONTROL_MESSAGE)
        );
        assert_eq!(control_error("آپارتمان-۲ ✓", Whitespace::Refused), None);
    }

    #[test]
    fn query_parameters_are_reported_by_name() {
        let params = vec![
            ("city".to_owned(), "\0".to_owned()),
            ("q".to_owned(), "a\u{7}b".to_owned()),
            ("ok".to_owned(), "line\nbreak".to_owned()),
            ("bad\0name".to_owned(), "x".to_owned()),
        ];
        assert_eq!(
            errors(check_params(&params)),
            json!({
                "city": [NUL_MESSAGE],
                "q": [CONTROL_MESSAGE],
                "bad\u{0}name": [NUL_MESSAGE],
            })
        );
        assert!(check_params(&[("q".into(), "tab\there".into())]).is_ok());
    }

    #[test]
    fn a_segment_longer_than_any_slug_names_nothing() {
        assert!(check_segment(&"ب".repeat(SEGMENT_MAX)).is_ok());
        assert!(matches!(
            check_segment(&"a".repeat(SEGMENT_MAX + 1)),
            Err(ApiError::NotFound)
        ));
    }

    #[test]
    fn json_is_walked_at_every_depth_keys_included() {
        let body = json!({
            "name": "a\u{0}b",
            "tags": [1, {"deep": ["fine", "x\u{1f}"]}],
            "meta": {"k\u{0}": 1},
            "description": "two\nlines\tok",
            "\u{2}": "value",
        });
        let Value::Object(map) = body else {
            unreachable!()
        };
        assert_eq!(
            errors(check_json(&map)),
            json!({
                "name": [NUL_MESSAGE],
                "tags": [CONTROL_MESSAGE],
                "meta": [NUL_MESSAGE],
                "non_field_errors": [CONTROL_MESSAGE],
            })
        );
    }

    #[test]
    fn a_segment_with_a_control_character_names_nothing() {
        assert!(matches!(check_segment("a\0b"), Err(ApiError::NotFound)));
        assert!(check_segment("ویلا-شمال").is_ok());
    }
}
