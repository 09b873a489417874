// A bulk job's progress as the properties' bulk bar shows it: a progress bar while it runs,
// then the outcome and the rows it could not change (each a link to its property).
import { Alert, Anchor, Button, Group, List, Text } from "@mantine/core";
import { Link } from "react-router";

import type { BulkJob } from "../api/jobs";
import { jobPercent } from "../api/jobs";
import { formatNumber } from "../format";
import { type Key, useI18n } from "../i18n";

/** `template` with each `{name}` replaced. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** The server's per-row details are English; those any job can meet are translated. */
const KNOWN_DETAILS: Record<string, Key> = { "Not found.": "jobRowGone", "The database refused this change.": "jobRowRefused" };

export function BulkJobProgress({ job, onDismiss }: { job: BulkJob; onDismiss: () => void }) {
  const { t, lang } = useI18n();
  const n = (value: number) => formatNumber(value, lang);
  const percent = jobPercent(job);
  const message =
    job.state === "running" ? t("jobRunning") : job.state === "done" ? t("jobDone") : fill(t("jobInterrupted"), { n: n(job.total - job.done - job.failed) });
  return (
    <div data-testid="bulk-job" data-state={job.state}>
      <progress className="admin-progress" max={100} value={percent} aria-label={t("jobProgressLabel")} aria-valuetext={`${n(percent)}%`} />
      <Group justify="space-between" mt={4}>
        <Text size="sm">
          {/* Announced when the state changes, not at every count. */}
          <span aria-live="polite" data-testid="bulk-job-state">
            {message}
          </span>{" "}
          {fill(t("jobProgress"), { done: n(job.done + job.failed), total: n(job.total) })}
        </Text>
        {job.state !== "running" && (
          <Button size="xs" variant="subtle" onClick={onDismiss}>
            {t("dismiss")}
          </Button>
        )}
      </Group>
      {job.errors.length > 0 && (
        <Alert color="orange" mt="xs" role="alert" title={fill(t("jobFailedRows"), { n: n(job.failed) })}>
          <List size="sm" data-testid="bulk-job-errors">
            {job.errors.map((error) => {
              const known = KNOWN_DETAILS[error.detail];
              return (
                <List.Item key={error.id}>
                  {/* Isolated, so an English detail keeps its order in the Persian list. */}
                  <Anchor component={Link} to={`/properties/${error.id}`}>
                    <bdi>#{error.id}</bdi>
                  </Anchor>
                  : <bdi>{known === undefined ? error.detail : t(known)}</bdi>
                </List.Item>
              );
            })}
          </List>
        </Alert>
      )}
    </div>
  );
}
