// A property's images on its edit screen: upload (preview and progress per file, the API's
// refusals per file), reorder (drag and drop, or keyboard: Space picks up, arrows move in the
// reading direction, Space drops, Escape cancels; or the move buttons), delete. Every write
// invalidates what the server's map says; the images shown are the server's.
import { ActionIcon, Alert, Button, FileButton, Group, Text, TextInput, Title, VisuallyHidden } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type KeyboardEvent, type ReactNode, type RefObject, type SyntheticEvent, useEffect, useId, useLayoutEffect, useRef, useState } from "react";

import { request } from "../api/client";
import { afterWrite, useAdminMutation, useAdminUpload } from "../api/hooks";
import { queryKey } from "../api/keys";
import type { components } from "../api/schema";
import { formatBytes, formatNumber } from "../format";
import { useI18n } from "../i18n";
import { langOf } from "../textLang";
import { type Moving, changed, moveBy, moveTo, pickUp, positionOf, stepOf } from "./imageOrder";
import { type UploadProblem, uploadProblem } from "./uploadProblem";

type Property = components["schemas"]["PropertyAdmin"];
type Image = components["schemas"]["ImageOut"];

const ACCEPT = "image/png,image/jpeg,image/gif,image/webp";
const REORDER = "/api/admin/properties/{id}/images/reorder/";

/** A chosen file waiting to be (or being) uploaded. */
interface Queued {
  key: number;
  file: File;
  /** An object URL of the file, revoked when it leaves the queue or the screen. */
  preview: string;
  alt: string;
  /** The share sent, 0 to 1, while it uploads; null otherwise. */
  sent: number | null;
  problem: UploadProblem | null;
}

type Control = "handle" | "earlier" | "later";

export function PropertyImages({ property }: { property: Property }) {
  const { t, lang, dir } = useI18n();
  const n = (value: number) => formatNumber(value, lang);
  const client = useQueryClient();
  const headingId = useId();
  const hintId = useId();
  const images = property.images;
  const serverIds = images.map((image) => image.id);

  const [moving, setMoving] = useState<Moving | null>(null);
  const [message, setMessage] = useState("");
  // The reorder's answer is the property's new images: shown at once, then the invalidation
  // refetches the property (and whatever else the server's map names).
  // (The key is the one PropertyForm reads the property under.)
  const reorder = useMutation({
    mutationFn: (ids: readonly number[]) => request("post", REORDER, { params: { id: property.id }, body: { ids: [...ids] } }),
    onSuccess: async (answer) => {
      client.setQueryData<Property>(queryKey("properties", { id: property.id }), (old) => old && { ...old, images: answer });
      await afterWrite(client, `POST ${REORDER}`);
    },
  });
  const remove = useAdminMutation("delete", "/api/admin/properties/{id}/images/{image_id}/", (image: Image) => ({
    params: { id: property.id, image_id: image.id },
  }));
  const busy = reorder.isPending || remove.isPending;

  // While an image moves, its order; while the new order is saved, the order sent; else the server's.
  const order = moving?.ids ?? (reorder.isPending ? reorder.variables : undefined) ?? serverIds;
  const byId = new Map(images.map((image) => [image.id, image]));
  const shown = order.flatMap((id) => byId.get(id) ?? []);

  // Keyboard focus follows the image it moves (React moves the item's element, which drops
  // focus), and after a delete goes to a neighbour, or to the add button when none is left.
  const list = useRef<HTMLOListElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const focusAfter = useRef<{ id: number | null; control: Control } | null>(null);
  const orderKey = shown.map((image) => image.id).join(",");
  useLayoutEffect(() => {
    const want = focusAfter.current;
    const active = document.activeElement;
    // Only when focus was lost (or is in the list): never taken from elsewhere on the page.
    if (want === null || !(active === document.body || active === null || list.current?.contains(active))) return;
    if (want.id === null) {
      addButton.current?.focus();
      return;
    }
    const item = list.current?.querySelector(`[data-image-id="${want.id}"]`);
    const target = [want.control, "handle"]
      .map((control) => item?.querySelector<HTMLButtonElement>(`[data-control="${control}"]`))
      .find((el) => el && !el.disabled);
    if (target && active !== target) target.focus();
  }, [orderKey]);

  const where = (index: number, total = shown.length) => `${t("position")} ${n(index + 1)} ${t("of")} ${n(total)}`;
  const say = (text: string) => setMessage(text);

  /** Drops `next` where it stands; `control` gets focus back (null: dropped by pointer). */
  const save = (next: Moving, control: Control | null) => {
    setMoving(null);
    focusAfter.current = control === null ? null : { id: next.id, control };
    if (!changed(next)) {
      say(`${t("imageDropped")} ${where(positionOf(next))}.`);
      return;
    }
    reorder.mutate(next.ids, {
      onSuccess: (answer) => say(`${t("orderSaved")} ${where(answer.findIndex((image) => image.id === next.id), answer.length)}.`),
      onError: () => say(t("orderNotSaved")),
    });
  };
  const pick = (id: number) => {
    const picked = pickUp(serverIds, id);
    setMoving(picked);
    focusAfter.current = { id, control: "handle" };
    say(`${t("imagePicked")} ${where(positionOf(picked))}. ${t("imagesHint")}`);
  };
  const cancel = (current: Moving) => {
    setMoving(null);
    say(`${t("moveCancelled")} ${where(current.from.indexOf(current.id))}.`);
  };
  const onHandleKey = (event: KeyboardEvent, image: Image) => {
    if (moving?.id !== image.id) return;
    if (event.key === "Escape") {
      event.preventDefault();
      cancel(moving);
      return;
    }
    const step = stepOf(event.key, dir);
    if (step === null) return;
    event.preventDefault();
    const next = moveBy(moving, step);
    setMoving(next);
    say(`${t("imageMoved")} ${where(positionOf(next))}.`);
  };
  const confirmRemove = (image: Image, index: number) => {
    if (busy || !window.confirm(t("confirmDeleteImage"))) return;
    const neighbour = shown[index + 1] ?? shown[index - 1];
    remove.mutate(image, {
      onSuccess: () => {
        focusAfter.current = { id: neighbour?.id ?? null, control: "handle" };
        say(t("imageDeleted"));
      },
    });
  };

  return (
    <section className="admin-images" aria-labelledby={headingId} data-testid="property-images">
      <Uploads property={property} addButton={addButton} say={say}>
        <Title order={3} id={headingId}>
          {t("images")} ({n(images.length)})
        </Title>
      </Uploads>
      {(reorder.error ?? remove.error) && (
        <Alert color="red" role="alert" title={t(reorder.error ? "orderNotSaved" : "imageNotDeleted")}>
          <Text dir="auto">{(reorder.error ?? remove.error)?.message}</Text>
        </Alert>
      )}
      {shown.length === 0 ? (
        <Text data-testid="images-empty">{t("noImages")}</Text>
      ) : (
        <>
          <Text size="sm" className="admin-quiet" id={hintId}>
            {t("imagesHint")}
          </Text>
          <ol
            ref={list}
            className="admin-image-grid"
            aria-labelledby={headingId}
            aria-busy={busy}
            onDragOver={(event) => {
              if (moving !== null) event.preventDefault();
            }}
            onDrop={(event) => {
              event.preventDefault();
              if (moving !== null) save(moving, null);
            }}
          >
            {shown.map((image, index) => {
              const label = `${t("image")} ${n(index + 1)} ${t("of")} ${n(shown.length)}`;
              return (
                <li
                  key={image.id}
                  className="admin-image"
                  data-image-id={image.id}
                  data-moving={moving?.id === image.id || undefined}
                  draggable={!busy}
                  onDragStart={(event) => {
                    event.dataTransfer.effectAllowed = "move";
                    event.dataTransfer.setData("text/plain", String(image.id));
                    focusAfter.current = null;
                    setMoving(pickUp(serverIds, image.id));
                  }}
                  onDragOver={(event) => {
                    if (moving === null) return;
                    event.preventDefault();
                    event.dataTransfer.dropEffect = "move";
                    if (positionOf(moving) !== index) setMoving(moveTo(moving, index));
                  }}
                  // Dropped outside the list: back to the server's order (after a drop, a no-op).
                  onDragEnd={() => setMoving(null)}
                >
                  <button
                    type="button"
                    className="admin-image-handle"
                    data-control="handle"
                    aria-label={`${label}: ${image.alt || t("noAlt")}`}
                    aria-describedby={hintId}
                    aria-pressed={moving?.id === image.id}
                    onClick={() => {
                      if (moving?.id === image.id) save(moving, "handle");
                      else if (!busy) pick(image.id);
                    }}
                    onKeyDown={(event) => onHandleKey(event, image)}
                  >
                    <img src={image.url} alt={image.alt || label} width={image.width} height={image.height} draggable={false} />
                  </button>
                  <div className="admin-image-meta">
                    <Text size="sm" fw={600}>
                      {n(index + 1)}
                    </Text>
                    <Text size="sm" dir="auto" lang={image.alt ? langOf(image.alt) : undefined} className={image.alt ? undefined : "admin-quiet"} lineClamp={2}>
                      {image.alt || t("noAlt")}
                    </Text>
                  </div>
                  <Group gap="xs" justify="space-between">
                    <Group gap="xs">
                      {(["earlier", "later"] as const).map((control) => (
                        <ActionIcon
                          key={control}
                          variant="default"
                          data-control={control}
                          aria-label={`${t(control === "earlier" ? "moveEarlier" : "moveLater")}: ${label}`}
                          title={t(control === "earlier" ? "moveEarlier" : "moveLater")}
                          disabled={control === "earlier" ? index === 0 : index === shown.length - 1}
                          onClick={() => {
                            if (!busy) save(moveBy(pickUp(serverIds, image.id), control === "earlier" ? -1 : 1), control);
                          }}
                        >
                          <Chevron later={control === "later"} />
                        </ActionIcon>
                      ))}
                    </Group>
                    <Button
                      size="compact-sm"
                      color="red"
                      variant="light"
                      aria-label={`${t("delete")}: ${label}`}
                      loading={remove.isPending && remove.variables.id === image.id}
                      onClick={() => confirmRemove(image, index)}
                    >
                      {t("delete")}
                    </Button>
                  </Group>
                </li>
              );
            })}
          </ol>
        </>
      )}
      {/* Not role="status": the page's status region is its loading indicator. */}
      <VisuallyHidden aria-live="polite" aria-atomic="true" data-testid="images-live">
        {message}
      </VisuallyHidden>
    </section>
  );
}

/** Earlier points to the start of the reading direction, later to its end (flipped in RTL). */
function Chevron({ later }: { later: boolean }) {
  return (
    <svg className="admin-flip-rtl" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={later ? "M6 3l5 5-5 5" : "M10 3L5 8l5 5"} fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}

interface UploadsProps {
  property: Property;
  addButton: RefObject<HTMLButtonElement | null>;
  say: (text: string) => void;
  /** The section's heading, beside the add button. */
  children: ReactNode;
}

/** The add button and the queue of chosen files: preview, alternative text, progress, and the
 * API's refusal, per file. Uploaded one after the other, so they land in the order chosen. */
function Uploads({ property, addButton, say, children }: UploadsProps) {
  const { t, lang } = useI18n();
  const send = useAdminUpload("/api/admin/properties/{id}/images/");
  const [queue, setQueue] = useState<Queued[]>([]);
  const [uploading, setUploading] = useState(false);
  const nextKey = useRef(0);
  const resetInput = useRef<() => void>(null);
  // Every preview still alive, revoked when the screen goes.
  const previews = useRef(new Set<string>());
  useEffect(() => {
    const alive = previews.current;
    return () => {
      for (const url of alive) URL.revokeObjectURL(url);
      alive.clear();
    };
  }, []);

  const add = (files: File[]) => {
    const added = files.map((file): Queued => {
      const preview = URL.createObjectURL(file);
      previews.current.add(preview);
      nextKey.current += 1;
      return { key: nextKey.current, file, preview, alt: "", sent: null, problem: null };
    });
    setQueue((current) => [...current, ...added]);
    // The same file can be chosen again.
    resetInput.current?.();
  };
  const update = (key: number, change: Partial<Queued>) =>
    setQueue((current) => current.map((item) => (item.key === key ? { ...item, ...change } : item)));
  const discard = (item: Queued) => {
    URL.revokeObjectURL(item.preview);
    previews.current.delete(item.preview);
    setQueue((current) => current.filter((other) => other.key !== item.key));
  };
  const uploadAll = async (event: SyntheticEvent) => {
    event.preventDefault();
    setUploading(true);
    for (const item of queue) {
      update(item.key, { sent: 0, problem: null });
      try {
        await send({
          params: { id: property.id },
          form: { file: item.file, alt: item.alt.trim() },
          onProgress: (sent) => update(item.key, { sent }),
        });
        // The property's images were refetched before `send` resolved: the thumbnail is shown.
        discard(item);
        say(`${t("imageUploaded")}: ${item.file.name}`);
      } catch (error) {
        update(item.key, { sent: null, problem: uploadProblem(error instanceof Error ? error : new Error(String(error))) });
      }
    }
    setUploading(false);
  };

  return (
    <>
      <Group justify="space-between">
        {children}
        <FileButton onChange={add} accept={ACCEPT} multiple resetRef={resetInput}>
          {(props) => (
            <Button {...props} ref={addButton} variant="light" disabled={uploading}>
              {t("chooseImages")}
            </Button>
          )}
        </FileButton>
      </Group>
      {queue.length > 0 && (
        <form className="admin-uploads" onSubmit={(event) => void uploadAll(event)} aria-label={t("upload")} data-testid="upload-queue">
          <ul>
            {queue.map((item) => (
              <li key={item.key} className="admin-upload" data-testid="upload-item">
                <img className="admin-upload-preview" src={item.preview} alt={`${t("preview")}: ${item.file.name}`} />
                <div className="admin-upload-body">
                  <Text size="sm" fw={600} dir="auto">
                    {item.file.name}
                  </Text>
                  <Text size="xs" className="admin-quiet">
                    {formatBytes(item.file.size, lang)}
                  </Text>
                  <TextInput
                    size="xs"
                    label={t("altText")}
                    value={item.alt}
                    onChange={(event) => update(item.key, { alt: event.currentTarget.value })}
                    error={item.problem?.kind === "alt" ? item.problem.detail : undefined}
                    maxLength={200}
                    disabled={uploading}
                    dir="auto"
                  />
                  {item.sent !== null && <progress className="admin-progress" max={1} value={item.sent} aria-label={`${t("uploading")}: ${item.file.name}`} />}
                  {item.problem && item.problem.kind !== "alt" && <Problem problem={item.problem} />}
                </div>
                <Button variant="subtle" size="compact-sm" disabled={uploading} aria-label={`${t("remove")}: ${item.file.name}`} onClick={() => discard(item)}>
                  {t("remove")}
                </Button>
              </li>
            ))}
          </ul>
          <Button type="submit" loading={uploading}>
            {t("upload")} ({formatNumber(queue.length, lang)})
          </Button>
        </form>
      )}
    </>
  );
}

function Problem({ problem }: { problem: UploadProblem }) {
  const { t, lang } = useI18n();
  const [summary, detail] = ((): [string, string | null] => {
    switch (problem.kind) {
      case "tooLarge":
        return [problem.maxBytes === null ? t("uploadTooLarge") : `${t("uploadTooLarge")} (${t("atMost")} ${formatBytes(problem.maxBytes, lang)})`, null];
      case "notImage":
        return [t("uploadNotImage"), null];
      case "dimensions":
        return [t("uploadTooManyPixels"), problem.detail];
      case "unsupported":
        return [t("uploadUnsupported"), problem.detail];
      case "network":
        return [t("uploadNetwork"), null];
      case "alt":
      case "other":
        return [t("uploadFailed"), problem.detail];
    }
  })();
  return (
    <div role="alert">
      <Text size="sm" c="red">
        {summary}
      </Text>
      {detail !== null && (
        <Text size="xs" dir="auto">
          {detail}
        </Text>
      )}
    </div>
  );
}
