import { describe, expect, it } from "vitest";

import { ApiError } from "../api/client";
import { uploadProblem } from "./uploadProblem";

// The bodies the API sends (crates/apps/media/src/upload.rs, validate.rs).
const fileError = (message: string) => new ApiError(400, { file: [message] });

describe("why an upload failed", () => {
  it("over the upload limit: too large, with the limit in bytes", () => {
    expect(uploadProblem(fileError("Ensure this file is no larger than 5242880 bytes."))).toEqual({ kind: "tooLarge", maxBytes: 5242880 });
  });

  it("over the body limit (413): too large, limit unknown", () => {
    expect(uploadProblem(new ApiError(413, { detail: "Request body is too large." }))).toEqual({ kind: "tooLarge", maxBytes: null });
  });

  it("not an image, or an empty file", () => {
    expect(uploadProblem(fileError("Upload a valid image. The file you uploaded was either not an image or a corrupted image."))).toEqual({ kind: "notImage" });
    expect(uploadProblem(fileError("The submitted file is empty."))).toEqual({ kind: "notImage" });
  });

  it("too many pixels keeps the server's numbers", () => {
    const message = "Ensure this image is no larger than 10000×10000 pixels (it is 20000×10).";
    expect(uploadProblem(fileError(message))).toEqual({ kind: "dimensions", detail: message });
  });

  it("415 is the request's format, not the file's", () => {
    const body = { detail: 'Unsupported media type "application/json" in request.' };
    expect(uploadProblem(new ApiError(415, body))).toEqual({ kind: "unsupported", detail: body.detail });
  });

  it("a refused alternative text goes to its field", () => {
    expect(uploadProblem(new ApiError(400, { alt: ["Ensure this field has no more than 200 characters."] }))).toEqual({
      kind: "alt",
      detail: "Ensure this field has no more than 200 characters.",
    });
  });

  it("no answer is a network problem; anything else is shown as the server wrote it", () => {
    expect(uploadProblem(new TypeError("Failed to fetch"))).toEqual({ kind: "network" });
    expect(uploadProblem(new ApiError(404, { detail: "Not found." }))).toEqual({ kind: "other", detail: "Not found." });
    expect(uploadProblem(fileError("No file was submitted."))).toEqual({ kind: "other", detail: "No file was submitted." });
    expect(uploadProblem(new ApiError(502, null))).toEqual({ kind: "other", detail: "HTTP 502" });
  });
});
