// The only way screens read and write: queries under ["admin", resource, params], mutations
// that invalidate exactly what the server says the write touched, here and in other tabs.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { type MethodOf, type Path, type RequestOptions, type Success, request } from "./client";
import { type Operation, invalidateAfter } from "./invalidation";
import { type Params, type Resource, queryKey } from "./keys";
import { announce } from "./sync";

export function useAdminQuery<P extends Path>(
  resource: Resource,
  path: P,
  options: RequestOptions<P, "get" & MethodOf<P>> = {},
  enabled = true,
) {
  const params: Params = { ...(options.params ?? {}), ...(options.query ?? {}) };
  return useQuery({
    queryKey: queryKey(resource, params),
    queryFn: () => request("get" as "get" & MethodOf<P>, path, options),
    placeholderData: keepPreviousData,
    enabled,
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
    onSuccess: async () => {
      announce(await invalidateAfter(client, operation));
    },
  });
}
