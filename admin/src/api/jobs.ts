// Bulk jobs (`POST /api/admin/<resource>/bulk/jobs/`): the server changes every row a filter
// matches in batches and answers 202 at once, so a job's writes land after its mutation has
// succeeded. The screen polls the job while it runs; once it has ended (done, or interrupted
// after some batches committed) it invalidates what the job's operation touches, here and in
// the other tabs — the same map as every other write (`invalidation.ts`).
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";

import type { Path } from "./client";
import { useAdminQuery } from "./hooks";
import { type Operation, invalidateAfter } from "./invalidation";
import type { Resource } from "./keys";
import type { components } from "./schema";
import { announce } from "./sync";

export type BulkJob = components["schemas"]["BulkJob"];
/** The writes that start a job. */
export type JobOperation = Extract<Operation, `POST /api/admin/${string}/bulk/jobs/`>;
/** Where a job is read. */
export type JobPath = Extract<Path, `/api/admin/${string}/bulk/jobs/{job_id}/`>;

/** How often a running job is asked for its progress. */
export const JOB_POLL_MS = 500;

/** Poll while the job runs (or before its first answer); stop once it has ended. */
export function jobPollInterval(job: BulkJob | undefined): number | false {
  return job === undefined || job.state === "running" ? JOB_POLL_MS : false;
}

/** Rows processed (changed or refused), as a whole percentage of the job's rows. */
export function jobPercent(job: BulkJob): number {
  return job.total > 0 ? Math.min(100, Math.floor(((job.done + job.failed) * 100) / job.total)) : 100;
}

/** Once `job` has ended, invalidates what `operation` touched and tells the other tabs;
 * returns those resources, or null while the job still runs (nothing to do yet). */
export async function settleJob(
  client: ReturnType<typeof useQueryClient>,
  operation: JobOperation,
  job: BulkJob,
): Promise<Resource[] | null> {
  if (job.state === "running") return null;
  const touched = await invalidateAfter(client, operation);
  announce(touched);
  return touched;
}

/** Follows the job `jobId` (null: none): polled under `["admin", resource, {job_id, view}]`
 * while it runs, settled once when it ends. */
export function useBulkJob(resource: Resource, path: JobPath, operation: JobOperation, jobId: number | null) {
  const client = useQueryClient();
  const job = useAdminQuery(resource, path, { params: { job_id: jobId ?? 0 } }, jobId !== null, {
    view: "bulk-job",
    refetchInterval: jobPollInterval,
  });
  // The answer for this job, not a previous one kept on screen while this one loads.
  const current = job.data !== undefined && !job.isPlaceholderData && job.data.id === jobId ? job.data : undefined;
  const settled = useRef<number | null>(null);
  useEffect(() => {
    if (current === undefined || current.state === "running" || settled.current === current.id) return;
    settled.current = current.id;
    void settleJob(client, operation, current);
  }, [client, operation, current]);
  return { job: current, error: job.error };
}
