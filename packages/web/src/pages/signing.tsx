import { Alert, Button, Card, Center, Checkbox, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

const signingSchema = z.object({
  participants: z.array(z.object({ clientId: z.string(), label: z.string(), name: z.string().nullable() })),
  contract: z
    .object({
      id: z.string(),
      version: z.number(),
      text: z.string(),
      textHash: z.string(),
      conditions: z.string().nullable(),
      signatures: z.array(z.object({ signerKind: z.string(), signerId: z.string() })),
    })
    .nullable(),
});

/**
 * The signing screen a practitioner hands to a client in the room: the contract, the
 * organisation's conditions where there are any, and one button. Nothing else of the
 * record, no navigation, and no other client's details.
 */
export function SigningPage() {
  const { caseId = '', clientId = '' } = useParams();
  const theCase = useApi(`/cases/${caseId}`, signingSchema);
  const [acknowledged, setAcknowledged] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState(false);
  if (theCase.state === 'loading') return <Loading what="the contract" />;
  if (theCase.state === 'failed') return <Failure error={theCase.error} />;
  const { contract, participants } = theCase.data;
  const me = participants.find((p) => p.clientId === clientId);
  const sign = async () => {
    if (contract === null) return;
    setError(undefined);
    try {
      await api('POST', `/cases/${caseId}/contracts/${contract.id}/signatures`, z.null(), {
        body: {
          signer: { kind: 'client', clientId },
          textHash: contract.textHash,
          ...(contract.conditions === null ? {} : { acknowledgedConditions: acknowledged }),
        },
      });
      setDone(true);
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const signedAlready =
    contract?.signatures.some((s) => s.signerKind === 'client' && s.signerId === clientId) === true;
  return (
    <Center p="md" bg="gray.0" mih="100vh">
      <Card withBorder padding="xl" w={760} maw="100%" component="main">
        <Stack>
          <Title order={1} size="h2">
            Your therapy contract
          </Title>
          {me === undefined || contract === null ? (
            <Alert color="red" role="alert">
              There is no contract for this person to sign here.
            </Alert>
          ) : done || signedAlready ? (
            <>
              <Alert color="alcove" title="Signed" role="status">
                Thank you{me.name === null ? '' : `, ${me.name}`}. Please hand this device back to your
                therapist.
              </Alert>
              <Button component={Link} to={`/cases/${caseId}`} variant="default">
                Back to the case (for the practitioner)
              </Button>
            </>
          ) : (
            <>
              <Text>
                {me.name ?? me.label}, please read your contract (version {contract.version}). Sign it only if
                you agree.
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
          )}
        </Stack>
      </Card>
    </Center>
  );
}
