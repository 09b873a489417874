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
        : 202 extends keyof R
          ? Json<R[202]>
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
  /** The version the write was prepared against: sent as `If-Match: "<version>"`, so that the
   * server answers 412 (and writes nothing) when someone else wrote the row since. */
  ifMatch?: number;
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

  /** A 412: the row changed since the version sent in `If-Match`; the body is the row as it is
   * now (the same JSON as a GET), not errors. */
  get isConflict(): boolean {
    return this.status === 412;
  }

  /** Field → messages (DRF's validation errors); `non_field_errors` and `detail` included. */
  get fieldErrors(): Record<string, string[]> {
    if (this.isConflict) return {};
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
    if (status === 412) return "HTTP 412: changed elsewhere";
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
  if (options.ifMatch !== undefined) headers["If-Match"] = `"${options.ifMatch}"`;
  const response = await fetch(url(path, options.params ?? undefined, options.query), {
    method: method.toUpperCase(),
    headers,
    credentials: "same-origin",
    // The server's Cache-Control decides; the admin never wants a heuristic browser copy.
    cache: "no-store",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return answer(path, response.status, await response.text()) as Success<P, M>;
}

/** A response's JSON body (a text that is not JSON becomes `{detail}`), or the `ApiError` it
 * is; a 401 also goes to the login page. `request` (fetch) and `upload` (XHR) share it. */
function answer(path: string, status: number, text: string): unknown {
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { detail: text };
    }
  }
  if (status < 200 || status > 299) {
    const error = new ApiError(status, body);
    if (status === 401 && path !== "/api/auth/login") onUnauthorized();
    throw error;
  }
  return body;
}

type Multipart<P extends Path> = paths[P] extends { post: { requestBody: { content: { "multipart/form-data": infer B } } } } ? B : never;
/** The operations that take a `multipart/form-data` POST: uploads. */
export type UploadPath = { [P in Path]: [Multipart<P>] extends [never] ? never : P }[Path];

export interface UploadOptions<P extends UploadPath> {
  params: PathParams<P, "post" & MethodOf<P>>;
  /** The form's parts as the document names them; a file (binary) part takes a Blob or File. */
  form: { [K in keyof Multipart<P>]: string | Blob };
  /** The share of the body sent so far, 0 to 1 (fetch cannot report it, hence XHR). */
  onProgress?: (sent: number) => void;
}

/** A multipart POST with upload progress: same session, CSRF header, errors and 401 handling as
 * `request`. A network failure rejects with a TypeError, as fetch does. */
export function upload<P extends UploadPath>(path: P, options: UploadOptions<P>): Promise<Success<P, "post" & MethodOf<P>>> {
  const form = new FormData();
  const parts: Record<string, string | Blob | undefined> = options.form;
  for (const [name, value] of Object.entries(parts)) {
    if (value !== undefined) form.append(name, value);
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url(path, options.params ?? undefined));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) options.onProgress?.(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      try {
        resolve(answer(path, xhr.status, xhr.responseText) as Success<P, "post" & MethodOf<P>>);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    xhr.addEventListener("error", () => reject(new TypeError("Failed to fetch")));
    // The browser writes the multipart Content-Type with its boundary.
    xhr.send(form);
  });
}
