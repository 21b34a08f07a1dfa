import { Alert, Group, Loader, Text } from '@mantine/core';
import { ApiProblem } from '../api.ts';

export function Loading({ what }: { what: string }) {
  return (
    <Group gap="sm" role="status" aria-live="polite">
      <Loader size="sm" />
      <Text c="dimmed">Loading {what}…</Text>
    </Group>
  );
}

export function Failure({ error }: { error: Error }) {
  const problem = error instanceof ApiProblem ? error.problem : undefined;
  return (
    <Alert color="red" title={problem?.title ?? 'Alcove could not be reached'} role="alert">
      {problem?.detail ?? 'Check that Alcove is still running, then reload the page.'}
      {problem?.errorId !== undefined && (
        <Text size="sm" mt="xs">
          Reference: {problem.errorId}
        </Text>
      )}
    </Alert>
  );
}
