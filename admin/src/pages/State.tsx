// Loading, empty and error states, the same on every screen.
import { Alert, Button, Group, Loader, Text } from "@mantine/core";
import type { ReactNode } from "react";

import { useI18n } from "../i18n";

interface Props {
  isPending: boolean;
  error: Error | null;
  isEmpty: boolean;
  retry: () => void;
  children: ReactNode;
}

export function QueryState({ isPending, error, isEmpty, retry, children }: Props) {
  const { t } = useI18n();
  if (isPending)
    return (
      <Group role="status" aria-live="polite">
        <Loader size="sm" />
        <Text>{t("loading")}</Text>
      </Group>
    );
  if (error !== null)
    return (
      <Alert color="red" title={t("error")} role="alert">
        <Text dir="auto">{error.message}</Text>
        <Button mt="sm" variant="light" onClick={retry}>
          {t("retry")}
        </Button>
      </Alert>
    );
  if (isEmpty) return <Text data-testid="empty">{t("empty")}</Text>;
  return <>{children}</>;
}
