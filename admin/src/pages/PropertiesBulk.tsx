// The properties list's bulk bar: actions on the selected rows (`POST bulk/`, all or nothing),
// or — once every row of the page is selected and the filter matches more — on every property
// the list's filter matches, as a server job (`POST bulk/jobs/`) whose progress and per-row
// errors it shows until dismissed.
import { Button, Group, Stack, Text } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { type Body, request } from "../api/client";
import { useAdminMutation } from "../api/hooks";
import { useBulkJob } from "../api/jobs";
import type { components } from "../api/schema";
import { formatNumber } from "../format";
import { useI18n } from "../i18n";
import { BulkJobProgress, fill } from "./BulkJob";
import { problemsOf } from "./errors";

type Status = components["schemas"]["PropertyStatus"];
type Action = { action: "status" | "delete"; status?: Status };
/** The list's query without its page: what a job runs over. */
export type Filter = Body<"/api/admin/properties/bulk/jobs/", "post">["filter"];

interface Props {
  selected: ReadonlySet<number>;
  /** The ids on the page shown. */
  pageIds: readonly number[];
  /** How many properties the list's filter matches (its `count`). */
  count: number;
  filter: Filter;
  onClear: () => void;
}

export function PropertiesBulkBar({ selected, pageIds, count, filter, onClear }: Props) {
  const { t, lang } = useI18n();
  const n = (value: number) => formatNumber(value, lang);
  // "Every matching row" holds for the filter it was chosen under, while the page stays selected.
  const [matchingFor, setMatchingFor] = useState<string | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);
  const filterKey = JSON.stringify(filter);
  const pageSelected = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const matching = pageSelected && matchingFor === filterKey;
  const bulk = useAdminMutation("post", "/api/admin/properties/bulk/", (body: Action) => ({
    body: { ...body, ids: [...selected] },
  }));
  // Not `useAdminMutation`: the job's writes happen after this 202, so what it touched is
  // invalidated when the job ends (`useBulkJob`), not when it is accepted.
  const start = useMutation({
    mutationFn: (body: Action) => request("post", "/api/admin/properties/bulk/jobs/", { body: { ...body, filter } }),
  });
  const followed = useBulkJob("properties", "/api/admin/properties/bulk/jobs/{job_id}/", "POST /api/admin/properties/bulk/jobs/", jobId);
  const running = jobId !== null && followed.job?.state !== "done" && followed.job?.state !== "interrupted";
  const pending = bulk.isPending || start.isPending;

  const run = (body: Action) => {
    if (body.action === "delete" && !window.confirm(matching ? fill(t("confirmDeleteMatching"), { n: n(count) }) : t("confirmDelete"))) return;
    if (matching) {
      start.mutate(body, {
        onSuccess: (job) => {
          setJobId(job.id);
          setMatchingFor(null);
          onClear();
        },
      });
    } else {
      bulk.mutate(body, { onSuccess: onClear });
    }
  };
  const problem = problemsOf(bulk.error ?? start.error ?? followed.error).alert;
  if (selected.size === 0 && jobId === null) return null;
  return (
    <Stack mb="md" gap="xs" data-testid="bulk-bar">
      {selected.size > 0 && (
        <Group>
          <Text>{matching ? fill(t("allMatchingSelected"), { n: n(count) }) : `${n(selected.size)} ${t("selected")}`}</Text>
          {pageSelected && !matching && count > pageIds.length && (
            <Button size="xs" variant="light" onClick={() => setMatchingFor(filterKey)} data-testid="select-all-matching">
              {fill(t("selectAllMatching"), { n: n(count) })}
            </Button>
          )}
          {matching && (
            <Button size="xs" variant="subtle" onClick={onClear}>
              {t("clearSelection")}
            </Button>
          )}
          <Button size="xs" onClick={() => run({ action: "status", status: "published" })} loading={pending} disabled={running}>
            {t("publish")}
          </Button>
          <Button size="xs" onClick={() => run({ action: "status", status: "archived" })} loading={pending} disabled={running}>
            {t("archive")}
          </Button>
          <Button size="xs" onClick={() => run({ action: "status", status: "draft" })} loading={pending} disabled={running}>
            {t("toDraft")}
          </Button>
          <Button size="xs" color="red" onClick={() => run({ action: "delete" })} loading={pending} disabled={running}>
            {t("delete")}
          </Button>
        </Group>
      )}
      {problem !== null && (
        <Text c="red" role="alert" dir="auto">
          {problem}
        </Text>
      )}
      {followed.job !== undefined && <BulkJobProgress job={followed.job} onDismiss={() => setJobId(null)} />}
    </Stack>
  );
}
