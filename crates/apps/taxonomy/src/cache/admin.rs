//! Admin taxonomy list keys — `admin:{category,tag,option}:list:<hash>`, admin TTL (30 s). The
//! resources' declarations (`services::admin`) name them; the shared admin-list manager in
//! `strata_api::admin` builds the keys. Single-object admin reads are never cached.

use strata_cache::Namespace;

pub const CATEGORY_LIST: Namespace = Namespace::admin("category", "list");
pub const TAG_LIST: Namespace = Namespace::admin("tag", "list");
pub const OPTION_LIST: Namespace = Namespace::admin("option", "list");
