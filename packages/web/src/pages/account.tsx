import {
  apiTokenSummarySchema,
  createdApiTokenSchema,
  formatDateTime,
  recoveryCodesSchema,
} from '@alcove/core';
import {
  Alert,
  Button,
  Card,
  Code,
  Group,
  List,
  PasswordInput,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { useSession } from '../session.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

export function AccountPage() {
  const { session } = useSession();
  return (
    <Stack gap="lg" maw={880}>
      <Title order={2}>Your account</Title>
      {session != null && <Text>Signed in as {session.user.name}.</Text>}
      <ChangePassword />
      <RecoveryCodesCard left={session?.recoveryCodesLeft ?? 0} />
      <ApiTokens />
    </Stack>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setMessage(undefined);
    try {
      await api('POST', '/account/password', z.null(), {
        body: { currentPassword: current, newPassword: next },
      });
      setMessage({
        ok: true,
        text: 'Your password is changed. Any other session of yours has been signed out.',
      });
      setCurrent('');
      setNext('');
    } catch (error) {
      setMessage({ ok: false, text: describeProblem(error) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="password">
      <form onSubmit={submit} noValidate>
        <Stack>
          <Title order={3} size="h4" id="password">
            Password
          </Title>
          <Text size="sm" c="dimmed">
            At least 12 characters. A few unrelated words make a good one. Common passwords are refused.
          </Text>
          {message !== undefined && (
            <Alert color={message.ok ? 'alcove' : 'red'} role={message.ok ? 'status' : 'alert'}>
              {message.text}
            </Alert>
          )}
          <PasswordInput
            label="Current password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.currentTarget.value)}
          />
          <PasswordInput
            label="New password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.currentTarget.value)}
          />
          <Group>
            <Button type="submit" loading={busy}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function RecoveryCodesCard({ left }: { left: number }) {
  const { refresh } = useSession();
  const [codes, setCodes] = useState<string[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="recovery">
      <Stack>
        <Title order={3} size="h4" id="recovery">
          Recovery codes
        </Title>
        <Text size="sm">
          {left} unused recovery code{left === 1 ? '' : 's'} left. Making new ones stops the old ones working.
        </Text>
        {error !== undefined && <Alert color="red">{error}</Alert>}
        {codes !== undefined && (
          <Alert color="yellow" title="Save these now: they are not shown again">
            <List spacing={2} data-testid="new-recovery-codes">
              {codes.map((code) => (
                <List.Item key={code}>
                  <Code>{code}</Code>
                </List.Item>
              ))}
            </List>
          </Alert>
        )}
        <Group>
          <Button
            variant="default"
            onClick={async () => {
              try {
                setCodes(
                  (await api('POST', '/account/recovery-codes', recoveryCodesSchema, { body: {} }))
                    .recoveryCodes,
                );
                await refresh();
              } catch (e) {
                setError(describeProblem(e));
              }
            }}
          >
            Make new recovery codes
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

const tokensSchema = z.object({ tokens: z.array(apiTokenSummarySchema) });

function ApiTokens() {
  const tokens = useApi('/account/tokens', tokensSchema);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  async function create(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      const result = await api('POST', '/account/tokens', createdApiTokenSchema, { body: { name } });
      setCreated(result.token);
      setName('');
      tokens.reload();
    } catch (e) {
      setError(describeProblem(e));
    }
  }
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="tokens">
      <Stack>
        <Title order={3} size="h4" id="tokens">
          API tokens
        </Title>
        <Text size="sm" c="dimmed">
          For scripts that use the Alcove API as you. Anyone holding a token can do what you can: revoke one
          you no longer use.
        </Text>
        {error !== undefined && <Alert color="red">{error}</Alert>}
        {created !== undefined && (
          <Alert color="yellow" title="Copy this token now: it is not shown again">
            <Code block data-testid="new-token">
              {created}
            </Code>
          </Alert>
        )}
        {tokens.state === 'loading' && <Loading what="your tokens" />}
        {tokens.state === 'failed' && <Failure error={tokens.error} />}
        {tokens.state === 'ready' && tokens.data.tokens.length > 0 && (
          <Table withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tokens.data.tokens.map((token) => (
                <Table.Tr key={token.id}>
                  <Table.Td>{token.name}</Table.Td>
                  <Table.Td>{formatDateTime(token.createdAt)}</Table.Td>
                  <Table.Td>
                    {token.lastUsedAt === null ? 'Never' : formatDateTime(token.lastUsedAt)}
                  </Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      aria-label={`Revoke ${token.name}`}
                      onClick={async () => {
                        await api('DELETE', `/account/tokens/${token.id}`, z.null()).catch((e: unknown) =>
                          setError(describeProblem(e)),
                        );
                        tokens.reload();
                      }}
                    >
                      Revoke
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <form onSubmit={create} noValidate>
          <Group align="flex-end">
            <TextInput
              label="New token’s name"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
            />
            <Button type="submit" variant="default">
              Create token
            </Button>
          </Group>
        </form>
      </Stack>
    </Card>
  );
}
