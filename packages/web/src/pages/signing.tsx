import { kioskContractSchema } from '@alcove/core';
import {
  Alert,
  Button,
  Card,
  Center,
  Checkbox,
  Divider,
  Group,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, type ReactNode, useState } from 'react';
import { Navigate, useParams } from 'react-router';
import { z } from 'zod';
import { api, describeProblem, setCsrfToken } from '../api.ts';
import { announceSessionChange, useSession } from '../session.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

/**
 * The signing screen a practitioner hands to a client in the room (the kiosk). It exists only
 * while the session is locked to it; otherwise its address is the case's. It shows the
 * contract, the organisation's conditions where there are any, one button, and the form the
 * practitioner uses to take the device back. No navigation, and nothing else of the record.
 */
export function SigningPage() {
  const { caseId = '' } = useParams();
  const { session } = useSession();
  if (session === undefined) return <Loading what="your session" />;
  if (session === null || session.kiosk === null) return <Navigate to={`/cases/${caseId}`} replace />;
  return <SigningScreen />;
}

function SigningScreen() {
  const view = useApi('/session/kiosk', kioskContractSchema);
  const [acknowledged, setAcknowledged] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState(false);

  let body: ReactNode;
  if (view.state === 'loading') body = <Loading what="the contract" />;
  else if (view.state === 'failed') body = <Failure error={view.error} />;
  else {
    const { contract, signer, signed } = view.data;
    const sign = async () => {
      setError(undefined);
      try {
        await api('POST', '/session/kiosk/signature', z.null(), {
          body: {
            textHash: contract.textHash,
            ...(contract.conditions === null ? {} : { acknowledgedConditions: acknowledged }),
          },
        });
        setDone(true);
      } catch (e) {
        setError(describeProblem(e));
      }
    };
    body =
      done || signed ? (
        <Alert color="alcove" title="Signed" role="status">
          Thank you{signer.name === null ? '' : `, ${signer.name}`}. Please hand this device back to your
          therapist.
        </Alert>
      ) : (
        <>
          <Text>
            {signer.name ?? signer.label}, please read your contract (version {contract.version}). Sign it
            only if you agree.
          </Text>
          <Text style={{ whiteSpace: 'pre-wrap' }} bg="gray.0" p="md">
            {contract.text}
          </Text>
          {contract.conditions !== null && (
            <Alert color="blue" title="The organisation’s conditions">
              <Text style={{ whiteSpace: 'pre-wrap' }}>{contract.conditions}</Text>
            </Alert>
          )}
          {contract.conditions !== null && (
            <Checkbox
              label="I have read the organisation’s conditions and understand them"
              checked={acknowledged}
              onChange={(e) => setAcknowledged(e.currentTarget.checked)}
            />
          )}
          {error !== undefined && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button onClick={() => void sign()} disabled={contract.conditions !== null && !acknowledged}>
            I agree to this contract and sign it
          </Button>
        </>
      );
  }

  return (
    <Center p="md" bg="gray.0" mih="100vh">
      <Card withBorder padding="xl" w={760} maw="100%" component="main">
        <Stack>
          <Title order={1} size="h2">
            Your therapy contract
          </Title>
          {body}
          <Divider my="sm" />
          <ReturnToPractitioner />
        </Stack>
      </Card>
    </Center>
  );
}

/**
 * The way off the signing screen: the practitioner's password and a current code from their
 * authenticator, both. Too many wrong attempts end the session (the device shows the sign-in
 * page); so does "End my session".
 */
function ReturnToPractitioner() {
  const { refresh, signOut } = useSession();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await api('POST', '/session/kiosk/end', z.object({ csrfToken: z.string() }), {
        body: { password, code: code.trim() },
      });
      setCsrfToken(result.csrfToken);
      announceSessionChange();
      // Unlocked, this address is the case's again: the signing page sends the practitioner there.
      await refresh();
    } catch (problem) {
      setError(describeProblem(problem));
      setPassword('');
      setCode('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby="return-title">
      <Stack gap="sm">
        <Title order={2} size="h4" id="return-title">
          Return to the practitioner
        </Title>
        <Text size="sm" c="dimmed">
          For your therapist: enter your password and the code from your authenticator app to leave this
          screen. “End my session” signs you out instead.
        </Text>
        {error !== undefined && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <TextInput
          label="Practitioner’s password"
          type="password"
          // The device is in a client's hands: no browser should offer to fill the password here.
          autoComplete="off"
          required
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        <TextInput
          label="Six-digit code"
          inputMode="numeric"
          autoComplete="off"
          required
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
        />
        <Group>
          <Button type="submit" loading={busy}>
            Return to the practitioner
          </Button>
          <Button variant="default" onClick={() => void signOut()}>
            End my session
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
