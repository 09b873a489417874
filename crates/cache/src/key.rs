//! Cache keys, built only through typed constructors.
//!
//! A logical key is `{scope}:{app}:{resource}:{id|hash}` (policy §6). In the store it becomes
//! `<ENV>:<project>:<version>:<key>`, the layout django-redis gives `KEY_PREFIX` and `VERSION`, so
//! a Django process with the policy's settings reads and writes the very same keys.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::pyjson;

/// Who may see what a key holds. Private data (tickets, users) never gets a public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Public,
    Admin,
}

impl Scope {
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Public => "public",
            Scope::Admin => "admin",
        }
    }
}

/// `{scope}:{app}:{resource}`: the unit of namespace invalidation, flags and metrics.
///
/// Declared as constants by each app's cache module, so a malformed name fails the build:
/// `const LIST: Namespace = Namespace::public("property", "list");`
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace {
    scope: Scope,
    app: Cow<'static, str>,
    resource: Cow<'static, str>,
}

/// Why a namespace or key part was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("`{0}` is not a namespace: expected `public|admin:<app>:<resource>`")]
    NotANamespace(String),
    #[error("`{0}` is not a valid key segment: use lowercase ASCII letters, digits and `_`")]
    BadSegment(String),
    #[error("filter parameters cannot be hashed: {0}")]
    Unhashable(String),
}

const fn valid_segment(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.is_empty() || bytes[0] == b'_' {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return false;
        }
        i += 1;
    }
    true
}

impl Namespace {
    /// A namespace whose parts are checked at compile time when used in a `const`.
    pub const fn new(scope: Scope, app: &'static str, resource: &'static str) -> Self {
        assert!(
            valid_segment(app),
            "app must be lowercase ASCII, digits or `_`"
        );
        assert!(
            valid_segment(resource),
            "resource must be lowercase ASCII, digits or `_`"
        );
        Namespace {
            scope,
            app: Cow::Borrowed(app),
            resource: Cow::Borrowed(resource),
        }
    }

    pub const fn public(app: &'static str, resource: &'static str) -> Self {
        Self::new(Scope::Public, app, resource)
    }

    pub const fn admin(app: &'static str, resource: &'static str) -> Self {
        Self::new(Scope::Admin, app, resource)
    }

    /// Parses `public:property:list` as typed by an operator (`strata cache invalidate …`).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut parts = text.split(':');
        let (Some(scope), Some(app), Some(resource), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::NotANamespace(text.to_owned()));
        };
        let scope = match scope {
            "public" => Scope::Public,
            "admin" => Scope::Admin,
            _ => return Err(KeyError::NotANamespace(text.to_owned())),
        };
        for part in [app, resource] {
            if !valid_segment(part) {
                return Err(KeyError::BadSegment(part.to_owned()));
            }
        }
        Ok(Namespace {
            scope,
            app: Cow::Owned(app.to_owned()),
            resource: Cow::Owned(resource.to_owned()),
        })
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The key of one object: `public:property:detail:42`.
    pub fn id(&self, id: i64) -> CacheKey {
        self.key(id.to_string())
    }

    /// A fixed identifier such as `all` in `public:taxonomy:category:all`.
    ///
    /// # Panics
    /// If `name` is not lowercase ASCII, digits or `_`: names are literals, so that is a bug
    /// caught by the first test that builds the key.
    pub fn named(&self, name: &'static str) -> CacheKey {
        assert!(
            valid_segment(name),
            "a key name must be lowercase ASCII, digits or `_`"
        );
        self.key(name.to_owned())
    }

    /// A key for a free-form identifier (a slug, possibly Persian). Characters that would break
    /// the key's shape (`:`, `%`, white space, control characters, a leading `_`) are
    /// percent-encoded, so distinct slugs never collide and never reach the store's own keys;
    /// so are `{` and `}`, which Redis Cluster would read as a hash tag.
    pub fn slug(&self, slug: &str) -> CacheKey {
        let mut ident = String::with_capacity(slug.len());
        for (i, c) in slug.chars().enumerate() {
            if matches!(c, ':' | '%' | '{' | '}')
                || c.is_whitespace()
                || c.is_control()
                || (i == 0 && c == '_')
            {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    ident.push_str(&format!("%{b:02X}"));
                }
            } else {
                ident.push(c);
            }
        }
        if ident.is_empty() {
            ident.push_str("%00");
        }
        self.key(ident)
    }

    /// A list key: the policy's hash of the filter parameters (see [`params_hash`]).
    ///
    /// Parameters JSON cannot hold are a programming error; rather than fail the request or let
    /// unrelated parameters share one key, such a key gets a random identifier of its own (never
    /// shared, so never wrong) and the error is logged.
    pub fn hashed<P: Serialize + ?Sized>(&self, params: &P) -> CacheKey {
        match params_hash(params) {
            Ok(hash) => self.key(hash),
            Err(error) => {
                tracing::error!(namespace = %self, "{error}; this read is not shared");
                self.key(format!("unhashable-{:016x}", rand::random::<u64>()))
            }
        }
    }

    fn key(&self, ident: String) -> CacheKey {
        CacheKey {
            text: format!("{self}:{ident}"),
            namespace: self.clone(),
        }
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.scope.as_str(), self.app, self.resource)
    }
}

/// A logical cache key, `{scope}:{app}:{resource}:{id|hash}`. Only [`Namespace`] makes them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    namespace: Namespace,
    text: String,
}

impl CacheKey {
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The policy's list-key hash: the first 10 hex digits of SHA-256 over Python's
/// `json.dumps(params, sort_keys=True, ensure_ascii=False)`.
pub fn params_hash<P: Serialize + ?Sized>(params: &P) -> Result<String, KeyError> {
    let canonical = canonical_params(params)?;
    let digest = Sha256::digest(canonical.as_bytes());
    Ok(digest.iter().take(5).map(|b| format!("{b:02x}")).collect())
}

/// The exact text hashed by [`params_hash`]. Fails only for values JSON cannot hold (a map with
/// non-string keys).
pub fn canonical_params<P: Serialize + ?Sized>(params: &P) -> Result<String, KeyError> {
    let value = serde_json::to_value(params).map_err(|e| KeyError::Unhashable(e.to_string()))?;
    Ok(pyjson::dumps_sorted(&value))
}

/// `<ENV>:<project>:<version>`: django-redis's `KEY_PREFIX:VERSION`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPrefix {
    prefix: String,
    version: u32,
}

impl KeyPrefix {
    pub fn new(env: &str, project: &str, version: u32) -> Self {
        KeyPrefix {
            prefix: format!("{env}:{project}"),
            version,
        }
    }

    /// `<ENV>:<project>:<version>:<key>`, what the store holds.
    pub fn stored(&self, key: &str) -> String {
        format!("{}:{}:{key}", self.prefix, self.version)
    }

    /// Keys of Strata's own bookkeeping (flags), outside any versioned keyspace.
    pub fn meta(&self, name: &str) -> String {
        format!("{}:_strata:{name}", self.prefix)
    }

    /// The `SCAN MATCH` pattern covering this prefix and version (for `cache audit`).
    pub fn scan_pattern(&self) -> String {
        format!("{}:{}:*", glob_escape(&self.prefix), self.version)
    }

    pub fn stored_len(&self) -> usize {
        self.prefix.len() + 2 + self.version.to_string().len()
    }
}

fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: Namespace = Namespace::public("property", "list");

    #[test]
    fn keys_follow_the_convention() {
        assert_eq!(LIST.id(42).as_str(), "public:property:list:42");
        assert_eq!(
            Namespace::public("taxonomy", "category")
                .named("all")
                .as_str(),
            "public:taxonomy:category:all"
        );
        assert_eq!(
            Namespace::admin("property", "list").to_string(),
            "admin:property:list"
        );
        let prefix = KeyPrefix::new("dev", "myproject", 1);
        assert_eq!(
            prefix.stored(LIST.id(7).as_str()),
            "dev:myproject:1:public:property:list:7"
        );
    }

    #[test]
    fn slugs_cannot_break_the_shape() {
        assert_eq!(
            LIST.slug("ویلا-شمال").as_str(),
            "public:property:list:ویلا-شمال"
        );
        assert_eq!(
            LIST.slug("a:b c").as_str(),
            "public:property:list:a%3Ab%20c"
        );
        assert_eq!(
            LIST.slug("_index").as_str(),
            "public:property:list:%5Findex"
        );
        assert_eq!(
            LIST.slug("{tag}").as_str(),
            "public:property:list:%7Btag%7D"
        );
        assert_ne!(LIST.slug("a:b"), LIST.slug("a%3Ab"));
    }

    #[test]
    fn namespaces_parse_strictly() {
        assert_eq!(Namespace::parse("public:property:list"), Ok(LIST));
        for bad in [
            "public:property",
            "global:property:list",
            "public:Prop:list",
            "a:b:c:d",
        ] {
            assert!(Namespace::parse(bad).is_err(), "{bad}");
        }
    }
}
