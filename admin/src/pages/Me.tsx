import { Table, Title } from "@mantine/core";

import { useAdminQuery } from "../api/hooks";
import { useI18n } from "../i18n";
import { langOf } from "../textLang";
import { QueryState } from "./State";
import { roleLabel } from "./Users";

export function Me() {
  const { t } = useI18n();
  const me = useAdminQuery("me", "/api/auth/me");
  return (
    <>
      <Title order={2} mb="md">
        {t("me")}
      </Title>
      <QueryState isPending={me.isPending} error={me.error} isEmpty={false} retry={() => void me.refetch()}>
        {me.data && (
          <Table maw={480}>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th scope="row">{t("username")}</Table.Th>
                <Table.Td dir="auto" lang={langOf(me.data.username)}>
                  {me.data.username}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th scope="row">{t("email")}</Table.Th>
                <Table.Td dir="auto" lang={langOf(me.data.email)}>
                  {me.data.email}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th scope="row">{t("role")}</Table.Th>
                <Table.Td data-role={me.data.role}>{t(roleLabel(me.data.role))}</Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
        )}
      </QueryState>
    </>
  );
}
