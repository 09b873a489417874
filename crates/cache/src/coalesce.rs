//! Shares one read among concurrent callers without ever handing a caller a value read before
//! it asked: a caller takes a ticket on arrival and accepts only a read that *started* after
//! its ticket. So under load the bus counter costs about two `GET`s per round trip, however
//! many page requests and near-cache reads are waiting, and each still sees every notice
//! published before it arrived.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Mutex, watch};

pub struct Coalesced<T> {
    tickets: AtomicU64,
    /// One read at a time.
    reading: Mutex<()>,
    /// The last read: the ticket it started at, and its value.
    last: watch::Sender<(u64, T)>,
}

impl<T: Clone> Coalesced<T> {
    pub fn new(initial: T) -> Self {
        Coalesced {
            tickets: AtomicU64::new(0),
            reading: Mutex::new(()),
            last: watch::Sender::new((0, initial)),
        }
    }

    /// The value of a `read` that started after this call did.
    pub async fn get<F, Fut>(&self, read: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let ticket = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        let fresh = |last: &(u64, T)| (last.0 > ticket).then(|| last.1.clone());
        if let Some(value) = fresh(&self.last.borrow()) {
            return value;
        }
        let _turn = self.reading.lock().await;
        // A read that started after this ticket may have finished while this call waited.
        if let Some(value) = fresh(&self.last.borrow()) {
            return value;
        }
        let started = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        let value = read().await;
        self.last.send_replace((started, value.clone()));
        value
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn concurrent_callers_share_reads_but_never_an_older_one() {
        let shared = Arc::new(Coalesced::new(0u64));
        let source = Arc::new(AtomicU64::new(0));
        let reads = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let (shared, counter, reads) = (shared.clone(), source.clone(), reads.clone());
            tasks.push(tokio::spawn(async move {
                // What the source held when this caller arrived: the value must be at least it.
                let at_arrival = counter.load(Ordering::SeqCst);
                let value = shared
                    .get(|| async {
                        reads.fetch_add(1, Ordering::SeqCst);
                        let value = counter.load(Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        value
                    })
                    .await;
                (at_arrival, value)
            }));
            // Let the caller arrive (and maybe start a read), then move the source on.
            tokio::time::sleep(Duration::from_millis(1)).await;
            source.fetch_add(1, Ordering::SeqCst);
        }
        for task in tasks {
            let (at_arrival, value) = task.await.unwrap();
            assert!(
                value >= at_arrival,
                "a read older than the caller: {value} < {at_arrival}"
            );
        }
        let reads = reads.load(Ordering::SeqCst);
        assert!(reads < 64, "{reads} reads for 64 callers");
    }
}
