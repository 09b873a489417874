//! `cdn_purge`: the tags owed a purge, per provider, coalesced; `cdn_sender`: each provider's
//! one sender at a time and its request rate (`crate::cdn`).

use strata_db::sea_orm_migration::prelude::*;
use strata_db::sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000900_cdn_purge"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("cdn_purge")
                    .if_not_exists()
                    .col(string_len("provider", 32))
                    .col(string_len("tag", 1024))
                    // The last commit that owed it: a purge sent before that commit is not it.
                    .col(timestamp_with_time_zone("queued_at"))
                    // The first commit still waiting: the age `/readyz` reports.
                    .col(timestamp_with_time_zone("since"))
                    // The request that is purging it; a commit owing it again clears it, so
                    // the row outlives a purge sent before that commit.
                    .col(string_len_null("claim", 32))
                    // The journal row of the last commit owing it, until that commit's caches
                    // were invalidated: purged before then, a CDN would refetch the old data.
                    .col(big_integer_null("change_id"))
                    // One row per provider and tag: a tag owed by many commits is sent once.
                    .primary_key(Index::create().col("provider").col("tag"))
                    .to_owned(),
            )
            .await?;
        // The sender's reads: a provider's oldest tags.
        manager
            .create_index(
                Index::create()
                    .name("cdn_purge_provider_since")
                    .table("cdn_purge")
                    .if_not_exists()
                    .col("provider")
                    .col("since")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("cdn_purge_change_id")
                    .table("cdn_purge")
                    .if_not_exists()
                    .col("change_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("cdn_sender")
                    .if_not_exists()
                    .col(string_len("provider", 32).primary_key())
                    // The rate's theoretical arrival time (GCRA): the next request may go at
                    // `tat - burst tolerance`.
                    .col(timestamp_with_time_zone("tat"))
                    // While in the future, one instance is sending a request for this provider.
                    .col(timestamp_with_time_zone("sending_until"))
                    // After failed requests: none goes before this (backoff), whatever commits
                    // schedule meanwhile.
                    .col(timestamp_with_time_zone("retry_at"))
                    .col(integer("failures_in_a_row").default(0))
                    // Totals across instances since the row was made, for the dashboard.
                    .col(big_integer("requests").default(0))
                    .col(big_integer("failures").default(0))
                    .col(big_integer("rate_limited").default(0))
                    .col(big_integer("fallbacks").default(0))
                    .col(big_integer("purged_tags").default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["cdn_purge", "cdn_sender"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
