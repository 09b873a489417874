// A fetch client typed by the generated document (schema.d.ts): a path, method, body or
// response the server no longer has fails the admin's typecheck. Session cookie + Django's
// CSRF header on unsafe methods; nothing it reads is stored anywhere but TanStack Query's memory.
import type { paths } from "./schema";

export type Path = keyof paths;
type Verb = "get" | "post" | "put" | "patch" | "delete";
export type MethodOf<P extends Path> = {
  [M in Verb]: paths[P][M] extends { responses: unknown } ? M : never;
}[Verb];
type Op<P extends Path, M extends MethodOf<P>> = paths[P][M];
type Json<R> = R extends { content: { "application/json": infer T } } ? T : null;
export type Success<P extends Path, M extends MethodOf<P>> =
  Op<P, M> extends { responses: infer R }
    ? 200 extends keyof R
      ? Json<R[200]>
      : 201 extends keyof R
        ? Json<R[201]>
        : null
    : never;
export type Body<P extends Path, M extends MethodOf<P>> =
  Op<P, M> extends { requestBody?: { content: { "application/json": infer B } } } ? B : undefined;
export type Query<P extends Path, M extends MethodOf<P>> =
  Op<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type PathParams<P extends Path, M extends MethodOf<P>> =
  Op<P, M> extends { parameters: { path: infer A } } ? A : undefined;

export interface RequestOptions<P extends Path, M extends MethodOf<P>> {
  params?: PathParams<P, M>;
  query?: Query<P, M>;
  body?: Body<P, M>;
}

/** A non-2xx answer, with DRF's body: `{detail}` or `{field: [messages]}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    super(ApiError.summary(status, body));
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }

  /** Field → messages (DRF's validation errors); `non_field_errors` and `detail` included. */
  get fieldErrors(): Record<string, string[]> {
    if (typeof this.body !== "object" || this.body === null || Array.isArray(this.body)) return {};
    const errors: Record<string, string[]> = {};
    for (const [field, value] of Object.entries(this.body)) {
      if (Array.isArray(value)) errors[field] = value.map(String);
      else if (typeof value === "string") errors[field] = [value];
    }
    return errors;
  }

  private static summary(status: number, body: unknown): string {
    if (typeof body === "object" && body !== null && "detail" in body) return String(body.detail);
    return `HTTP ${status}`;
  }
}

let onUnauthorized: () => void = () => undefined;

/** What a 401 does (the app sends the user to the login page and back). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export function csrfToken(): string {
  const match = /(?:^|;\s*)csrftoken=([^;]*)/.exec(document.cookie);
  return match?.[1] ? decodeURIComponent(match[1]) : "";
}

export function url(path: string, params?: object, query?: object): string {
  let resolved = path;
  for (const [name, value] of Object.entries(params ?? {})) {
    resolved = resolved.replace(`{${name}}`, encodeURIComponent(String(value)));
  }
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const qs = search.toString();
  return qs ? `${resolved}?${qs}` : resolved;
}

export async function request<P extends Path, M extends MethodOf<P>>(
  method: M,
  path: P,
  options: RequestOptions<P, M> = {},
): Promise<Success<P, M>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "get") headers["X-CSRFToken"] = csrfToken();
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url(path, options.params ?? undefined, options.query), {
    method: method.toUpperCase(),
    headers,
    credentials: "same-origin",
    // The server's Cache-Control decides; the admin never wants a heuristic browser copy.
    cache: "no-store",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { detail: text };
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, body);
    if (response.status === 401 && path !== "/api/auth/login") onUnauthorized();
    throw error;
  }
  return body as Success<P, M>;
}
