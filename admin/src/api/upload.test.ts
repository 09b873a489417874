import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError, setUnauthorizedHandler, upload } from "./client";

/** Just enough of XMLHttpRequest to see what `upload` sends and to answer it. */
class FakeXhr {
  static last: FakeXhr | null = null;
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: unknown = null;
  status = 0;
  responseText = "";
  private listeners = new Map<string, () => void>();
  private progress: ((event: { lengthComputable: boolean; loaded: number; total: number }) => void) | null = null;
  upload = {
    addEventListener: (_type: "progress", listener: NonNullable<FakeXhr["progress"]>) => {
      this.progress = listener;
    },
  };

  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  addEventListener(type: string, listener: () => void) {
    this.listeners.set(type, listener);
  }
  send(body: unknown) {
    this.body = body;
  }
  sent(loaded: number, total: number) {
    this.progress?.({ lengthComputable: true, loaded, total });
  }
  answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.listeners.get("load")?.();
  }
  fail() {
    this.listeners.get("error")?.();
  }
}

function xhr(): FakeXhr {
  if (FakeXhr.last === null) throw new Error("no request was made");
  return FakeXhr.last;
}

const image = { id: 7, url: "/media/images/property/a.png", alt: "Front", width: 2, height: 1, position: 0 };

beforeEach(() => {
  FakeXhr.last = null;
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
  vi.stubGlobal("document", { cookie: "sessionid=x; csrftoken=tok%3D1" });
});
afterEach(() => {
  vi.unstubAllGlobals();
  setUnauthorizedHandler(() => undefined);
});

describe("upload (multipart over XHR, for its progress)", () => {
  it("posts the form to the path with the CSRF header, reports progress and resolves with the answer", async () => {
    const progress: number[] = [];
    const file = new Blob(["png"], { type: "image/png" });
    const done = upload("/api/admin/properties/{id}/images/", { params: { id: 3 }, form: { file, alt: "Front" }, onProgress: (s) => progress.push(s) });
    const request = xhr();
    expect([request.method, request.url]).toEqual(["POST", "/api/admin/properties/3/images/"]);
    expect(request.headers["X-CSRFToken"]).toBe("tok=1");
    // No Content-Type of its own: the browser writes multipart's with the boundary.
    expect(Object.keys(request.headers).map((h) => h.toLowerCase())).not.toContain("content-type");
    const form = request.body as FormData;
    expect(form.get("alt")).toBe("Front");
    expect(form.get("file")).toBeInstanceOf(Blob);
    request.sent(50, 100);
    request.sent(100, 100);
    request.answer(201, image);
    await expect(done).resolves.toEqual(image);
    expect(progress).toEqual([0.5, 1]);
  });

  it("a refusal is an ApiError with DRF's body, as from request()", async () => {
    const done = upload("/api/admin/properties/{id}/images/", { params: { id: 3 }, form: { file: new Blob(["x"]) } });
    xhr().answer(400, { file: ["Upload a valid image."] });
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).fieldErrors).toEqual({ file: ["Upload a valid image."] });
  });

  it("a 401 goes to the login page", async () => {
    const unauthorized = vi.fn();
    setUnauthorizedHandler(unauthorized);
    const done = upload("/api/admin/properties/{id}/images/", { params: { id: 3 }, form: { file: new Blob(["x"]) } });
    xhr().answer(401, { detail: "Authentication credentials were not provided." });
    await expect(done).rejects.toBeInstanceOf(ApiError);
    expect(unauthorized).toHaveBeenCalledOnce();
  });

  it("no answer rejects with a TypeError, as fetch does", async () => {
    const done = upload("/api/admin/properties/{id}/images/", { params: { id: 3 }, form: { file: new Blob(["x"]) } });
    xhr().fail();
    await expect(done).rejects.toBeInstanceOf(TypeError);
  });
});
