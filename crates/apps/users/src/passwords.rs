//! Django's default password validators (`AUTH_PASSWORD_VALIDATORS`), with its messages:
//! minimum length, common passwords (Django's own bundled list), entirely numeric, and too
//! similar to the user's username or email address. Every problem is reported at once, as
//! Django's `validate_password` does.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Shortest password, as Django's default `MinimumLengthValidator`.
pub const PASSWORD_MIN: usize = 8;

/// Django's `UserAttributeSimilarityValidator.DEFAULT_MAX_SIMILARITY`.
const MAX_SIMILARITY: f64 = 0.7;

/// Django's list (see `data/README.md`), one lowercase password a line.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

/// What a user's attributes are called in the messages, as Django's field `verbose_name`s.
pub struct Attributes<'a> {
    pub username: &'a str,
    pub email: &'a str,
}

/// Every reason `password` is refused for a user with `attributes`; empty when it is accepted.
pub fn problems(password: &str, attributes: &Attributes<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    if password.chars().count() < PASSWORD_MIN {
        problems.push(format!(
            "This password is too short. It must contain at least {PASSWORD_MIN} characters."
        ));
    }
    if COMMON.contains(password.trim().to_lowercase().as_str()) {
        problems.push("This password is too common.".to_owned());
    }
    // Python's `isdigit`: Persian and Arabic digits are digits too.
    if !password.is_empty() && password.chars().all(char::is_numeric) {
        problems.push("This password is entirely numeric.".to_owned());
    }
    for (name, value) in [
        ("username", attributes.username),
        ("email address", attributes.email),
    ] {
        if too_similar(password, value) {
            problems.push(format!("The password is too similar to the {name}."));
        }
    }
    problems
}

/// Django's `UserAttributeSimilarityValidator`: the password against the attribute and each of
/// its parts split at non-word characters, by `SequenceMatcher.quick_ratio`, skipping a part
/// so much shorter than the password that it cannot make it similar.
fn too_similar(password: &str, value: &str) -> bool {
    if value.is_empty() {
        return false;
    }
    let password = password.to_lowercase();
    let value = value.to_lowercase();
    value
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .chain(std::iter::once(value.as_str()))
        .filter(|part| !exceeds_length_ratio(&password, part))
        .any(|part| quick_ratio(&password, part) >= MAX_SIMILARITY)
}

/// Django's `exceeds_maximum_length_ratio`.
fn exceeds_length_ratio(password: &str, value: &str) -> bool {
    let password_len = password.chars().count() as f64;
    let value_len = value.chars().count() as f64;
    password_len >= 10.0 * value_len && value_len < MAX_SIMILARITY / 2.0 * password_len
}

/// Python's `difflib.SequenceMatcher(a, b).quick_ratio()`: twice the characters the two have
/// in common (as multisets) over their total length.
fn quick_ratio(a: &str, b: &str) -> f64 {
    let total = a.chars().count() + b.chars().count();
    if total == 0 {
        return 1.0;
    }
    let mut available: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    for c in b.chars() {
        *available.entry(c).or_default() += 1;
    }
    let matches = a
        .chars()
        .filter(|c| match available.get_mut(c) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .count();
    2.0 * matches as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINA: Attributes<'static> = Attributes {
        username: "mina.karimi",
        email: "mina@example.com",
    };

    #[test]
    fn djangos_validators_and_messages() {
        assert_eq!(
            problems("correct horse battery", &MINA),
            Vec::<String>::new()
        );
        assert_eq!(
            problems("12345678", &MINA),
            [
                "This password is too common.",
                "This password is entirely numeric."
            ]
        );
        assert_eq!(
            problems("Password ", &MINA),
            ["This password is too common."]
        );
        assert_eq!(
            problems("73918264", &MINA),
            ["This password is entirely numeric."]
        );
        assert_eq!(
            problems("۷۳۹۱۸۲۶۴", &MINA),
            ["This password is entirely numeric."]
        );
        assert_eq!(
            problems("123", &MINA),
            [
                "This password is too short. It must contain at least 8 characters.",
                "This password is too common.",
                "This password is entirely numeric.",
            ]
        );
        assert_eq!(
            problems("mina.karimi1", &MINA),
            ["The password is too similar to the username."]
        );
        assert_eq!(
            problems("Karimi!!", &MINA),
            ["The password is too similar to the username."]
        );
        assert_eq!(
            problems("mina@example.com", &MINA),
            ["The password is too similar to the email address."]
        );
        // A short part of an attribute does not make a long password similar.
        assert_eq!(
            problems("mina and a much longer passphrase", &MINA),
            Vec::<String>::new()
        );
    }

    #[test]
    fn quick_ratio_is_pythons() {
        // difflib.SequenceMatcher(a="abcd", b="bcde").quick_ratio() == 0.75
        assert!((quick_ratio("abcd", "bcde") - 0.75).abs() < 1e-9);
        assert!((quick_ratio("", "") - 1.0).abs() < 1e-9);
        assert_eq!(quick_ratio("abc", "xyz"), 0.0);
        assert_eq!(COMMON.len(), 19_640);
    }
}
