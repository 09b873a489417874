import { describe, expect, it } from "vitest";

import { langOf, shownLang } from "./textLang";

describe("a text's language from its script", () => {
  it("is Persian with an Arabic-script letter, English with a Latin one", () => {
    expect(langOf("مدیر")).toBe("fa");
    expect(langOf("admin ویلا")).toBe("fa");
    expect(langOf("e2e-editor-42")).toBe("en");
    expect(langOf("۱۲۳")).toBe("fa");
    expect(langOf("42 — ")).toBeUndefined();
  });
});

describe("an API text's language", () => {
  it("is the answer's, or the other for a field that fell back", () => {
    const answer = { lang: "fa" as const, fallback: ["title"] };
    expect(shownLang(answer, "title")).toBe("en");
    expect(shownLang(answer, "city")).toBe("fa");
  });
});
