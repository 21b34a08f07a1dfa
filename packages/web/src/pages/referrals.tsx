import { formatDateTime, formatDay, londonDay, unreadableSchema } from '@alcove/core';
import {
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { IntegrityFailed, Sealed } from '../shell/integrity.tsx';
import { useApi } from '../use-api.ts';

const referralsSchema = z.object({
  referrals: z.array(
    z.object({
      id: z.string(),
      clientId: z.string(),
      writtenAt: z.string(),
      letter: z.string().nullable(),
      unreadable: unreadableSchema,
    }),
  ),
});
const dualSchema = z.object({
  dualRelationships: z.array(
    z.object({
      id: z.string(),
      declaredOn: z.string(),
      feesStopOn: z.string(),
      description: z.string().nullable(),
      unreadable: unreadableSchema,
      referralMade: z.boolean(),
    }),
  ),
});
const supervisorsSchema = z.object({ supervisors: z.array(z.object({ id: z.string(), name: z.string() })) });

type Participant = { clientId: string; label: string; name: string | null };

/** Referral letters (GT-21c) and dual relationships (GT-34, GT-35) on the case page. */
export function CaseReferrals({
  caseId,
  participants,
  onCaseChanged,
}: {
  caseId: string;
  participants: readonly Participant[];
  /** The case moved on (a declared dual relationship moves it to its ending). */
  onCaseChanged: () => void;
}) {
  const referrals = useApi(`/cases/${caseId}/referrals`, referralsSchema);
  const dual = useApi(`/cases/${caseId}/dual-relationships`, dualSchema);
  const supervisors = useApi('/supervision/supervisors', supervisorsSchema);
  const [clientId, setClientId] = useState<string | null>(
    participants.length === 1 ? (participants[0]?.clientId ?? null) : null,
  );
  const [to, setTo] = useState('');
  const [reason, setReason] = useState('');
  const [referralError, setReferralError] = useState<string | undefined>(undefined);
  const [declaring, setDeclaring] = useState(false);
  const [dualForm, setDualForm] = useState({
    declaredOn: londonDay(new Date()),
    description: '',
    supervisorId: null as string | null,
  });
  const [dualError, setDualError] = useState<string | undefined>(undefined);
  const who = (id: string) => {
    const p = participants.find((x) => x.clientId === id);
    return p === undefined ? 'a client' : `${p.label}${p.name === null ? '' : ` (${p.name})`}`;
  };
  const refer = async () => {
    setReferralError(undefined);
    try {
      await api('POST', `/cases/${caseId}/referrals`, z.object({ id: z.string() }), {
        body: { clientId, to, reason },
      });
      setTo('');
      setReason('');
      referrals.reload();
      dual.reload();
    } catch (e) {
      setReferralError(describeProblem(e));
    }
  };
  const declare = async () => {
    setDualError(undefined);
    try {
      await api('POST', `/cases/${caseId}/dual-relationships`, z.object({ id: z.string() }), {
        body: dualForm,
      });
      setDeclaring(false);
      dual.reload();
      onCaseChanged();
    } catch (e) {
      setDualError(describeProblem(e));
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="referrals-title">
      <Title order={3} size="h4" id="referrals-title" mb="xs">
        Referrals and dual relationships
      </Title>
      {dual.state === 'ready' &&
        dual.data.dualRelationships.map((d) => (
          <Alert
            key={d.id}
            color="caution"
            title={`Dual relationship declared on ${formatDay(d.declaredOn)} (GT-34, GT-35)`}
            mb="sm"
          >
            <Sealed
              value={d.description}
              unreadable={d.unreadable}
              shredded="Its description can no longer be read: its key was destroyed."
            >
              {(description) => <Text size="sm">{description}</Text>}
            </Sealed>
            <Text size="sm" mt={4}>
              Your supervisor was told. Fees stop from {formatDay(d.feesStopOn)}.{' '}
              {d.referralMade ? 'A referral has been written.' : 'A referral is still to be made.'}
            </Text>
          </Alert>
        ))}
      {referrals.state === 'ready' && referrals.data.referrals.length > 0 && (
        <Stack gap="xs" mb="sm">
          {referrals.data.referrals.map((r) => (
            <Group key={r.id} gap="sm">
              <Text size="sm">
                Referral for {who(r.clientId)}, written {formatDateTime(r.writtenAt)}
              </Text>
              {r.unreadable === 'tampered' ? (
                <IntegrityFailed />
              ) : r.letter === null ? (
                <Text size="sm" c="dimmed">
                  The letter can no longer be read: its key was destroyed.
                </Text>
              ) : (
                <Anchor size="sm" href={`/api/v1/cases/${caseId}/referrals/${r.id}/pdf`} download>
                  Download the letter (PDF)
                </Anchor>
              )}
            </Group>
          ))}
        </Stack>
      )}
      <Text size="sm" c="dimmed" mb="xs">
        A referral letter is written from the client’s own record (never another client’s), with their consent
        to release it (PG5-1).
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Select
          label="Refer"
          data={participants.map((p) => ({ value: p.clientId, label: who(p.clientId) }))}
          value={clientId}
          onChange={setClientId}
        />
        <TextInput label="To" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        <Textarea
          label="Reason"
          autosize
          minRows={1}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
        />
      </SimpleGrid>
      {referralError !== undefined && (
        <Alert color="red" role="alert" mt="sm">
          {referralError}
        </Alert>
      )}
      <Group mt="sm">
        <Button
          variant="default"
          disabled={clientId === null || to.trim() === '' || reason.trim() === ''}
          onClick={() => void refer()}
        >
          Write the referral letter
        </Button>
        {!declaring && (
          <Button variant="default" onClick={() => setDeclaring(true)}>
            Declare a dual relationship
          </Button>
        )}
      </Group>
      {declaring && (
        <Stack gap="xs" mt="sm" p="sm" bg="gray.0">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Declared on"
              type="date"
              value={dualForm.declaredOn}
              onChange={(e) => setDualForm({ ...dualForm, declaredOn: e.currentTarget.value })}
            />
            <Select
              label="Tell which supervisor"
              data={
                supervisors.state === 'ready'
                  ? supervisors.data.supervisors.map((s) => ({ value: s.id, label: s.name }))
                  : []
              }
              value={dualForm.supervisorId}
              onChange={(supervisorId) => setDualForm({ ...dualForm, supervisorId })}
            />
          </SimpleGrid>
          <Textarea
            label="What the other relationship is (no names: Partner A, Partner B)"
            autosize
            minRows={2}
            value={dualForm.description}
            onChange={(e) => setDualForm({ ...dualForm, description: e.currentTarget.value })}
          />
          {dualError !== undefined && (
            <Alert color="red" role="alert">
              {dualError}
            </Alert>
          )}
          <Group>
            <Button
              color="caution.8"
              onClick={() => void declare()}
              disabled={dualForm.supervisorId === null}
            >
              Declare it: tell the supervisor, stop fees, move to the ending
            </Button>
            <Button variant="subtle" onClick={() => setDeclaring(false)}>
              Cancel
            </Button>
          </Group>
        </Stack>
      )}
    </Card>
  );
}
