//! Which requests cost the database: a data-cache loader that runs inside a request marks it
//! (a task-local flag the server's middleware sets up), so an opt-in limit can count, per
//! client address, the requests no cache answered (`web.uncached_per_minute`).

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static MISSED: Cell<bool>;
}

/// Wraps a data-cache loader: when it runs (a miss), the request running it is marked.
/// Outside [`track`] it only loads.
pub fn counted<F, Fut>(loader: F) -> impl FnOnce() -> Fut
where
    F: FnOnce() -> Fut,
{
    move || {
        let _ = MISSED.try_with(|missed| missed.set(true));
        loader()
    }
}

/// Runs a request's future; the second value says whether a [`counted`] loader ran in it.
pub async fn track<F: Future>(request: F) -> (F::Output, bool) {
    MISSED
        .scope(Cell::new(false), async {
            let output = request.await;
            (output, MISSED.with(Cell::get))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_loader_that_runs_marks_its_request() {
        let load = counted(|| async { 7 });
        let (value, missed) = track(async { load().await }).await;
        assert_eq!((value, missed), (7, true));
        let (_, missed) = track(async {}).await;
        assert!(!missed);
        // Outside a tracked request a loader just loads.
        assert_eq!(counted(|| async { 1 })().await, 1);
    }
}
