import { describe, expect, it } from "vitest";

import { inputLang, pairUp } from "./Bilingual";

describe("a translated text's two fields", () => {
  it("are each in their own language and direction; other fields read their own direction", () => {
    expect(inputLang("title_fa")).toEqual({ lang: "fa", dir: "rtl" });
    expect(inputLang("name_en")).toEqual({ lang: "en", dir: "ltr" });
    expect(inputLang("slug")).toEqual({ dir: "auto" });
  });

  it("pair up when they follow each other, Persian first", () => {
    const fields = ["name_fa", "name_en", "slug", "group_fa", "group_en", "position", "city_en", "city_fa"].map((name) => ({ name }));
    expect(pairUp(fields).map((f) => ("name" in f ? f.name : f.map((x) => x.name).join("+")))).toEqual([
      "name_fa+name_en",
      "slug",
      "group_fa+group_en",
      "position",
      "city_en",
      "city_fa",
    ]);
  });
});
