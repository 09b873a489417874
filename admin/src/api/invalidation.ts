// What a successful write makes stale, from the server's own invalidation map: each write
// operation publishes a model (`x-strata-invalidates`, generated into invalidates.gen.ts), and
// SHOWN_BY says which admin resources display that model. A category rename invalidates the
// categories *and* the properties (whose rows and forms show category names).
import type { QueryClient } from "@tanstack/react-query";

import { OPERATION_MODEL } from "./invalidates.gen";
import { type Resource, resourceKey } from "./keys";

export type Operation = keyof typeof OPERATION_MODEL;
export type Model = NonNullable<(typeof OPERATION_MODEL)[Operation]>;

/** Which admin resources show each model the server publishes. A new model in the document
 * fails the typecheck here until someone says where the admin shows it. */
export const SHOWN_BY: Readonly<Record<Model, readonly Resource[]>> = {
  property: ["properties"],
  // Property rows and the property form show category, tag and option names.
  category: ["categories", "properties"],
  tag: ["tags", "properties"],
  option: ["options", "properties"],
  user: ["users"],
};

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
  if (model !== null) for (const resource of SHOWN_BY[model]) touched.add(resource);
  return [...touched];
}

/** Invalidates what `operation` touched: active queries refetch now, inactive ones on next use. */
export async function invalidateAfter(client: QueryClient, operation: Operation): Promise<Resource[]> {
  const touched = touchedResources(operation);
  await Promise.all(touched.map((resource) => client.invalidateQueries({ queryKey: resourceKey(resource) })));
  return touched;
}
