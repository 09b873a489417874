//! A map that only grows, keyed by namespace (a small fixed set): after a key's first use,
//! every lookup takes only the read lock. The engine's per-namespace handles, the dashboard's
//! counters and the near-cache's fences live in one each.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock, RwLockReadGuard};

pub(crate) struct Registry<K, V>(RwLock<HashMap<K, Arc<V>>>);

impl<K, V> Default for Registry<K, V> {
    fn default() -> Self {
        Registry(RwLock::new(HashMap::new()))
    }
}

impl<K: Eq + Hash, V> Registry<K, V> {
    /// The entry of `key`, made by `make` at its first use.
    pub(crate) fn get_or_make<Q>(&self, key: &Q, make: impl FnOnce() -> V) -> Arc<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(found) = self.read().get(key) {
            return found.clone();
        }
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.to_owned())
            .or_insert_with(|| Arc::new(make()))
            .clone()
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, HashMap<K, Arc<V>>> {
        self.0.read().unwrap_or_else(|p| p.into_inner())
    }
}
