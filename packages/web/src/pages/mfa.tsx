import { mfaEnrolmentSchema, recoveryCodesSchema, signInResultSchema } from '@alcove/core';
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

function Frame({ title, children }: { title: string; children: React.ReactNode }) {
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

export function MfaPage() {
  const { session } = useSession();
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | undefined>(undefined);
  if (recoveryCodes !== undefined) return <RecoveryCodes codes={recoveryCodes} />;
  if (session === undefined) return <Loading what="your session" />;
  if (session === null) return <Navigate to="/sign-in" replace />;
  if (session.stage === 'active') return <Navigate to="/" replace />;
  return session.stage === 'mfa-enrol' ? <Enrol onDone={setRecoveryCodes} /> : <Challenge />;
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

function Enrol({ onDone }: { onDone: (codes: string[]) => void }) {
  const enrolment = useApi('/auth/mfa/enrolment', mfaEnrolmentSchema);
  const { refresh } = useSession();
  return (
    <Frame title="Set up your authenticator">
      <Text>
        Every staff account uses a second step to sign in. Scan this code with an authenticator app (for
        example one built into your phone or password manager), then type the six-digit code it shows.
      </Text>
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

function Challenge() {
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
            Type one of the recovery codes you saved when you set up your authenticator. Each works once.
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

export function RecoveryCodes({ codes, onContinue }: { codes: readonly string[]; onContinue?: () => void }) {
  const navigate = useNavigate();
  return (
    <Frame title="Save your recovery codes">
      <Text>
        If you lose your phone, each of these codes lets you sign in once. Keep them somewhere safe, away from
        your phone. They are shown only now.
      </Text>
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
