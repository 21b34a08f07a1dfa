import {
  formatDate,
  formatDateTime,
  INTEGRITY_FAILED_TEXT,
  londonInstant,
  type ProblemDocument,
  unreadableSchema,
} from '@alcove/core';
import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
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
import { announceSessionChange, useSession } from '../session.tsx';
import { IntegrityFailed } from '../shell/integrity.tsx';
import { RefusalAlert } from '../shell/refusal.tsx';
import { ShownOnceLink } from '../shell/shown-once-link.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';
import { CaseDisclosures } from './disclosures.tsx';
import { CaseNotes } from './notes.tsx';
import { CaseReferrals } from './referrals.tsx';
import { PresentToSupervision } from './supervision.tsx';

const caseSchema = z.object({
  id: z.string(),
  kind: z.string(),
  format: z.string(),
  status: z.string(),
  statusMoves: z.array(z.string()),
  participants: z.array(
    z.object({
      id: z.string(),
      clientId: z.string(),
      label: z.string(),
      name: z.string().nullable(),
      unreadable: unreadableSchema,
    }),
  ),
  contract: z
    .object({
      id: z.string(),
      version: z.number(),
      text: z.string(),
      /** 'tampered': the text failed its integrity check; it is not shown, nor signed. */
      unreadable: unreadableSchema.optional(),
      textHash: z.string(),
      createdAt: z.string(),
      signedByAll: z.boolean(),
      conditions: z.string().nullable(),
      /** Why it was offered without one of the Code's sections (GT-36b, GT-36c). */
      overrides: z.array(z.object({ clause: z.string(), reason: z.string() })),
      overridesUnreadable: unreadableSchema.optional(),
      signatures: z.array(
        z.object({
          signerKind: z.string(),
          signerId: z.string(),
          mode: z.string(),
          signedAt: z.string(),
          acknowledgedConditions: z.boolean(),
        }),
      ),
    })
    .nullable(),
  /** The newest version, where it was withdrawn and nothing has replaced it. */
  withdrawnContract: z.object({ version: z.number(), withdrawnAt: z.string() }).nullable(),
  sessions: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      format: z.string(),
      startsAt: z.string(),
      minutes: z.number(),
      attendance: z.string(),
      present: z.array(z.string()).nullable(),
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
  const names = c.participants
    .map(
      (p) =>
        `${p.label}: ${p.unreadable === 'tampered' ? INTEGRITY_FAILED_TEXT : (p.name ?? 'details destroyed')}`,
    )
    .join(' · ');
  return (
    <Stack gap="lg" maw={1000}>
      <Title order={2}>
        {c.kind === 'couple' ? 'Couple case' : c.kind === 'individual' ? 'Individual case' : `${c.kind} case`}
      </Title>
      <Text>{names}</Text>
      <CaseStatus
        caseId={c.id}
        status={c.status}
        format={c.format}
        moves={c.statusMoves}
        onChanged={theCase.reload}
      />
      <Contract
        caseId={c.id}
        contract={c.contract}
        withdrawn={c.withdrawnContract}
        participants={c.participants}
        onChanged={theCase.reload}
      />
      <CaseNotes
        caseId={c.id}
        participants={c.participants.map((p) => ({ id: p.id, label: p.label }))}
        sessions={c.sessions.map((s) => ({ id: s.id, startsAt: s.startsAt, kind: s.kind }))}
      />
      <CaseDisclosures caseId={c.id} participants={c.participants} />
      <PresentToSupervision caseId={c.id} />
      <CaseReferrals caseId={c.id} participants={c.participants} onCaseChanged={theCase.reload} />
      <Sessions
        caseId={c.id}
        sessions={c.sessions}
        participants={c.participants}
        onChanged={theCase.reload}
      />
    </Stack>
  );
}

type Case = z.infer<typeof caseSchema>;

export const statusLabels: Record<string, string> = {
  enquiry: 'Enquiry',
  assessment: 'Assessment',
  contracted: 'Contracted',
  active: 'Active',
  ending: 'Ending',
  closed: 'Closed',
};
const formatLabels: Record<string, string> = { 'in-person': 'In person', online: 'Online', phone: 'Phone' };

function CaseStatus({
  caseId,
  status,
  format,
  moves,
  onChanged,
}: {
  caseId: string;
  status: string;
  format: string;
  moves: readonly string[];
  onChanged: () => void;
}) {
  const [to, setTo] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);
  const move = async () => {
    if (to === null) return;
    setError(undefined);
    try {
      await api('POST', `/cases/${caseId}/status`, z.object({ to: z.string() }), { body: { status: to } });
      setTo(null);
      onChanged();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  return (
    <Card withBorder padding="md" component="section" aria-labelledby="status-title">
      <Group justify="space-between" align="end" wrap="wrap">
        <Group gap="sm">
          <Title order={3} size="h5" id="status-title">
            Status
          </Title>
          <Badge color={status === 'closed' ? 'gray.7' : 'alcove'} variant="filled" data-testid="case-status">
            {statusLabels[status] ?? status}
          </Badge>
          <Text size="sm" c="dimmed">
            {formatLabels[format] ?? format}
          </Text>
        </Group>
        {moves.length > 0 && (
          <Group gap="xs" align="end">
            <Select
              label="Move the case to"
              size="xs"
              data={moves.map((m) => ({ value: m, label: statusLabels[m] ?? m }))}
              value={to}
              onChange={setTo}
              w={180}
            />
            <Button size="xs" variant="default" disabled={to === null} onClick={() => void move()}>
              Move
            </Button>
          </Group>
        )}
      </Group>
      <Text size="xs" c="dimmed" mt="xs">
        A case moves forward only. Alcove moves it on as you record the assessment, the signatures and the
        first therapy session; you end and close it.
      </Text>
      {error !== undefined && (
        <Alert color="red" role="alert" mt="sm">
          {error}
        </Alert>
      )}
    </Card>
  );
}

const templatesSchema = z.object({
  templates: z.array(z.object({ id: z.string(), name: z.string(), version: z.number() })),
});
const sentSchema = z.object({
  sent: z.array(
    z.object({
      clientId: z.string(),
      label: z.string(),
      outcome: z.enum(['invited', 'notified', 'withheld']),
      withheldDetail: z.string().nullable(),
      /** 'shown-once': the practice's e-mail is kept here, so the portal link is in this answer, this once. */
      delivery: z.enum(['sent', 'shown-once']).nullable().optional(),
      link: z.string().nullable().optional(),
    }),
  ),
});
const outcomeWords = {
  invited: 'invited to the client portal by e-mail',
  notified: 'told by e-mail that it waits in their portal',
  withheld: 'not sent',
} as const;

function Contract({
  caseId,
  contract,
  withdrawn,
  participants,
  onChanged,
}: {
  caseId: string;
  contract: Case['contract'];
  withdrawn: Case['withdrawnContract'];
  participants: Case['participants'];
  onChanged: () => void;
}) {
  const [text, setText] = useState('');
  /** The Code's refusal of the version being saved, and the reasons given so far, one for each clause. */
  const [refusal, setRefusal] = useState<ProblemDocument | undefined>(undefined);
  const [overrides, setOverrides] = useState<{ clause: string; reason: string }[]>([]);
  const [confirmWithdraw, setConfirmWithdraw] = useState(false);
  const [templateId, setTemplateId] = useState<string | null>(null);
  const [draftedFrom, setDraftedFrom] = useState<string | null>(null);
  const [acknowledged, setAcknowledged] = useState<Record<string, boolean>>({});
  const [sent, setSent] = useState<z.infer<typeof sentSchema>['sent'] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const { refresh } = useSession();
  const templates = useApi('/settings/contract-templates', templatesSchema);
  const draft = async () => {
    if (templateId === null) return;
    setError(undefined);
    try {
      const drafted = await api(
        'GET',
        `/cases/${caseId}/contract-draft?templateId=${encodeURIComponent(templateId)}`,
        z.object({ text: z.string(), templateId: z.string().nullable() }),
      );
      setText(drafted.text);
      setDraftedFrom(drafted.templateId);
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const send = async () => {
    setError(undefined);
    try {
      setSent((await api('POST', `/cases/${caseId}/send-contract`, sentSchema, { body: {} })).sent);
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const signed = (kind: string, id?: string) =>
    contract?.signatures.find((s) => s.signerKind === kind && (id === undefined || s.signerId === id));
  const sign = async (signer: { kind: 'practitioner' } | { kind: 'client'; clientId: string }) => {
    if (contract === null) return;
    setError(undefined);
    try {
      const ack = signer.kind === 'client' && contract.conditions !== null;
      await api('POST', `/cases/${caseId}/contracts/${contract.id}/signatures`, z.null(), {
        body: {
          signer,
          textHash: contract.textHash,
          ...(ack ? { acknowledgedConditions: acknowledged[signer.clientId] === true } : {}),
        },
      });
      onChanged();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  /**
   * Locks this session to the signing screen for one client: until the practitioner ends it
   * with their password and authenticator code, every page shows only that contract.
   */
  const handOver = async (clientId: string) => {
    if (contract === null) return;
    setError(undefined);
    try {
      await api('POST', '/session/kiosk', z.null(), {
        body: { caseId, clientId, contractId: contract.id },
      });
      announceSessionChange();
      await refresh();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  /**
   * Saves the version, which offers it for signature. Blanks left unfilled are refused
   * (GT-36, a "must"); a section of the Code left out is refused until the practitioner gives
   * their reason (GT-36b, GT-36c), one for each clause, sent together.
   */
  const save = async (reasons: { clause: string; reason: string }[]) => {
    setError(undefined);
    try {
      await api('POST', `/cases/${caseId}/contracts`, z.object({ id: z.string() }), {
        body: {
          text,
          ...(draftedFrom === null ? {} : { templateId: draftedFrom }),
          ...(reasons.length === 0 ? {} : { overrides: reasons }),
        },
      });
      setText('');
      setDraftedFrom(null);
      setSent(undefined);
      setRefusal(undefined);
      setOverrides([]);
      onChanged();
    } catch (e) {
      if (e instanceof ApiProblem && e.problem.code === 'refused-by-code') setRefusal(e.problem);
      else setError(describeProblem(e));
    }
  };
  const write = (event: FormEvent) => {
    event.preventDefault();
    void save(overrides);
  };
  const withdraw = async () => {
    if (contract === null) return;
    setError(undefined);
    try {
      await api(
        'POST',
        `/cases/${caseId}/contracts/${contract.id}/withdrawal`,
        z.object({ version: z.number() }),
        {
          body: {},
        },
      );
      setConfirmWithdraw(false);
      setSent(undefined);
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
      {contract === null && withdrawn !== null ? (
        <Text c="dimmed" size="sm" mb="sm">
          Version {withdrawn.version} was withdrawn on {formatDate(withdrawn.withdrawnAt)}, before everyone
          had signed it. No version is offered for signature now: write the next one below.
        </Text>
      ) : contract === null ? (
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
          {contract.unreadable === 'tampered' ? (
            <IntegrityFailed />
          ) : (
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} bg="gray.0" p="sm">
              {contract.text}
            </Text>
          )}
          {contract.overridesUnreadable === 'tampered' ? (
            <Text size="sm">
              Offered without a section of the Code: the reason cannot be shown ({INTEGRITY_FAILED_TEXT}).
            </Text>
          ) : (
            contract.overrides.map((o) => (
              <Text size="sm" key={o.clause}>
                Offered without a section of the Code ({o.clause}): {o.reason}
              </Text>
            ))
          )}
          {contract.conditions !== null && contract.unreadable !== 'tampered' && (
            <Alert color="blue" title="The organisation’s conditions (GT-36d)">
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {contract.conditions}
              </Text>
              <Text size="xs" mt="xs">
                Each client reads these and acknowledges them before signing.
              </Text>
            </Alert>
          )}
          <Table withTableBorder>
            <Table.Tbody>
              {parties.map((party) => (
                <Table.Tr key={party.key}>
                  <Table.Td>{party.label}</Table.Td>
                  <Table.Td>
                    {party.done === undefined && contract.unreadable === 'tampered' ? (
                      <Text size="sm" c="dimmed">
                        Not signed: the text cannot be shown
                      </Text>
                    ) : party.done === undefined ? (
                      <Group gap="sm">
                        {party.signer.kind === 'client' && contract.conditions !== null && (
                          <Checkbox
                            size="xs"
                            label="Has read and acknowledged the conditions"
                            checked={acknowledged[party.key] === true}
                            onChange={(e) => {
                              const checked = e.currentTarget.checked;
                              setAcknowledged((a) => ({ ...a, [party.key]: checked }));
                            }}
                          />
                        )}
                        <Button size="compact-sm" variant="light" onClick={() => sign(party.signer)}>
                          Signed in person now
                        </Button>
                        {party.signer.kind === 'client' && (
                          <Button size="compact-sm" variant="subtle" onClick={() => void handOver(party.key)}>
                            Hand over the signing screen
                          </Button>
                        )}
                      </Group>
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
          <Group gap="sm">
            {!contract.signedByAll && (
              <Button variant="default" onClick={() => void send()}>
                Send to the clients to sign in their portal
              </Button>
            )}
            <Button
              component="a"
              variant="subtle"
              href={`/api/v1/cases/${caseId}/contracts/${contract.id}/pdf`}
              download
            >
              Download as PDF
            </Button>
            {!contract.signedByAll && !confirmWithdraw && (
              <Button variant="subtle" color="red" onClick={() => setConfirmWithdraw(true)}>
                Withdraw this version
              </Button>
            )}
          </Group>
          {!contract.signedByAll && confirmWithdraw && (
            <Alert color="orange" title={`Withdraw version ${contract.version}?`}>
              <Text size="sm">
                It can no longer be signed, here, in the portal or on the signing screen. Its text and any
                signature already given are kept. No earlier version takes its place: you write the next one.
              </Text>
              <Group gap="sm" mt="sm">
                <Button color="red" onClick={() => void withdraw()}>
                  Withdraw it
                </Button>
                <Button variant="default" onClick={() => setConfirmWithdraw(false)}>
                  Keep it
                </Button>
              </Group>
            </Alert>
          )}
          {sent !== undefined && (
            <Alert color={sent.some((s) => s.outcome === 'withheld') ? 'orange' : 'alcove'} role="status">
              {sent.length === 0
                ? 'Every client has signed this version already.'
                : sent.map((s) => (
                    <Text size="sm" key={s.clientId}>
                      {s.label}:{' '}
                      {s.delivery === 'shown-once'
                        ? 'invited to the client portal — e-mail is kept here, so give them the link below'
                        : outcomeWords[s.outcome]}
                      {s.withheldDetail === null ? '.' : ` — ${s.withheldDetail}`}
                    </Text>
                  ))}
            </Alert>
          )}
          {sent?.map(
            (s) =>
              s.delivery === 'shown-once' &&
              typeof s.link === 'string' && (
                <ShownOnceLink
                  key={`link-${s.clientId}`}
                  link={s.link}
                  who={s.label === 'Client' ? 'the client' : s.label}
                />
              ),
          )}
        </Stack>
      )}
      {error !== undefined && (
        <Alert color="red" role="alert" mb="sm">
          {error}
        </Alert>
      )}
      <form onSubmit={write}>
        {templates.state === 'ready' && (
          <Group gap="xs" align="end" mb="sm">
            <Select
              label="Start from a template"
              data={templates.data.templates.map((t) => ({
                value: t.id,
                label: t.version === 0 ? t.name : `${t.name} (version ${t.version})`,
              }))}
              value={templateId}
              onChange={setTemplateId}
              w={320}
            />
            <Button variant="default" disabled={templateId === null} onClick={() => void draft()}>
              Draft from template
            </Button>
          </Group>
        )}
        <Textarea
          label={contract === null ? 'Write the contract' : 'Write a new version'}
          description="The Code asks for these headings, each on a line of its own: Rights and responsibilities, Aims of therapy, How and when therapy ends. Fill every blank (___) before saving: saving offers it for signature."
          minRows={4}
          autosize
          value={text}
          onChange={(e) => {
            setText(e.currentTarget.value);
            // A reason answers the text it was given for.
            setRefusal(undefined);
            setOverrides([]);
          }}
        />
        {refusal !== undefined && (
          <Stack mt="sm">
            <RefusalAlert
              key={refusal.clause}
              refusal={refusal}
              reasonLabel="Why this contract goes ahead without it (kept with the contract and audited)"
              confirmLabel="Save it, with my reason"
              onOverride={(clause, reason) => {
                const next = [...overrides.filter((o) => o.clause !== clause), { clause, reason }];
                setOverrides(next);
                void save(next);
              }}
            />
          </Stack>
        )}
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
  participants,
  onChanged,
}: {
  caseId: string;
  sessions: Case['sessions'];
  participants: Case['participants'];
  onChanged: () => void;
}) {
  const [present, setPresent] = useState<string[]>(() => participants.map((p) => p.id));
  const labelOf = (id: string) => participants.find((p) => p.id === id)?.label ?? 'someone';
  const [form, setForm] = useState({
    kind: 'therapy',
    format: 'in-person',
    startsAt: '',
    minutes: '50',
    attendance: 'attended',
  });
  const [refusal, setRefusal] = useState<ProblemDocument | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  // Reasons given so far for this session: two "should"s (GT-36a, GT-92) may each need one.
  const [reasons, setReasons] = useState<{ clause: string; reason: string }[]>([]);

  const save = async (override?: { clause: string; reason: string }) => {
    setError(undefined);
    const given =
      override === undefined ? reasons : [...reasons.filter((o) => o.clause !== override.clause), override];
    setReasons(given);
    try {
      await api('POST', `/cases/${caseId}/sessions`, z.object({ id: z.string() }), {
        body: {
          kind: form.kind,
          format: form.format,
          startsAt: londonInstant(form.startsAt),
          minutes: Number(form.minutes),
          attendance: form.attendance,
          present: form.attendance === 'attended' ? present : [],
          ...(given.length === 0 ? {} : { overrides: given }),
        },
      });
      setRefusal(undefined);
      setReasons([]);
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
                <Table.Td>
                  {s.attendance.replaceAll('-', ' ')}
                  {participants.length > 1 && s.present !== null && s.present.length > 0
                    ? ` (${s.present.length === participants.length ? 'all present' : s.present.map(labelOf).join(', ')})`
                    : ''}
                </Table.Td>
                <Table.Td>
                  {s.overrideReason === null ? '' : `Went ahead with a reason: ${s.overrideReason}`}
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
        {participants.length > 1 && form.attendance === 'attended' && (
          <Checkbox.Group label="Who was present" value={present} onChange={setPresent} mt="sm">
            <Group gap="md" mt={4}>
              {participants.map((p) => (
                <Checkbox
                  key={p.id}
                  value={p.id}
                  label={`${p.label}${p.name === null ? '' : ` (${p.name})`}`}
                />
              ))}
            </Group>
          </Checkbox.Group>
        )}
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
