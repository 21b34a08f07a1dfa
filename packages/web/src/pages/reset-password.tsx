import {
  formatDateTime,
  PASSWORD_RESET_REQUESTED,
  passwordResetPreviewSchema,
  passwordResetRequestedSchema,
  signInResultSchema,
} from '@alcove/core';
import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, describeProblem, setCsrfToken } from '../api.ts';
import { announceSessionChange, useSession } from '../session.tsx';
import { Loading } from '../shell/status.tsx';
import { useLinkPreview } from '../use-link-preview.ts';
import { Frame } from './mfa.tsx';

/**
 * "Forgot your password?" (issue 16, ASVS V6.4.3): asks for the address and always says the
 * same thing, whether or not an account has it, so the page tells nobody who has one.
 */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api('POST', '/auth/password-reset/request', passwordResetRequestedSchema, {
        body: { email: email.trim() },
      });
      setSaid(answer.message);
    } catch (e) {
      setError(describeProblem(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Frame title="Forgot your password?">
      {said !== undefined ? (
        <>
          <Alert color="alcove" role="status" title="Asked">
            {said}
          </Alert>
          <Text size="sm" c="dimmed">
            The link works once, for an hour. You will still need the code from your authenticator app.
          </Text>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm">Give the e-mail address you sign in with. {PASSWORD_RESET_REQUESTED}</Text>
            {error !== undefined && (
              <Alert color="red" role="alert" title="Not asked">
                {error}
              </Alert>
            )}
            <TextInput
              label="E-mail address"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy} disabled={email.trim() === ''}>
              Send me a link
            </Button>
          </Stack>
        </form>
      )}
      <Anchor component={Link} to="/sign-in">
        Back to sign in
      </Anchor>
    </Frame>
  );
}

/**
 * Where a password reset link lands: a new password, then the authenticator pages take
 * over, exactly as after a password at sign-in. The second factor is never passed by.
 */
export function ResetPasswordPage() {
  const {
    token,
    preview,
    error: previewError,
  } = useLinkPreview('/auth/password-reset/preview', passwordResetPreviewSchema);
  const expiresAt = preview?.expiresAt;

  return (
    <Frame title="Choose a new password">
      {token.length < 20 ? (
        <Alert color="red" role="alert" title="This page needs your reset link">
          Open the whole link you were given again, or ask for a new one.
        </Alert>
      ) : previewError !== undefined ? (
        <Alert color="red" role="alert" title="This link cannot be used">
          {previewError}
        </Alert>
      ) : expiresAt === undefined ? (
        <Loading what="your link" />
      ) : (
        <ResetForm token={token} expiresAt={expiresAt} />
      )}
      <Anchor component={Link} to="/forgot-password">
        Ask for a new link
      </Anchor>
    </Frame>
  );
}

function ResetForm({ token, expiresAt }: { token: string; expiresAt: string }) {
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password !== again) {
      setError('The two passwords are not the same.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const result = await api('POST', '/auth/password-reset', signInResultSchema, {
        body: { token, password },
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
        <Text size="sm" c="dimmed">
          This link works once, until {formatDateTime(expiresAt)} (UK time). Every browser and API token
          signed in to your account is signed out when the new password is set.
        </Text>
        {error !== undefined && (
          <Alert color="red" role="alert" title="Not yet">
            {error}
          </Alert>
        )}
        <PasswordInput
          label="New password"
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
        <Text size="sm">Next you give the code from your authenticator app, as when you sign in.</Text>
        <Button type="submit" loading={busy} disabled={password === ''}>
          Set my new password
        </Button>
      </Stack>
    </form>
  );
}
