#!/usr/bin/env bash
# Freshness under load: two instances on one PostgreSQL database and one Redis, writers and
# readers at full speed on the same 20 hot properties through both (bench/src/bin/
# strata-soak.rs) for SOAK_SECONDS (60; SMOKE=1: 5) after the build and the seeding. Fails on
# any read older than an acknowledged write, any 5xx or transport error; otherwise writes the
# `soak` section of docs/BENCHMARKS.md (lib.sh's write_section: a scratch copy under SMOKE=1).
#
# INCOHERENT=1 checks the checker instead: the second instance runs under another ENV (its own
# cache keys, no shared invalidation), the soak must report stale reads, nothing is written.
source "$(dirname "$0")/lib.sh"
INCOHERENT="${INCOHERENT:-0}"
if [ "$SMOKE" = 1 ]; then SOAK_SECONDS="${SOAK_SECONDS:-5}"; else SOAK_SECONDS="${SOAK_SECONDS:-60}"; fi
HOT=20 WRITERS=8 READERS=16
start_strata
if [ "$INCOHERENT" = 1 ]; then
  # Its keys still match lib.sh's cleanup pattern, "*$ENV:*".
  serve_in_background SECOND env ENV="apart-$ENV" "$BIN" serve --bind 127.0.0.1:0
else
  serve_in_background SECOND "$BIN" serve --bind 127.0.0.1:0
fi
[ -n "$BASE" ] && [ -n "$SECOND" ] || { echo "an instance did not start" >&2; exit 1; }

# An admin's token; the password is never used (the soak authenticates with the token).
(cd "$WORK" && "$BIN" createsuperuser --username soak --email soak@example.com \
  --password "soak-$RANDOM-$RANDOM-$RANDOM" >/dev/null)
SOAK_TOKEN="$(cd "$WORK" && "$BIN" token create --user soak | tail -1)"
export SOAK_TOKEN

TABLE="$WORK/soak.md"
status=0
"$RELEASE/strata-soak" --base "$BASE" --base "$SECOND" --seconds "$SOAK_SECONDS" \
  --properties "$HOT" --writers "$WRITERS" --readers "$READERS" >"$TABLE" || status=$?
cat "$TABLE"
if [ "$INCOHERENT" = 1 ]; then
  # strata-soak exits 1 for stale reads alone, 2 for errors.
  [ "$status" -eq 1 ] || { echo "INCOHERENT=1: the soak exited $status, not 1 (stale reads)" >&2; exit 1; }
  echo "INCOHERENT=1: stale reads detected, as expected" >&2
  exit 0
fi
[ "$status" -eq 0 ] || exit "$status"

SECTION="$WORK/section.md"
{
  echo "<!-- soak:begin -->"
  echo "Run $(date -u +%Y-%m-%d) with \`bench/soak.sh\`: two ${PROFILE:-release} instances on one PostgreSQL database"
  echo "(${PROPERTIES:-10000} demo properties) and one Redis, near-cache enabled: ${STRATA_CACHE__NEAR__ENABLED:-true (default)}; for"
  echo "$SOAK_SECONDS s, $WRITERS writers PATCH the titles of $HOT hot properties through both instances in turn (a"
  echo "growing number in each, one writer per property) while $READERS readers per instance read the same"
  echo "properties' detail, page and list, all on the same $(nproc)-core machine. A read is stale when"
  echo "it shows a number lower than one whose write was acknowledged before the read was sent."
  echo
  cat "$TABLE"
  echo "<!-- soak:end -->"
} >"$SECTION"
write_section soak "$SECTION" "Freshness under load (issue 12)"
