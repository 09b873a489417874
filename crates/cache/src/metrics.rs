//! The engine's metric names, exported by the binary in Prometheus text on `/metrics`.
//! Every series is labelled with the namespace (`public:property:list`).

/// Reads served from the store.
pub const HITS: &str = "strata_cache_hits_total";
/// Reads that loaded and filled (the caller held the lease).
pub const MISSES: &str = "strata_cache_misses_total";
/// Reads that went to the loader without the cache; label `reason`: `flag_off`, `unavailable`
/// (breaker open or invalidations awaiting replay), `error`, `wait_timeout`.
pub const BYPASSES: &str = "strata_cache_bypasses_total";
/// Failed store commands (and values that did not decode or encode); labels `namespace`
/// (empty for commands that concern none, such as reading the flags) and `command`.
pub const ERRORS: &str = "strata_cache_errors_total";
/// Seconds spent loading and filling a missing key.
pub const FILL_SECONDS: &str = "strata_cache_fill_seconds";
/// Fills refused because the key was invalidated while its loader ran.
pub const STALE_FILLS_REJECTED: &str = "strata_cache_stale_fills_rejected_total";
/// Invalidations; labels `kind` (`key`, `namespace`) and `outcome` (`applied`, `queued`).
pub const INVALIDATIONS: &str = "strata_cache_invalidations_total";
/// 1 while the circuit breaker is open.
pub const BREAKER_OPEN: &str = "strata_cache_breaker_open";
/// Invalidations waiting to be replayed.
pub const PENDING_INVALIDATIONS: &str = "strata_cache_pending_invalidations";

/// Histogram buckets for [`FILL_SECONDS`], for the exporter.
pub const FILL_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Registers each series' help text with the installed recorder.
pub(crate) fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(HITS, "Cache reads served from the store.");
    describe_counter!(MISSES, "Cache reads that loaded and filled the key.");
    describe_counter!(
        BYPASSES,
        "Cache reads answered by the loader without the cache, by reason."
    );
    describe_counter!(ERRORS, "Failed cache store commands, by command.");
    describe_histogram!(
        FILL_SECONDS,
        Unit::Seconds,
        "Time spent loading and filling a missing key."
    );
    describe_counter!(
        STALE_FILLS_REJECTED,
        "Fills refused because the key was invalidated while loading."
    );
    describe_counter!(INVALIDATIONS, "Cache invalidations, by kind and outcome.");
    describe_gauge!(
        BREAKER_OPEN,
        "1 while the cache store circuit breaker is open."
    );
    describe_gauge!(
        PENDING_INVALIDATIONS,
        "Invalidations waiting to be replayed."
    );
}
