// One section of a dashboard: a bordered card with its title and a line saying what it shows.
import { Card, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";

import { type Key, useI18n } from "../i18n";

export function Section({ title, help, testId, children }: { title: Key; help: Key; testId: string; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <Card withBorder data-testid={testId}>
      <Stack gap="xs">
        <Title order={3} size="h4">
          {t(title)}
        </Title>
        <Text size="sm">{t(help)}</Text>
        {children}
      </Stack>
    </Card>
  );
}
