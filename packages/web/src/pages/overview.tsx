import { type Engine, formatDate, healthSchema, practiceSummarySchema } from '@alcove/core';
import { Alert, Badge, Card, Code, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { z } from 'zod';
import { useSession } from '../session.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

const practicesSchema = z.object({ practices: z.array(practiceSummarySchema) });

const engineNames: Record<Engine, string> = {
  sqlite: 'SQLite, embedded on this computer',
  postgres: 'PostgreSQL server',
};

export function OverviewPage() {
  const { session } = useSession();
  const practices = useApi('/practices', practicesSchema);
  const practice = practices.state === 'ready' ? practices.data.practices[0] : undefined;
  const health = useApi('/health', healthSchema);

  return (
    <Stack gap="lg" maw={880}>
      <Title order={2}>Overview</Title>
      {session != null && <Text>Welcome, {session.user.name}.</Text>}
      {practices.state === 'loading' && <Loading what="your practice" />}
      {practices.state === 'failed' && <Failure error={practices.error} />}
      {practices.state !== 'ready' ? null : practice === undefined ? (
        <Alert color="yellow" title="No practice yet">
          This Alcove holds no practice. Create one with <Code>alcove init --practice-name "…"</Code>, or try
          the fictional demo with <Code>alcove demo</Code>.
        </Alert>
      ) : (
        <Card withBorder padding="lg">
          <Stack gap="xs">
            <Title order={3} size="h4">
              {practice.name}
            </Title>
            <Text c="dimmed" size="sm">
              Practice set up on {formatDate(practice.createdAt)}
            </Text>
            {practice.demo && (
              <Text size="sm" c="grape.9" data-testid="demo-note">
                This is the demo practice: every person and record in it is fictional.
              </Text>
            )}
          </Stack>
        </Card>
      )}

      <SimpleGrid cols={{ base: 1, md: 1 }}>
        <Card withBorder padding="lg">
          <Title order={3} size="h4" mb="sm">
            This Alcove
          </Title>
          {health.state === 'loading' && <Loading what="the server status" />}
          {health.state === 'failed' && <Failure error={health.error} />}
          {health.state === 'ready' && (
            <Table variant="vertical" layout="fixed" withTableBorder={false}>
              <Table.Tbody>
                <Table.Tr>
                  <Table.Th w={180}>Status</Table.Th>
                  <Table.Td>
                    <Badge color="alcove" variant="light">
                      Running
                    </Badge>
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Version</Table.Th>
                  <Table.Td>{health.data.version}</Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Records kept in</Table.Th>
                  <Table.Td>{engineNames[health.data.engine]}</Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Database schema</Table.Th>
                  <Table.Td>{health.data.schemaVersion}</Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
          )}
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
