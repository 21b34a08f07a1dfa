import {
  API_TOKEN_DEFAULT_DAYS,
  API_TOKEN_MAX_DAYS,
  type ApiTokenScope,
  addDays,
  apiTokenSummarySchema,
  createdApiTokenSchema,
  dayOf,
  formatDay,
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
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { useSession } from '../session.tsx';
import { useReauthentication } from '../shell/reauthenticate.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { scopeLabels, TokenTable } from '../shell/token-table.tsx';
import { useApi } from '../use-api.ts';
import { SessionsLink } from './sessions.tsx';

export function AccountPage() {
  const { session } = useSession();
  return (
    <Stack gap="lg" maw={880}>
      <Title order={2}>Your account</Title>
      {session != null && <Text>Signed in as {session.user.name}.</Text>}
      <SessionsLink />
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
  const reauthentication = useReauthentication();
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="recovery">
      {reauthentication.dialog}
      <Stack>
        <Title order={3} size="h4" id="recovery">
          Recovery codes
        </Title>
        <Text size="sm">
          {left} unused recovery code{left === 1 ? '' : 's'} left. Making new ones stops the old ones working;
          you confirm it is you first.
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
              setError(undefined);
              try {
                const made = await reauthentication.run(() =>
                  api('POST', '/account/recovery-codes', recoveryCodesSchema, { body: {} }),
                );
                if (made === undefined) return;
                setCodes(made.recoveryCodes);
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

const lengths = [
  '7',
  '30',
  String(API_TOKEN_DEFAULT_DAYS),
  '180',
  String(API_TOKEN_MAX_DAYS),
  'day',
] as const;

function ApiTokens() {
  const tokens = useApi('/account/tokens', tokensSchema);
  const reauthentication = useReauthentication();
  const [name, setName] = useState('');
  const [scope, setScope] = useState<ApiTokenScope>('read');
  const [length, setLength] = useState<string>(String(API_TOKEN_DEFAULT_DAYS));
  const [lastDay, setLastDay] = useState('');
  const [created, setCreated] = useState<{ token: string; lastDay: string } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const today = dayOf(new Date());
  async function create(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    const lasts = length === 'day' ? { lastDay } : { days: Number(length) };
    try {
      const result = await reauthentication.run(() =>
        api('POST', '/account/tokens', createdApiTokenSchema, { body: { name, scope, ...lasts } }),
      );
      if (result === undefined) return;
      setCreated({ token: result.token, lastDay: result.lastDay });
      setName('');
      tokens.reload();
    } catch (e) {
      setError(describeProblem(e));
    }
  }
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="tokens">
      {reauthentication.dialog}
      <Stack>
        <Title order={3} size="h4" id="tokens">
          API tokens
        </Title>
        <Text size="sm" c="dimmed">
          For scripts that use the Alcove API as you, in this practice. Anyone holding a read-and-change token
          can do what you can: give a script only what it needs, and revoke a token you no longer use. A token
          lasts at most {API_TOKEN_MAX_DAYS} days, and ends when your password changes. You confirm it is you
          before making one.
        </Text>
        {error !== undefined && <Alert color="red">{error}</Alert>}
        {created !== undefined && (
          <Alert color="yellow" title="Copy this token now: it is not shown again">
            <Code block data-testid="new-token">
              {created.token}
            </Code>
            <Text size="sm" mt="xs">
              It works until the end of {formatDay(created.lastDay)}.
            </Text>
          </Alert>
        )}
        {tokens.state === 'loading' && <Loading what="your tokens" />}
        {tokens.state === 'failed' && <Failure error={tokens.error} />}
        {tokens.state === 'ready' && tokens.data.tokens.length > 0 && (
          <TokenTable
            tokens={tokens.data.tokens}
            action={{ label: 'Revoke', ariaLabel: (token) => `Revoke ${token.name}` }}
            onEnd={async (token) => {
              // Revoking needs a recent re-authentication too (V7.5.2).
              await reauthentication
                .run(() => api('DELETE', `/account/tokens/${token.id}`, z.null()))
                .catch((e: unknown) => setError(describeProblem(e)));
              tokens.reload();
            }}
          />
        )}
        <form onSubmit={create} noValidate>
          <Group align="flex-end">
            <TextInput
              label="New token’s name"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
            />
            <Select
              label="Access"
              data={(['read', 'read-write'] as const).map((value) => ({ value, label: scopeLabels[value] }))}
              value={scope}
              onChange={(value) => setScope(value === 'read-write' ? 'read-write' : 'read')}
              allowDeselect={false}
            />
            <Select
              label="Lasts"
              data={lengths.map((value) => ({
                value,
                label:
                  value === 'day'
                    ? 'Until a day I choose'
                    : `${value} days (to ${formatDay(addDays(today, Number(value)))})`,
              }))}
              value={length}
              onChange={(value) => setLength(value ?? String(API_TOKEN_DEFAULT_DAYS))}
              allowDeselect={false}
            />
            {length === 'day' && (
              <TextInput
                type="date"
                label="Last day"
                min={today}
                max={addDays(today, API_TOKEN_MAX_DAYS)}
                value={lastDay}
                onChange={(e) => setLastDay(e.currentTarget.value)}
              />
            )}
            <Button type="submit" variant="default">
              Create token
            </Button>
          </Group>
        </form>
      </Stack>
    </Card>
  );
}
