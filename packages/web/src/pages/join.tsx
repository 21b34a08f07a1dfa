import { formatDate, joinPreviewSchema, signInResultSchema } from '@alcove/core';
import { Alert, Anchor, Button, List, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { z } from 'zod';
import { api, describeProblem, setCsrfToken } from '../api.ts';
import { announceSessionChange, useSession } from '../session.tsx';
import { Loading } from '../shell/status.tsx';
import { useLinkPreview } from '../use-link-preview.ts';
import { Frame } from './mfa.tsx';
import { roleLabel, staffRoleWords } from './people.tsx';

type Preview = z.infer<typeof joinPreviewSchema>;

/**
 * Where a staff invitation lands: what the practice invites them to be, then a password (a
 * new account) or the current one (an account that exists, a supervisor of another
 * practice, say); then the authenticator pages take over.
 */
export function JoinPage() {
  const { token, preview, error: previewError } = useLinkPreview('/people/join/preview', joinPreviewSchema);

  return (
    <Frame title="Join a practice in Alcove">
      {token.length < 20 ? (
        <Alert color="red" role="alert" title="This page needs your invitation link">
          Open the whole link you were given again, or ask the practice for a new invitation.
        </Alert>
      ) : previewError !== undefined ? (
        <>
          <Alert color="red" role="alert" title="This invitation cannot be used">
            {previewError} Ask the practice’s administrator for a new invitation.
          </Alert>
          <Anchor component={Link} to="/sign-in">
            Go to sign in
          </Anchor>
        </>
      ) : preview === undefined ? (
        <Loading what="your invitation" />
      ) : (
        <JoinForm token={token} preview={preview} />
      )}
    </Frame>
  );
}

function JoinForm({ token, preview }: { token: string; preview: Preview }) {
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState(preview.name);
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const existing = preview.existingAccount;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!existing && password !== again) {
      setError('The two passwords are not the same.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const result = await api('POST', '/people/join', signInResultSchema, {
        body: existing ? { token, password } : { token, name: name.trim(), password },
      });
      setCsrfToken(result.csrfToken);
      // The token is spent: it leaves the address bar and the history entry.
      window.history.replaceState(null, '', window.location.pathname);
      announceSessionChange();
      await refresh();
      await navigate('/sign-in/code', { replace: true });
    } catch (e) {
      setError(describeProblem(e));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text>
          <strong>{preview.practiceName}</strong> invites you to join it in Alcove, as:
        </Text>
        <List spacing="xs" size="sm">
          {preview.roles.map((role) => (
            <List.Item key={role}>
              <strong>{roleLabel(role)}</strong>
              {role in staffRoleWords ? ` — ${staffRoleWords[role as keyof typeof staffRoleWords].sees}` : ''}
            </List.Item>
          ))}
        </List>
        <Text size="sm" c="dimmed">
          This invitation works once, until {formatDate(preview.expiresAt)}.
        </Text>
        {error !== undefined && (
          <Alert color="red" role="alert" title="Not yet">
            {error}
          </Alert>
        )}
        {existing ? (
          <>
            <Text>
              You already have an Alcove account with this e-mail address. Enter its password to add this
              practice to it; you then confirm with your authenticator as usual.
            </Text>
            <PasswordInput
              label="Your current password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
          </>
        ) : (
          <>
            <TextInput
              label="Your name"
              description="As your colleagues will see it."
              autoComplete="name"
              required
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
            />
            <PasswordInput
              label="Choose a password"
              description="At least 12 characters, and not one found on lists of breached passwords. A few unrelated words work well."
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
            <Text size="sm" c="dimmed">
              Next you set up an authenticator app: every staff account signs in with a code from one.
            </Text>
          </>
        )}
        <Button type="submit" loading={busy} disabled={password === '' || (!existing && name.trim() === '')}>
          {existing ? 'Join with my account' : 'Create my account'}
        </Button>
      </Stack>
    </form>
  );
}
