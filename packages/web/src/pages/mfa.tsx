import { mfaEnrolmentSchema, recoveryCodesSchema, type SessionInfo, signInResultSchema } from '@alcove/core';
import {
  Alert,
  Anchor,
  Button,
  Card,
  Center,
  Code,
  Group,
  Image,
  List,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { z } from 'zod';
import { api, describeProblem, setCsrfToken } from '../api.ts';
import { useSession } from '../session.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

const enrolResultSchema = recoveryCodesSchema.extend({ csrfToken: z.string() });

/** A page of its own, outside the shell: signing in, joining, choosing a practice. */
export function Frame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Card withBorder padding="xl" w={480} maw="100%" component="main">
        <Stack>
          <Title order={1} size="h2">
            {title}
          </Title>
          {children}
        </Stack>
      </Card>
    </Center>
  );
}

/**
 * Whether the account is a client's (or an appropriate adult's) portal account, so that the
 * pages speak to a client. Before the second factor the session's roles are its roles in the
 * session's practice: they say whose account it is, and open nothing.
 */
export function isPortalAccount(session: SessionInfo): boolean {
  const { roles } = session;
  return roles.length > 0 && roles.every((r) => r === 'client' || r === 'appropriate-adult');
}

export function MfaPage() {
  const { session } = useSession();
  const [recoveryCodes, setRecoveryCodes] = useState<{ codes: string[]; forClient: boolean } | undefined>(
    undefined,
  );
  if (recoveryCodes !== undefined)
    return <RecoveryCodes codes={recoveryCodes.codes} forClient={recoveryCodes.forClient} />;
  if (session === undefined) return <Loading what="your session" />;
  if (session === null) return <Navigate to="/sign-in" replace />;
  if (session.stage === 'active') return <Navigate to="/" replace />;
  const forClient = isPortalAccount(session);
  return session.stage === 'mfa-enrol' ? (
    <Enrol forClient={forClient} onDone={(codes) => setRecoveryCodes({ codes, forClient })} />
  ) : (
    <Challenge forClient={forClient} />
  );
}

function CodeForm({
  label,
  onSubmit,
  submitLabel,
}: {
  label: string;
  onSubmit: (code: string) => Promise<void>;
  submitLabel: string;
}) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onSubmit(code.trim());
    } catch (problem) {
      setError(describeProblem(problem));
      setCode('');
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {error !== undefined && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <TextInput
          label={label}
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
          autoComplete="one-time-code"
          required
        />
        <Button type="submit" loading={busy}>
          {submitLabel}
        </Button>
      </Stack>
    </form>
  );
}

function Enrol({ forClient, onDone }: { forClient: boolean; onDone: (codes: string[]) => void }) {
  const enrolment = useApi('/auth/mfa/enrolment', mfaEnrolmentSchema);
  const { refresh } = useSession();
  return (
    <Frame title={forClient ? 'Keep your portal yours alone' : 'Set up your authenticator'}>
      {forClient ? (
        <>
          <Text>
            Your portal holds what is between you and your therapist: your contract, your consents and what
            you share with them. So that only you can open it, signing in takes two steps: your password, and
            a six-digit code from an authenticator app on your phone.
          </Text>
          <Text>
            An authenticator app is a free app that shows a new six-digit code every 30 seconds. Your phone
            may have one built in (with its saved passwords), or you can install one such as Google
            Authenticator or Microsoft Authenticator. Then:
          </Text>
          <List type="ordered" spacing={4}>
            <List.Item>
              In the app, choose to add an account, and point your phone’s camera at the square code below.
            </List.Item>
            <List.Item>Type the six-digit code the app then shows for Alcove.</List.Item>
          </List>
        </>
      ) : (
        <Text>
          Every staff account uses a second step to sign in. Scan this code with an authenticator app (for
          example one built into your phone or password manager), then type the six-digit code it shows.
        </Text>
      )}
      {enrolment.state === 'loading' && <Loading what="your authenticator code" />}
      {enrolment.state === 'failed' && <Failure error={enrolment.error} />}
      {enrolment.state === 'ready' && (
        <>
          <Image
            src={`data:image/svg+xml;base64,${btoa(enrolment.data.qrSvg)}`}
            alt="QR code to add Alcove to an authenticator app"
            w={200}
            h={200}
            mx="auto"
          />
          <Text size="sm">
            Cannot scan? Enter this key instead:{' '}
            <Code data-testid="totp-secret">{enrolment.data.secret}</Code>
          </Text>
          <CodeForm
            label="Six-digit code"
            submitLabel="Confirm"
            onSubmit={async (code) => {
              const result = await api('POST', '/auth/mfa/enrol', enrolResultSchema, { body: { code } });
              setCsrfToken(result.csrfToken);
              onDone(result.recoveryCodes);
              await refresh();
            }}
          />
        </>
      )}
    </Frame>
  );
}

function Challenge({ forClient }: { forClient: boolean }) {
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [useRecovery, setUseRecovery] = useState(false);
  const finish = async (body: { code: string } | { recoveryCode: string }) => {
    const result = await api('POST', '/auth/mfa/challenge', signInResultSchema, { body });
    setCsrfToken(result.csrfToken);
    await refresh();
    await navigate('/');
  };
  return (
    <Frame title="Enter your code">
      {useRecovery ? (
        <>
          <Text>
            Type one of the recovery codes you saved when you set up{' '}
            {forClient ? 'your portal' : 'your authenticator'}. Each works once.
          </Text>
          <CodeForm
            label="Recovery code"
            submitLabel="Sign in"
            onSubmit={(recoveryCode) => finish({ recoveryCode })}
          />
        </>
      ) : (
        <>
          <Text>Open your authenticator app and type the six-digit code it shows for Alcove.</Text>
          <CodeForm label="Six-digit code" submitLabel="Sign in" onSubmit={(code) => finish({ code })} />
        </>
      )}
      <Anchor component="button" type="button" onClick={() => setUseRecovery((v) => !v)}>
        {useRecovery ? 'Use the authenticator code instead' : 'Lost your phone? Use a recovery code'}
      </Anchor>
    </Frame>
  );
}

export function RecoveryCodes({
  codes,
  onContinue,
  forClient = false,
}: {
  codes: readonly string[];
  onContinue?: () => void;
  forClient?: boolean;
}) {
  const navigate = useNavigate();
  return (
    <Frame title="Save your recovery codes">
      {forClient ? (
        <Text>
          If you lose your phone, each of these codes opens your portal once instead of the app’s code. Write
          them down or print them, and keep them somewhere private that only you can reach — not on your
          phone. They are shown only now.
        </Text>
      ) : (
        <Text>
          If you lose your phone, each of these codes lets you sign in once. Keep them somewhere safe, away
          from your phone. They are shown only now.
        </Text>
      )}
      <List spacing={4} data-testid="recovery-codes" type="ordered">
        {codes.map((code) => (
          <List.Item key={code}>
            <Code>{code}</Code>
          </List.Item>
        ))}
      </List>
      <Group>
        <Button onClick={() => (onContinue === undefined ? navigate('/') : onContinue())}>
          I have saved them
        </Button>
      </Group>
    </Frame>
  );
}
