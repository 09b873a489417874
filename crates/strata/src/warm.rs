//! `strata cache warm` and the dashboard's warm button: prefills what a cold cache would make
//! the first visitors wait for — the public property list's first page, the taxonomy lists and
//! the published properties' details, in both languages — by calling the apps' public services,
//! so the keys and values are exactly what requests fill. A key already cached is a hit and
//! left as it is, so warming twice does nothing more (idempotent); concurrent warms only share
//! the fills (one per key: the engine's leases).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use strata_api::{ApiError, Ctx, Lang, PageRequest, UrlQuery};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use utoipa::ToSchema;

/// Loads at once: enough to overlap database round trips, few enough to leave the pool to
/// requests while a server warms itself.
pub const CONCURRENCY: usize = 4;
/// Published details prefilled, newest first: a bound for very large catalogues.
pub const DETAILS_MAX: u64 = 1_000;

/// One key (or one language's list) to fill.
#[derive(Clone, Copy, Debug)]
enum Job {
    PropertyList(Lang),
    Categories(Lang),
    Tags(Lang),
    Options(Lang),
    Property(i64, Lang),
}

impl Job {
    async fn run(self, ctx: &Ctx) -> Result<(), ApiError> {
        use strata_real_estate::services::public as properties;
        use strata_taxonomy::services::public as taxonomy;
        match self {
            Job::PropertyList(lang) => {
                // The default list as `GET /api/properties/` without parameters builds it.
                let filter = strata_real_estate::filters::public(&UrlQuery::new("", vec![]), lang)?;
                let page = PageRequest::new(1, ctx.settings.page_size)?;
                properties::list(ctx, &filter, page).await.map(drop)
            }
            Job::Categories(lang) => taxonomy::categories(ctx, lang, None).await.map(drop),
            Job::Tags(lang) => taxonomy::tags(ctx, lang).await.map(drop),
            Job::Options(lang) => taxonomy::options(ctx, lang).await.map(drop),
            // Unpublished since it was listed: nothing to warm, not a failure.
            Job::Property(id, lang) => match properties::detail(ctx, id, lang).await {
                Ok(_) | Err(ApiError::NotFound) => Ok(()),
                Err(error) => Err(error),
            },
        }
    }
}

/// How far a warm is; shared between the warm and whoever shows it.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicUsize,
    total: AtomicUsize,
    failed: AtomicUsize,
}

impl Progress {
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    pub fn failed(&self) -> usize {
        self.failed.load(Ordering::Relaxed)
    }
}

/// What a finished warm did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Summary {
    /// Keys (or lists) asked for.
    pub total: usize,
    /// Of those, the ones whose load failed (logged; the key is simply not warm).
    pub failed: usize,
}

/// Runs one warm, `on_step` called after each job (the CLI's progress bar).
pub async fn warm(
    ctx: &Ctx,
    progress: &Progress,
    on_step: impl Fn(&Progress),
) -> Result<Summary, ApiError> {
    let ids = strata_real_estate::selectors::published_ids(&ctx.db, DETAILS_MAX).await?;
    let mut jobs = Vec::with_capacity(4 * Lang::ALL.len() + ids.len() * Lang::ALL.len());
    for lang in Lang::ALL {
        jobs.extend([
            Job::PropertyList(lang),
            Job::Categories(lang),
            Job::Tags(lang),
            Job::Options(lang),
        ]);
        jobs.extend(ids.iter().map(|id| Job::Property(*id, lang)));
    }
    progress.total.store(jobs.len(), Ordering::Relaxed);
    on_step(progress);
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut running = JoinSet::new();
    for job in jobs {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        let ctx = ctx.clone();
        running.spawn(async move {
            let _permit = permit;
            (job, job.run(&ctx).await)
        });
        // Count what finished meanwhile, so progress moves while jobs are still being queued.
        while let Some(finished) = running.try_join_next() {
            record(progress, finished);
            on_step(progress);
        }
    }
    while let Some(finished) = running.join_next().await {
        record(progress, finished);
        on_step(progress);
    }
    Ok(Summary {
        total: progress.total(),
        failed: progress.failed(),
    })
}

fn record(
    progress: &Progress,
    finished: Result<(Job, Result<(), ApiError>), tokio::task::JoinError>,
) {
    match finished {
        Ok((_, Ok(()))) => {}
        Ok((job, Err(error))) => {
            tracing::warn!(?job, %error, "cache warm: a load failed; that key stays cold");
            progress.failed.fetch_add(1, Ordering::Relaxed);
        }
        Err(error) => {
            tracing::warn!(%error, "cache warm: a load panicked or was cancelled");
            progress.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
    progress.done.fetch_add(1, Ordering::Relaxed);
}
