//! Which entries a piece of work read, for whoever must say what its answer depends on.
//!
//! A CDN in front of the public API may keep an answer only if a purge reaches it when its data
//! changes. The purges name what invalidations name (namespaces and keys), so an answer tagged
//! with every entry it was built from is purged exactly when one of them is invalidated. The
//! server runs each public API request inside [`recording`]; every [`Cache`](crate::Cache) read
//! in that task notes its key, hit or miss, cached or bypassed.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;

use crate::CacheKey;

/// The entries read: namespaces (`public:real_estate:properties`) and full keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reads {
    pub namespaces: BTreeSet<String>,
    pub keys: BTreeSet<String>,
}

impl Reads {
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty()
    }
}

tokio::task_local! {
    static READS: RefCell<Reads>;
}

/// Runs `work` noting every cache read it makes on its own task (a task it spawns is not
/// followed: its reads would go unnoted, so request handlers read on their own task).
pub async fn recording<F: Future>(work: F) -> (F::Output, Reads) {
    READS
        .scope(RefCell::new(Reads::default()), async move {
            let output = work.await;
            let reads = READS.with(|reads| std::mem::take(&mut *reads.borrow_mut()));
            (output, reads)
        })
        .await
}

/// Notes a read, when something is recording.
pub(crate) fn note(key: &CacheKey) {
    let _ = READS.try_with(|reads| {
        let mut reads = reads.borrow_mut();
        reads.namespaces.insert(key.namespace().to_string());
        reads.keys.insert(key.as_str().to_owned());
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Namespace;

    #[tokio::test]
    async fn reads_are_noted_only_while_recording() {
        let key = Namespace::public("real_estate", "properties").id(7);
        note(&key);
        let ((), reads) = recording(async { note(&key) }).await;
        assert_eq!(
            reads.namespaces,
            BTreeSet::from([key.namespace().to_string()])
        );
        assert_eq!(reads.keys, BTreeSet::from([key.as_str().to_owned()]));
        let ((), nothing) = recording(async {}).await;
        assert!(nothing.is_empty());
    }
}
