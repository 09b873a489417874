// What a successful write makes stale, from the server's own declarations: each write operation
// publishes a model (`x-strata-invalidates`), and each admin resource says which models its rows
// and forms show (`x-strata-shows`); both are generated into invalidates.gen.ts. A category
// rename invalidates the categories *and* the properties (whose rows and forms show category
// names).
import type { QueryClient } from "@tanstack/react-query";

import { OPERATION_MODEL, RESOURCE_SHOWS } from "./invalidates.gen";
import { type Resource, resourceKey } from "./keys";

export type Operation = keyof typeof OPERATION_MODEL;
export type Model = NonNullable<(typeof OPERATION_MODEL)[Operation]>;

/** Which admin resources show each model: the inverse of the document's `x-strata-shows`. */
export const SHOWN_BY: Readonly<Record<string, readonly Resource[]>> = (() => {
  const shownBy: Record<string, Resource[]> = {};
  for (const [resource, models] of Object.entries(RESOURCE_SHOWS) as [Resource, readonly string[]][]) {
    for (const model of models) (shownBy[model] ??= []).push(resource);
  }
  return shownBy;
})();

/** The resource an operation writes: its segment after /api/admin/. */
export function ownResource(operation: Operation): Resource {
  const segment = operation.split(" ")[1]?.split("/")[3];
  return segment as Resource;
}

/** The model `operation` publishes; null for a write that publishes none (none today, but the
 * document allows it). */
export function modelOf(operation: Operation): Model | null {
  return OPERATION_MODEL[operation];
}

/** Every resource a successful `operation` makes stale, its own first, without repeats. */
export function touchedResources(operation: Operation): Resource[] {
  const model = modelOf(operation);
  const touched = new Set<Resource>([ownResource(operation)]);
  if (model !== null) for (const resource of SHOWN_BY[model] ?? []) touched.add(resource);
  return [...touched];
}

/** Invalidates what `operation` touched: active queries refetch now, inactive ones on next use. */
export async function invalidateAfter(client: QueryClient, operation: Operation): Promise<Resource[]> {
  const touched = touchedResources(operation);
  await Promise.all(touched.map((resource) => client.invalidateQueries({ queryKey: resourceKey(resource) })));
  return touched;
}
