//! `strata cache audit`: walk the live keyspace of this deployment's prefix (with `SCAN`, never
//! on a request path) and report keys off the convention, keys without a TTL and oversized values.

use serde::Serialize;

use crate::key::Namespace;

/// Keys listed per finding; the counts are always complete.
const SAMPLES: usize = 50;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Finding {
    pub count: u64,
    pub samples: Vec<String>,
}

impl Finding {
    fn add(&mut self, key: &str) {
        self.count += 1;
        if self.samples.len() < SAMPLES {
            self.samples.push(key.to_owned());
        }
    }
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct AuditReport {
    pub backend: &'static str,
    pub scanned: u64,
    /// The scan stopped at its key limit: the counts cover `scanned` keys, not all.
    pub truncated: bool,
    /// Not `{scope}:{app}:{resource}:{id|hash}` (nor Strata's own `:_lease` / `:_index`).
    pub off_convention: Finding,
    /// Stored forever: the policy makes TTL the fallback behind every invalidation.
    pub without_ttl: Finding,
    /// Larger than the audit's threshold (or not a string value at all).
    pub oversized: Finding,
}

/// One key as the store reports it: the logical key (prefix removed), its TTL in ms (`-1` when
/// none) and its size in bytes (`None` when the value is not a string).
pub(crate) struct KeyFacts<'a> {
    pub logical: &'a str,
    pub pttl_ms: i64,
    pub size: Option<u64>,
}

impl AuditReport {
    pub(crate) fn record(&mut self, facts: KeyFacts<'_>, oversized_bytes: u64) {
        self.scanned += 1;
        let bookkeeping = is_bookkeeping(facts.logical);
        if !bookkeeping && !follows_convention(facts.logical) {
            self.off_convention.add(facts.logical);
        }
        if facts.pttl_ms == -1 {
            self.without_ttl.add(facts.logical);
        }
        if !bookkeeping && facts.size.is_none_or(|size| size > oversized_bytes) {
            self.oversized.add(facts.logical);
        }
    }
}

fn is_bookkeeping(key: &str) -> bool {
    // An index, or one of its snapshots (`…:_index:_invs`, `…:_index:_inv:<token>`) that a
    // namespace invalidation is working through.
    let index = key
        .split_once(":_index:_inv")
        .map_or(key.strip_suffix(":_index"), |(ns, _)| Some(ns));
    key.strip_suffix(":_lease").is_some_and(follows_convention)
        || index.is_some_and(|ns| Namespace::parse(ns).is_ok())
}

fn follows_convention(key: &str) -> bool {
    match key.rsplit_once(':') {
        Some((ns, ident)) => {
            Namespace::parse(ns).is_ok()
                && !ident.is_empty()
                && !ident.starts_with('_')
                && !ident.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_keys() {
        let mut report = AuditReport::default();
        for (key, pttl, size) in [
            ("public:property:list:a3f1b2c4d5", 1000, Some(10)),
            ("public:property:list:a3f1b2c4d5:_lease", 1000, Some(10)),
            ("public:property:list:_index", 1000, None),
            ("public:property:list:_index:_inv:00c0ffee", 1000, None),
            ("public:property:list:_index:_invs", 1000, None),
            ("cached_page_home", 1000, Some(10)),
            ("public:property:detail:42", -1, Some(10)),
            ("admin:property:list:abc", 1000, Some(5_000_000)),
        ] {
            report.record(
                KeyFacts {
                    logical: key,
                    pttl_ms: pttl,
                    size,
                },
                1_000_000,
            );
        }
        assert_eq!(report.scanned, 8);
        assert_eq!(report.off_convention.samples, vec!["cached_page_home"]);
        assert_eq!(
            report.without_ttl.samples,
            vec!["public:property:detail:42"]
        );
        assert_eq!(report.oversized.samples, vec!["admin:property:list:abc"]);
    }
}
