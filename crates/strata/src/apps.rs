//! The apps this binary serves, as one list of their data declarations: the invalidation map,
//! the journal and the cache dashboard read the [`Catalog`] built from it.

use std::sync::LazyLock;

use strata_api::catalog::{AppData, Catalog};

/// Every app's declarations; users last (they cache nothing, but other apps may embed them).
static DATA: &[&AppData] = &[
    &strata_taxonomy::catalog::DATA,
    &strata_real_estate::catalog::DATA,
    &strata_users::catalog::DATA,
];

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::new(DATA));

pub fn catalog() -> &'static Catalog {
    &CATALOG
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_declarations_are_consistent() {
        assert_eq!(super::catalog().problems(), [] as [String; 0]);
    }
}
