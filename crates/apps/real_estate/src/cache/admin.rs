//! Admin property list keys — `admin:property:list:<hash>`, admin TTL (30 s). The resource's
//! declaration (`services::admin::Properties`) names the namespace; the shared admin-list
//! manager in `strata_api::admin` builds the keys. Admin reads of one property and every admin
//! write are never cached.

use strata_cache::Namespace;

pub const LIST: Namespace = Namespace::admin("property", "list");
