import { describe, expect, it } from "vitest";

import { type BulkJob, JOB_POLL_MS, jobPercent, jobPollInterval, settleJob } from "./jobs";
import { type Resource, makeQueryClient, queryKey } from "./keys";

const RESOURCES: Resource[] = ["properties", "categories", "tags", "options", "users", "cache", "me"];
const OPERATION = "POST /api/admin/properties/bulk/jobs/" as const;

function job(state: BulkJob["state"], done: number, failed = 0): BulkJob {
  return {
    id: 7,
    action: "status",
    status: "archived",
    state,
    total: 30,
    done,
    failed,
    errors: [],
    created_at: "2026-11-27T10:00:00Z",
    finished_at: state === "running" ? null : "2026-11-27T10:00:01Z",
  };
}

/** A client holding one query per resource (and the job's own), and which of them `run` invalidated. */
async function invalidatedBy(run: (client: ReturnType<typeof makeQueryClient>) => Promise<unknown>): Promise<Resource[]> {
  const client = makeQueryClient();
  for (const resource of RESOURCES) client.setQueryData(queryKey(resource, { page: 1 }), { count: 0 });
  client.setQueryData(queryKey("properties", { status: "published", q: "villa" }), { count: 0 });
  await run(client);
  const hit = new Set<Resource>();
  for (const query of client.getQueryCache().getAll()) {
    const resource = query.queryKey[1] as Resource;
    if (query.state.isInvalidated) hit.add(resource);
    else if (hit.has(resource)) throw new Error(`only part of ${resource} was invalidated`);
  }
  return [...hit].sort();
}

describe("a bulk job is polled while it runs", () => {
  it("asks again while running or before any answer, never once ended", () => {
    expect(jobPollInterval(undefined)).toBe(JOB_POLL_MS);
    expect(jobPollInterval(job("running", 10))).toBe(JOB_POLL_MS);
    expect(jobPollInterval(job("done", 30))).toBe(false);
    expect(jobPollInterval(job("interrupted", 10))).toBe(false);
  });

  it("counts refused rows as processed", () => {
    expect(jobPercent(job("running", 10, 5))).toBe(50);
    expect(jobPercent(job("done", 29, 1))).toBe(100);
  });
});

describe("a finished job invalidates exactly its resources", () => {
  it("nothing while it runs", async () => {
    expect(await invalidatedBy((client) => settleJob(client, OPERATION, job("running", 10)))).toEqual([]);
  });

  it("the properties (every query of them) once done, and not the session or the other resources", async () => {
    expect(await invalidatedBy((client) => settleJob(client, OPERATION, job("done", 30)))).toEqual(["properties"]);
  });

  it("the same when interrupted: the batches before the stop did commit", async () => {
    expect(await invalidatedBy((client) => settleJob(client, OPERATION, job("interrupted", 10)))).toEqual(["properties"]);
  });

  it("tells the other tabs which resources to refresh", async () => {
    const other = new BroadcastChannel("strata-admin-invalidate");
    const heard = new Promise<unknown>((resolve) => other.addEventListener("message", (event) => resolve(event.data), { once: true }));
    const touched = await settleJob(makeQueryClient(), OPERATION, job("done", 30));
    expect(touched).toEqual(["properties"]);
    expect(await heard).toEqual({ resources: ["properties"] });
    other.close();
  });
});
