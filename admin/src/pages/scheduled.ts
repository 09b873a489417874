/** Whether a published object is not public yet: its `published_at` is ahead (scheduled
 * publishing: the server makes it public on its own at that time). */
export function isScheduled(row: { status: string; published_at: string | null }, now: Date = new Date()): boolean {
  return row.status === "published" && row.published_at !== null && new Date(row.published_at) > now;
}
