// Other open tabs of the admin learn of a write through a BroadcastChannel and invalidate the
// same resources, so their lists update without a reload. Only resource names cross: no data.
import type { QueryClient } from "@tanstack/react-query";

import { type Resource, resourceKey } from "./keys";

const CHANNEL = "strata-admin-invalidate";

interface Message {
  resources: Resource[];
}

let channel: BroadcastChannel | null = null;

function open(): BroadcastChannel | null {
  if (channel === null && typeof BroadcastChannel !== "undefined") channel = new BroadcastChannel(CHANNEL);
  return channel;
}

export function announce(resources: Resource[]): void {
  open()?.postMessage({ resources } satisfies Message);
}

/** Invalidates what other tabs announce; returns the unsubscribe. */
export function listen(client: QueryClient): () => void {
  const ch = open();
  if (ch === null) return () => undefined;
  const onMessage = (event: MessageEvent<Message>) => {
    for (const resource of event.data.resources) void client.invalidateQueries({ queryKey: resourceKey(resource) });
  };
  ch.addEventListener("message", onMessage);
  return () => ch.removeEventListener("message", onMessage);
}
