//! Pieces of the OpenAPI document shared by every app: string choices documented from the same
//! constant the validation reads, so the document's `enum` cannot drift from what is accepted.

use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// A string that must be one of `values` (a DRF `ChoiceField`).
pub fn choices(values: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .build()
}

/// Declares a named schema (a component, e.g. `Deal`) for a choice whose values are a constant
/// of the app: `strata_api::choice_schema!(/** How it is offered. */ Deal = DEALS);`. Use it as
/// `#[schema(value_type = Deal)]` on a field, or `Option<Deal>` in a handler's `params(...)`.
#[macro_export]
macro_rules! choice_schema {
    ($(#[$meta:meta])* $name:ident = $values:expr) => {
        $(#[$meta])*
        pub struct $name;

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                $crate::openapi::choices($values).into()
            }
        }

        impl ::utoipa::ToSchema for $name {}
    };
}

#[cfg(test)]
mod tests {
    use utoipa::{PartialSchema, ToSchema};

    const SIZES: &[&str] = &["small", "large"];
    crate::choice_schema!(Size = SIZES);

    #[test]
    fn a_choice_is_a_named_string_enum_of_its_constant() {
        assert_eq!(Size::name(), "Size");
        let json = serde_json::to_value(Size::schema()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "string", "enum": ["small", "large"]})
        );
    }
}
