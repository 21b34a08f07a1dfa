import { formatDate, formatDateTime, type ProblemDocument } from '@alcove/core';
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useParams } from 'react-router';
import { z } from 'zod';
import { ApiProblem, api, describeProblem } from '../api.ts';
import { RefusalAlert } from '../shell/refusal.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

const caseSchema = z.object({
  id: z.string(),
  kind: z.string(),
  participants: z.array(
    z.object({ id: z.string(), clientId: z.string(), label: z.string(), name: z.string().nullable() }),
  ),
  contract: z
    .object({
      id: z.string(),
      version: z.number(),
      text: z.string(),
      textHash: z.string(),
      createdAt: z.string(),
      signedByAll: z.boolean(),
      signatures: z.array(
        z.object({ signerKind: z.string(), signerId: z.string(), mode: z.string(), signedAt: z.string() }),
      ),
    })
    .nullable(),
  sessions: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      format: z.string(),
      startsAt: z.string(),
      minutes: z.number(),
      attendance: z.string(),
      overrideReason: z.string().nullable(),
    }),
  ),
});

export function CasePage() {
  const { caseId = '' } = useParams();
  const theCase = useApi(`/cases/${caseId}`, caseSchema);
  if (theCase.state === 'loading') return <Loading what="the case" />;
  if (theCase.state === 'failed') return <Failure error={theCase.error} />;
  const c = theCase.data;
  const names = c.participants.map((p) => `${p.label}: ${p.name ?? 'details destroyed'}`).join(' · ');
  return (
    <Stack gap="lg" maw={1000}>
      <Title order={2}>
        {c.kind === 'couple' ? 'Couple case' : c.kind === 'individual' ? 'Individual case' : `${c.kind} case`}
      </Title>
      <Text>{names}</Text>
      <Contract
        caseId={c.id}
        contract={c.contract}
        participants={c.participants}
        onChanged={theCase.reload}
      />
      <Sessions caseId={c.id} sessions={c.sessions} onChanged={theCase.reload} />
    </Stack>
  );
}

type Case = z.infer<typeof caseSchema>;

function Contract({
  caseId,
  contract,
  participants,
  onChanged,
}: {
  caseId: string;
  contract: Case['contract'];
  participants: Case['participants'];
  onChanged: () => void;
}) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const signed = (kind: string, id?: string) =>
    contract?.signatures.find((s) => s.signerKind === kind && (id === undefined || s.signerId === id));
  const sign = async (signer: unknown) => {
    if (contract === null) return;
    setError(undefined);
    try {
      await api('POST', `/cases/${caseId}/contracts/${contract.id}/signatures`, z.null(), {
        body: { signer, textHash: contract.textHash },
      });
      onChanged();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const write = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      await api('POST', `/cases/${caseId}/contracts`, z.object({ id: z.string() }), { body: { text } });
      setText('');
      onChanged();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const parties = [
    {
      key: 'practitioner',
      label: 'You, the practitioner',
      signer: { kind: 'practitioner' as const },
      done: signed('practitioner'),
    },
    ...participants.map((p) => ({
      key: p.clientId,
      label: `${p.label}${p.name === null ? '' : ` (${p.name})`}`,
      signer: { kind: 'client' as const, clientId: p.clientId },
      done: signed('client', p.clientId),
    })),
  ];
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="contract-title">
      <Title order={3} size="h4" id="contract-title" mb="sm">
        Therapy contract (GT-36)
      </Title>
      {contract === null ? (
        <Text c="dimmed" size="sm" mb="sm">
          No contract yet. Therapy sessions cannot be recorded until one is agreed; assessment sessions can.
        </Text>
      ) : (
        <Stack gap="sm" mb="md">
          <Group gap="xs">
            <Text fw={600}>Version {contract.version}</Text>
            <Text size="sm" c="dimmed">
              written {formatDate(contract.createdAt)}
            </Text>
            <Badge color={contract.signedByAll ? 'alcove' : 'orange.3'} variant="filled" autoContrast>
              {contract.signedByAll ? 'Signed by everyone' : 'Waiting for signatures'}
            </Badge>
          </Group>
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} bg="gray.0" p="sm">
            {contract.text}
          </Text>
          <Table withTableBorder>
            <Table.Tbody>
              {parties.map((party) => (
                <Table.Tr key={party.key}>
                  <Table.Td>{party.label}</Table.Td>
                  <Table.Td>
                    {party.done === undefined ? (
                      <Button size="compact-sm" variant="light" onClick={() => sign(party.signer)}>
                        Signed in person now
                      </Button>
                    ) : (
                      <Text size="sm">
                        Signed {formatDateTime(party.done.signedAt)} ({party.done.mode})
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Text size="xs" c="dimmed">
            Each signature keeps the SHA-256 of this exact text. Changing the contract makes a new version
            that everyone signs again.
          </Text>
        </Stack>
      )}
      {error !== undefined && (
        <Alert color="red" role="alert" mb="sm">
          {error}
        </Alert>
      )}
      <form onSubmit={write}>
        <Textarea
          label={contract === null ? 'Write the contract' : 'Write a new version'}
          description="Rights and responsibilities, aims, how and when therapy ends, the limits of confidentiality, fees and cancellations."
          minRows={4}
          autosize
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
        />
        <Button
          type="submit"
          mt="sm"
          variant={contract === null ? 'filled' : 'default'}
          disabled={text.trim().length < 20}
        >
          {contract === null ? 'Save the contract' : 'Save as a new version'}
        </Button>
      </form>
    </Card>
  );
}

function Sessions({
  caseId,
  sessions,
  onChanged,
}: {
  caseId: string;
  sessions: Case['sessions'];
  onChanged: () => void;
}) {
  const [form, setForm] = useState({
    kind: 'therapy',
    format: 'in-person',
    startsAt: '',
    minutes: '50',
    attendance: 'attended',
  });
  const [refusal, setRefusal] = useState<ProblemDocument | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  const save = async (override?: { clause: string; reason: string }) => {
    setError(undefined);
    try {
      await api('POST', `/cases/${caseId}/sessions`, z.object({ id: z.string() }), {
        body: {
          kind: form.kind,
          format: form.format,
          startsAt: new Date(form.startsAt).toISOString(),
          minutes: Number(form.minutes),
          attendance: form.attendance,
          ...(override === undefined ? {} : { override }),
        },
      });
      setRefusal(undefined);
      onChanged();
    } catch (e) {
      if (e instanceof ApiProblem && e.problem.code === 'refused-by-code') setRefusal(e.problem);
      else setError(describeProblem(e));
    }
  };

  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="sessions-title">
      <Title order={3} size="h4" id="sessions-title" mb="sm">
        Sessions
      </Title>
      {sessions.length === 0 ? (
        <Text c="dimmed" size="sm" mb="sm">
          No sessions yet.
        </Text>
      ) : (
        <Table withTableBorder mb="md">
          <Table.Tbody>
            {sessions.map((s) => (
              <Table.Tr key={s.id}>
                <Table.Td>{formatDateTime(s.startsAt)}</Table.Td>
                <Table.Td>{s.kind}</Table.Td>
                <Table.Td>{s.format}</Table.Td>
                <Table.Td>{s.minutes} min</Table.Td>
                <Table.Td>{s.attendance.replaceAll('-', ' ')}</Table.Td>
                <Table.Td>
                  {s.overrideReason === null ? '' : `Before every signature (GT-36a): ${s.overrideReason}`}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <SimpleGrid cols={{ base: 1, sm: 5 }}>
          <Select
            label="Kind"
            data={[
              { value: 'assessment', label: 'Assessment' },
              { value: 'therapy', label: 'Therapy' },
            ]}
            value={form.kind}
            onChange={(kind) => setForm({ ...form, kind: kind ?? 'therapy' })}
            allowDeselect={false}
          />
          <Select
            label="Format"
            data={[
              { value: 'in-person', label: 'In person' },
              { value: 'online', label: 'Online' },
              { value: 'phone', label: 'Phone' },
            ]}
            value={form.format}
            onChange={(format) => setForm({ ...form, format: format ?? 'in-person' })}
            allowDeselect={false}
          />
          <TextInput
            label="Starts"
            type="datetime-local"
            required
            value={form.startsAt}
            onChange={(e) => setForm({ ...form, startsAt: e.currentTarget.value })}
          />
          <TextInput
            label="Minutes"
            type="number"
            required
            value={form.minutes}
            onChange={(e) => setForm({ ...form, minutes: e.currentTarget.value })}
          />
          <Select
            label="Attendance"
            data={[
              { value: 'attended', label: 'Attended' },
              { value: 'did-not-attend', label: 'Did not attend' },
              { value: 'cancelled-by-client', label: 'Cancelled by client' },
              { value: 'cancelled-by-practitioner', label: 'Cancelled by you' },
            ]}
            value={form.attendance}
            onChange={(attendance) => setForm({ ...form, attendance: attendance ?? 'attended' })}
            allowDeselect={false}
          />
        </SimpleGrid>
        {refusal !== undefined && (
          <Stack mt="sm">
            <RefusalAlert
              refusal={refusal}
              reasonLabel="Why therapy goes ahead now (kept on the case and audited)"
              confirmLabel="Record it, with my reason"
              onOverride={(clause, reason) => save({ clause, reason })}
            />
          </Stack>
        )}
        {error !== undefined && (
          <Alert color="red" role="alert" mt="sm">
            {error}
          </Alert>
        )}
        <Button type="submit" mt="sm">
          Record session
        </Button>
      </form>
    </Card>
  );
}
