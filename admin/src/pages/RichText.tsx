// A rich-text field (property descriptions): Tiptap in Mantine's frame, so that editors format
// text instead of writing HTML (issue 20, item 2). It can only produce what the server's
// sanitizer keeps:
//   p, h2, h3, strong, em, u, s, blockquote, ul, ol, li, br, hr, a[href]
// and `dir` ("auto" on every node by default, "rtl"/"ltr" where the editor sets a paragraph's
// direction from the toolbar) on p, h2, h3, blockquote, ul, ol, li, hr and br: without it a Persian
// paragraph inside an English text (or the reverse) is laid out in the wrong direction. No
// classes, no styles, no target or rel on links (the server adds rel). The server sanitizes
// every write all the same.
import { Input } from "@mantine/core";
import { RichTextEditor } from "@mantine/tiptap";
import { useEditor, useEditorState } from "@tiptap/react";
import StarterKit from "@tiptap/starter-kit";
import { useEffect, useId, useMemo, useRef } from "react";

import { type Lang, useI18n } from "../i18n";

export const EXTENSIONS = [
  StarterKit.configure({
    code: false,
    codeBlock: false,
    heading: { levels: [2, 3] },
    link: {
      openOnClick: false,
      autolink: true,
      defaultProtocol: "https",
      protocols: ["http", "https", "mailto", "tel"],
      HTMLAttributes: { target: null, rel: null, class: null },
    },
  }),
];

/** What a rich text says, without its tags: how the conflict panel shows it. */
export function plainText(html: string): string {
  const body = new DOMParser().parseFromString(html, "text/html").body;
  return [...body.children].map((block) => block.textContent.trim()).filter(Boolean).join(" ¶ ") || body.textContent.trim();
}

interface Props {
  name: string;
  label: string;
  /** The language the text is written in (the field's, not the admin's). */
  lang: Lang;
  value: string;
  onChange: (html: string) => void;
  error?: string;
}

export function RichText({ name, label, lang, value, onChange, error }: Props) {
  const { t } = useI18n();
  const labelId = useId();
  // The HTML this editor last reported: a `value` that differs came from elsewhere (a merge, a
  // conflict choice) and replaces the content; its own echo does not (the caret would jump).
  const reported = useRef(value);
  const report = useRef(onChange);
  useEffect(() => {
    report.current = onChange;
  }, [onChange]);
  const editor = useEditor({
    extensions: EXTENSIONS,
    content: value,
    // Each block's direction from its first strong character: Persian and English paragraphs
    // each read the right way round, whatever the admin's language.
    textDirection: "auto",
    // Tiptap's own <style> element is refused by the CSP; admin.css has its few rules.
    injectCSS: false,
    editorProps: {
      attributes: { role: "textbox", "aria-multiline": "true", "aria-labelledby": labelId, "data-name": name, lang },
    },
    onUpdate: ({ editor: current }) => {
      const html = current.isEmpty ? "" : current.getHTML();
      reported.current = html;
      report.current(html);
    },
  });
  useEffect(() => {
    if (value !== reported.current) {
      reported.current = value;
      editor.commands.setContent(value, { emitUpdate: false });
    }
  }, [editor, value]);
  const labels = useMemo(
    () => ({
      boldControlLabel: t("rtBold"),
      italicControlLabel: t("rtItalic"),
      underlineControlLabel: t("rtUnderline"),
      strikeControlLabel: t("rtStrike"),
      clearFormattingControlLabel: t("rtClear"),
      h2ControlLabel: t("rtH2"),
      h3ControlLabel: t("rtH3"),
      blockquoteControlLabel: t("rtQuote"),
      hrControlLabel: t("rtRule"),
      bulletListControlLabel: t("rtBullets"),
      orderedListControlLabel: t("rtNumbers"),
      linkControlLabel: t("rtLink"),
      unlinkControlLabel: t("rtUnlink"),
      linkEditorInputLabel: t("rtLinkUrl"),
      linkEditorSave: t("save"),
      undoControlLabel: t("rtUndo"),
      redoControlLabel: t("rtRedo"),
    }),
    [t],
  );
  // The toolbar's own controls follow the selection; these two read it the same way.
  const dirs = useEditorState({ editor, selector: ({ editor: current }) => ({ rtl: current.isActive({ dir: "rtl" }), ltr: current.isActive({ dir: "ltr" }) }) });
  const direction = (dir: "rtl" | "ltr") => (
    <RichTextEditor.Control
      onClick={() => editor.chain().focus().setTextDirection(dir).run()}
      aria-label={t(dir === "rtl" ? "rtRtl" : "rtLtr")}
      title={t(dir === "rtl" ? "rtRtl" : "rtLtr")}
      active={dirs[dir]}
    >
      <span dir="ltr" aria-hidden="true">
        {dir === "rtl" ? "¶←" : "¶→"}
      </span>
    </RichTextEditor.Control>
  );
  return (
    <Input.Wrapper label={label} labelElement="div" labelProps={{ id: labelId, onClick: () => editor.commands.focus() }} error={error}>
      <RichTextEditor editor={editor} labels={labels} classNames={{ linkEditorExternalControl: "admin-hidden" }} data-invalid={error ? true : undefined}>
        <RichTextEditor.Toolbar aria-label={`${t("rtToolbar")}: ${label}`} role="toolbar">
          <RichTextEditor.ControlsGroup>
            <RichTextEditor.Bold />
            <RichTextEditor.Italic />
            <RichTextEditor.Underline />
            <RichTextEditor.Strikethrough />
            <RichTextEditor.ClearFormatting />
          </RichTextEditor.ControlsGroup>
          <RichTextEditor.ControlsGroup>
            <RichTextEditor.H2 />
            <RichTextEditor.H3 />
            <RichTextEditor.Blockquote />
            <RichTextEditor.Hr />
            <RichTextEditor.BulletList />
            <RichTextEditor.OrderedList />
          </RichTextEditor.ControlsGroup>
          <RichTextEditor.ControlsGroup>
            <RichTextEditor.Link />
            <RichTextEditor.Unlink />
          </RichTextEditor.ControlsGroup>
          <RichTextEditor.ControlsGroup>
            {direction("rtl")}
            {direction("ltr")}
          </RichTextEditor.ControlsGroup>
          <RichTextEditor.ControlsGroup>
            <RichTextEditor.Undo />
            <RichTextEditor.Redo />
          </RichTextEditor.ControlsGroup>
        </RichTextEditor.Toolbar>
        <RichTextEditor.Content />
      </RichTextEditor>
    </Input.Wrapper>
  );
}
