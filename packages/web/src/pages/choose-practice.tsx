import { Alert, Button, Card, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Navigate } from 'react-router';
import { describeProblem } from '../api.ts';
import { useSession } from '../session.tsx';
import { rolesInWords, useChoosePractice } from '../shell/practice-switcher.tsx';
import { Loading } from '../shell/status.tsx';
import { Frame } from './mfa.tsx';

/**
 * After signing in, an account in several practices (a supervisor, a locum) chooses which
 * one to work in: nothing of any practice is shown until then.
 */
export function ChoosePracticePage() {
  const { session, signOut } = useSession();
  const { choose, busy } = useChoosePractice();
  const [error, setError] = useState<string | undefined>(undefined);
  if (session === undefined) return <Loading what="your session" />;
  if (session === null) return <Navigate to="/sign-in" replace />;
  if (session.stage !== 'active') return <Navigate to="/sign-in/code" replace />;
  return (
    <Frame title="Choose a practice">
      <Text>
        You belong to more than one practice. Choose the one to work in now; you can switch from the top of
        any page without signing in again.
      </Text>
      {error !== undefined && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      {session.practices.length === 0 ? (
        <Alert color="orange" role="alert" title="No practice to open">
          Your account is not an active member of any practice now. Ask the practice’s administrator.
        </Alert>
      ) : (
        <Stack gap="sm" component="ul" p={0} m={0} style={{ listStyle: 'none' }}>
          {session.practices.map((p) => (
            <Card key={p.id} withBorder padding="md" component="li">
              <Group justify="space-between" wrap="nowrap">
                <div>
                  <Text fw={600}>{p.name}</Text>
                  <Text size="sm" c="dimmed">
                    {rolesInWords(p.roles)}
                  </Text>
                </div>
                <Button
                  disabled={busy}
                  aria-label={`Open ${p.name}`}
                  onClick={() => {
                    setError(undefined);
                    choose(p.id).catch((e: unknown) => setError(describeProblem(e)));
                  }}
                >
                  Open
                </Button>
              </Group>
            </Card>
          ))}
        </Stack>
      )}
      <Group>
        <Button variant="subtle" onClick={() => void signOut()}>
          Sign out
        </Button>
      </Group>
    </Frame>
  );
}
