import {
  type AccountSession,
  type AccountToken,
  accountSessionsSchema,
  apiTokenLastDay,
  endedSessionsSchema,
  formatDateTime,
} from '@alcove/core';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { useReauthentication } from '../shell/reauthenticate.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { TokenTable } from '../shell/token-table.tsx';
import { useApi } from '../use-api.ts';

/** What the confirm dialog asks about. */
type Ending =
  | { readonly kind: 'session'; readonly session: AccountSession }
  | { readonly kind: 'token'; readonly token: AccountToken }
  | { readonly kind: 'others'; readonly tokens: boolean };

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function browserOf(session: AccountSession): string {
  return session.browser ?? 'Unknown browser';
}

/**
 * Your sessions (issue 16, finding 7): every browser signed in as you, and your API tokens,
 * with when and from where; end any other one, or all of them at once.
 */
export function SessionsPage() {
  const list = useApi('/account/sessions', accountSessionsSchema);
  const [ending, setEnding] = useState<Ending | undefined>(undefined);
  const [alsoTokens, setAlsoTokens] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  // Ending a session or a token needs the password and a code proved in the last 5 minutes
  // (V7.5.2): a stolen cookie alone cannot sign the owner out.
  const reauthentication = useReauthentication();

  async function confirm(what: Ending) {
    setBusy(true);
    setMessage(undefined);
    // The confirm dialog gives way to the re-authentication dialog, if the server asks for it.
    setEnding(undefined);
    try {
      if (what.kind === 'session') {
        const done = await reauthentication.run(async () => {
          await api('DELETE', `/account/sessions/${what.session.id}`, z.null());
          return true;
        });
        if (done === undefined) return;
        setMessage({ ok: true, text: `${browserOf(what.session)} is signed out.` });
      } else if (what.kind === 'token') {
        const done = await reauthentication.run(async () => {
          await api('DELETE', `/account/tokens/${what.token.id}`, z.null());
          return true;
        });
        if (done === undefined) return;
        setMessage({ ok: true, text: `The token ${what.token.name} no longer works.` });
      } else {
        const ended = await reauthentication.run(() =>
          api('POST', '/account/sessions/end-others', endedSessionsSchema, {
            body: { tokens: what.tokens },
          }),
        );
        if (ended === undefined) return;
        setMessage({
          ok: true,
          text: what.tokens
            ? `Ended ${plural(ended.sessions, 'other session', 'other sessions')} and ${plural(ended.tokens, 'token', 'tokens')}.`
            : `Ended ${plural(ended.sessions, 'other session', 'other sessions')}. Your API tokens still work.`,
        });
        setAlsoTokens(false);
      }
    } catch (error) {
      setMessage({ ok: false, text: describeProblem(error) });
    } finally {
      setBusy(false);
      setEnding(undefined);
      list.reload();
    }
  }

  const others = list.state === 'ready' ? list.data.sessions.filter((s) => !s.current).length : 0;
  return (
    <Stack gap="lg" maw={960}>
      {reauthentication.dialog}
      <Title order={2}>Your sessions</Title>
      <Text>
        Every browser signed in as you, and every API token of yours. If you do not recognise one, end it (you
        confirm it is you first) and{' '}
        <Anchor component={Link} to="/account">
          change your password
        </Anchor>
        .
      </Text>
      {message !== undefined && (
        <Alert color={message.ok ? 'alcove' : 'red'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </Alert>
      )}
      {list.state === 'loading' && <Loading what="your sessions" />}
      {list.state === 'failed' && <Failure error={list.error} />}
      {list.state === 'ready' && (
        <>
          <Card withBorder padding="lg" component="section" aria-labelledby="signed-in">
            <Stack>
              <Title order={3} size="h4" id="signed-in">
                Signed in
              </Title>
              <Table withTableBorder data-testid="sessions">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Browser</Table.Th>
                    <Table.Th>Address</Table.Th>
                    <Table.Th>Signed in</Table.Th>
                    <Table.Th>Last seen</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.data.sessions.map((session) => (
                    <Table.Tr key={session.id}>
                      <Table.Td>
                        {browserOf(session)}
                        {!session.signedIn && (
                          <Text size="sm" c="dimmed">
                            Still signing in
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>{session.address ?? 'Not known'}</Table.Td>
                      <Table.Td>{formatDateTime(session.createdAt)}</Table.Td>
                      <Table.Td>{formatDateTime(session.lastSeenAt)}</Table.Td>
                      <Table.Td>
                        {session.current ? (
                          <Badge variant="light">This session</Badge>
                        ) : (
                          <Button
                            size="xs"
                            variant="subtle"
                            color="red"
                            aria-label={`End the session of ${browserOf(session)} from ${session.address ?? 'an unknown address'}, signed in ${formatDateTime(session.createdAt)}`}
                            onClick={() => setEnding({ kind: 'session', session })}
                          >
                            End
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              <Checkbox
                label="Also end every API token of mine (scripts using them stop working)"
                checked={alsoTokens}
                onChange={(e) => setAlsoTokens(e.currentTarget.checked)}
              />
              <Group>
                <Button
                  color="red"
                  variant="light"
                  disabled={others === 0 && !(alsoTokens && list.data.tokens.length > 0)}
                  onClick={() => setEnding({ kind: 'others', tokens: alsoTokens })}
                >
                  End all other sessions
                </Button>
              </Group>
            </Stack>
          </Card>

          <Card withBorder padding="lg" component="section" aria-labelledby="api-tokens">
            <Stack>
              <Title order={3} size="h4" id="api-tokens">
                API tokens
              </Title>
              {list.data.tokens.length === 0 ? (
                <Text size="sm" c="dimmed">
                  You have no API tokens. Scripts are given one on{' '}
                  <Anchor component={Link} to="/account">
                    your account page
                  </Anchor>
                  .
                </Text>
              ) : (
                <TokenTable
                  testId="tokens"
                  tokens={list.data.tokens.map((token) => ({
                    ...token,
                    lastDay: token.expiresAt === null ? null : apiTokenLastDay(token.expiresAt),
                  }))}
                  action={{ label: 'End', ariaLabel: (token) => `End the token ${token.name}` }}
                  onEnd={(token) => {
                    const found = list.data.tokens.find((t) => t.id === token.id);
                    if (found !== undefined) setEnding({ kind: 'token', token: found });
                  }}
                />
              )}
            </Stack>
          </Card>
        </>
      )}

      <Modal.Root opened={ending !== undefined} onClose={() => setEnding(undefined)} centered>
        <Modal.Overlay />
        <Modal.Content>
          {/* A div, not a header: the page has one banner landmark, the app's own. */}
          <Modal.Header component="div">
            <Modal.Title fw={700}>
              {ending?.kind === 'others'
                ? 'End all other sessions?'
                : ending?.kind === 'token'
                  ? 'End this token?'
                  : 'End this session?'}
            </Modal.Title>
            <Modal.CloseButton aria-label="Close" />
          </Modal.Header>
          <Modal.Body>
            <Stack>
              <Text>
                {ending?.kind === 'session' &&
                  `${browserOf(ending.session)} from ${ending.session.address ?? 'an unknown address'}, signed in ${formatDateTime(ending.session.createdAt)}, is signed out at its next click.`}
                {ending?.kind === 'token' &&
                  `Scripts using the token ${ending.token.name} stop working at once. This cannot be undone: make a new token if one is needed.`}
                {ending?.kind === 'others' &&
                  (ending.tokens
                    ? 'Every other browser signed in as you is signed out, and every API token of yours stops working. This session stays signed in.'
                    : 'Every other browser signed in as you is signed out. This session stays signed in, and your API tokens keep working.')}
              </Text>
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setEnding(undefined)}>
                  Keep it
                </Button>
                <Button color="red" loading={busy} onClick={() => ending !== undefined && confirm(ending)}>
                  {ending?.kind === 'others' ? 'End them' : 'End it'}
                </Button>
              </Group>
            </Stack>
          </Modal.Body>
        </Modal.Content>
      </Modal.Root>
    </Stack>
  );
}

/** The way to this page from the account page. */
export function SessionsLink() {
  return (
    <Text>
      <Anchor component={Link} to="/account/sessions">
        Your sessions and tokens
      </Anchor>
      : where you are signed in, and ending any of them.
    </Text>
  );
}
