// A list's pagination, the same on every screen: page numbers in the language's digits, each
// control named in the language (Mantine names none), and previous/next pointing the reading
// direction's way — Mantine's arrow icons carry `mantine-rotate-rtl`, which its stylesheet
// turns over under `[dir="rtl"]` (the document's dir, set by I18nProvider).
import { Pagination } from "@mantine/core";

import { formatNumber } from "../format";
import { type Key, useI18n } from "../i18n";

const CONTROLS: Record<"first" | "previous" | "next" | "last", Key> = {
  first: "firstPage",
  previous: "previousPage",
  next: "nextPage",
  last: "lastPage",
};

interface Props {
  total: number;
  value: number;
  onChange: (page: number) => void;
}

export function Pager({ total, value, onChange }: Props) {
  const { t, lang } = useI18n();
  return (
    <Pagination
      total={total}
      value={value}
      onChange={onChange}
      getItemProps={(page) => ({ children: formatNumber(page, lang), "aria-label": `${t("page")} ${formatNumber(page, lang)}` })}
      getControlProps={(control) => ({ "aria-label": t(CONTROLS[control]) })}
      data-testid="pager"
    />
  );
}
