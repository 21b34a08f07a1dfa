import { Alert, Anchor, Button, Card, Center, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';

/**
 * Where a portal invitation lands. The one-time token is in the address's fragment, which
 * the browser never sends to a server or writes to its logs; this page posts it once.
 */
export function PortalJoinPage() {
  const token = typeof window === 'undefined' ? '' : window.location.hash.slice(1);
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password !== again) {
      setError('The two passwords are not the same.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', '/portal/join', z.null(), { body: { token, password } });
      window.history.replaceState(null, '', window.location.pathname);
      setDone(true);
    } catch (e) {
      setError(describeProblem(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Card withBorder padding="xl" w={460} maw="100%" component="main">
        <Stack>
          <Title order={1} size="h2" c="alcove.9">
            Your client portal
          </Title>
          {done ? (
            <>
              <Alert color="alcove" title="Your portal is ready" role="status">
                Sign in with your e-mail address and the password you chose. You will then set up a code from
                an authenticator app, which keeps your portal yours alone.
              </Alert>
              <Anchor component={Link} to="/sign-in">
                Sign in
              </Anchor>
            </>
          ) : token.length < 20 ? (
            <Alert color="red" role="alert">
              This page needs the link from your invitation e-mail. Open that link again, or ask your
              practitioner for a new invitation.
            </Alert>
          ) : (
            <form onSubmit={submit} noValidate>
              <Stack>
                <Text>
                  Choose a password for your portal, where you read and sign your documents and give or
                  withdraw your consents. Use at least 12 characters; a few unrelated words work well.
                </Text>
                {error !== undefined && (
                  <Alert color="red" role="alert" title="Not yet">
                    {error}
                  </Alert>
                )}
                <PasswordInput
                  label="New password"
                  autoComplete="new-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.currentTarget.value)}
                />
                <PasswordInput
                  label="The same password again"
                  autoComplete="new-password"
                  required
                  value={again}
                  onChange={(e) => setAgain(e.currentTarget.value)}
                />
                <Button type="submit" loading={busy}>
                  Set up my portal
                </Button>
              </Stack>
            </form>
          )}
        </Stack>
      </Card>
    </Center>
  );
}
