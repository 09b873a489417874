// Why an image upload failed, as the screen says it in either language. The API answers in
// DRF's English wording (crates/apps/media/src/upload.rs and validate.rs); the kinds a user can
// act on are recognised from it, anything else is shown as the server wrote it.
import { ApiError } from "../api/client";

export type UploadProblem =
  /** Over the upload limit (a 400 naming it in bytes), or over the body limit (413). */
  | { kind: "tooLarge"; maxBytes: number | null }
  /** Empty, not PNG/JPEG/GIF/WebP, or a damaged file. */
  | { kind: "notImage" }
  /** Wider or taller than the server accepts; `detail` says by how much. */
  | { kind: "dimensions"; detail: string }
  /** 415: the request was not multipart (a client fault, not the file's). */
  | { kind: "unsupported"; detail: string }
  /** The alternative text was refused. */
  | { kind: "alt"; detail: string }
  /** No answer: the connection failed. */
  | { kind: "network" }
  | { kind: "other"; detail: string };

export function uploadProblem(error: Error): UploadProblem {
  if (!(error instanceof ApiError)) return error instanceof TypeError ? { kind: "network" } : { kind: "other", detail: error.message };
  if (error.status === 413) return { kind: "tooLarge", maxBytes: null };
  if (error.status === 415) return { kind: "unsupported", detail: error.message };
  const fields = error.fieldErrors;
  const file = fields.file?.[0];
  if (file !== undefined) {
    const limit = /no larger than (\d+) bytes/.exec(file);
    if (limit?.[1] !== undefined) return { kind: "tooLarge", maxBytes: Number(limit[1]) };
    if (file.startsWith("Upload a valid image") || file.startsWith("The submitted file is empty")) return { kind: "notImage" };
    if (file.startsWith("Ensure this image is no larger than")) return { kind: "dimensions", detail: file };
    return { kind: "other", detail: file };
  }
  const alt = fields.alt?.join(" ");
  if (alt !== undefined) return { kind: "alt", detail: alt };
  // `detail` (a 403, 404…) or whatever else DRF listed; a body without either: "HTTP n".
  const rest = Object.values(fields).flat().join(" ");
  return { kind: "other", detail: rest === "" ? error.message : rest };
}
