// The only way screens read and write: queries under ["admin", resource, params], mutations
// that invalidate exactly what the server says the write touched, here and in other tabs.
import { type QueryClient, keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";

import { ApiError, type MethodOf, type Path, type RequestOptions, type Success, type UploadOptions, type UploadPath, request, upload } from "./client";
import { type Operation, invalidateAfter, ownResource } from "./invalidation";
import { type Params, type Resource, queryKey, resourceKey } from "./keys";
import { announce } from "./sync";

/** What a few screens add to a query. */
export interface QueryExtras<T> {
  /** Tells apart the endpoints of one resource that take no parameters (the cache dashboard's
   * stats, flags, warm and audit): it goes into the key's params. */
  view?: string;
  /** Refetch while the screen is open: every n ms, or as the last answer says (false: stop). */
  refetchInterval?: number | ((data: T | undefined) => number | false);
  /** "always": refetch whenever the window regains focus, whatever the stale time. */
  refetchOnWindowFocus?: boolean | "always";
}

/** What an open edit form asks of its object's detail query: news of writes made elsewhere (by
 * another editor: no BroadcastChannel reaches this tab) within 30 s, and at once when the
 * editor comes back to the window. Polling stops when the form closes (the query's last
 * observer goes) and while the tab is in the background. */
export const WHILE_EDITING = { refetchInterval: 30_000, refetchOnWindowFocus: "always" } as const;

export function useAdminQuery<P extends Path>(
  resource: Resource,
  path: P,
  options: RequestOptions<P, "get" & MethodOf<P>> = {},
  enabled = true,
  extras: QueryExtras<Success<P, "get" & MethodOf<P>>> = {},
) {
  const params: Params = { ...(options.params ?? {}), ...(options.query ?? {}), view: extras.view };
  const interval = extras.refetchInterval;
  return useQuery({
    queryKey: queryKey(resource, params),
    queryFn: () => request("get" as "get" & MethodOf<P>, path, options),
    placeholderData: keepPreviousData,
    enabled,
    refetchInterval: typeof interval === "function" ? (query) => interval(query.state.data) : interval,
    ...(extras.refetchOnWindowFocus === undefined ? {} : { refetchOnWindowFocus: extras.refetchOnWindowFocus }),
  });
}

type OperationOf<P extends Path, M extends MethodOf<P>> = `${Uppercase<M & string>} ${P & string}` & Operation;

/** A write; on success it invalidates its resource and what the server's map says it touched. */
export function useAdminMutation<P extends Path, M extends MethodOf<P>, V>(
  method: M,
  path: P & (`${Uppercase<M & string>} ${P & string}` extends Operation ? P : never),
  toRequest: (variables: V) => RequestOptions<P, M>,
) {
  const client = useQueryClient();
  const operation = `${method.toUpperCase()} ${path}` as OperationOf<P, M>;
  return useMutation<Success<P, M>, Error, V>({
    mutationFn: (variables) => request(method, path, toRequest(variables)),
    onSuccess: () => afterWrite(client, operation),
    // A 412: what this tab shows of the resource is older than the server's; refetch it (the
    // open form merges the new version, a list shows the row as it is now).
    onError: (error) => {
      if (error instanceof ApiError && error.isConflict) void client.invalidateQueries({ queryKey: resourceKey(ownResource(operation)) });
    },
  });
}

/** What every successful write does next: invalidate what the server's map says `operation`
 * touched, then tell the other tabs. */
export async function afterWrite(client: QueryClient, operation: Operation): Promise<void> {
  announce(await invalidateAfter(client, operation));
}

/** An upload (multipart, with progress; see `upload`): on success it invalidates as
 * `useAdminMutation` does, and resolves once the screens' queries have the new data. */
export function useAdminUpload<P extends UploadPath>(path: P & (`POST ${P}` extends Operation ? P : never)) {
  const client = useQueryClient();
  return useCallback(
    async (options: UploadOptions<P>) => {
      const created = await upload(path, options);
      await afterWrite(client, `POST ${path}` as `POST ${P}` & Operation);
      return created;
    },
    [client, path],
  );
}
