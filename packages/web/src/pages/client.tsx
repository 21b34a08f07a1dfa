import {
  AGE_OF_MAJORITY,
  ageOn,
  entryKindLabels,
  formatDate,
  formatDateTime,
  formatDay,
  labelOf,
  londonDay,
  unreadableSchema,
} from '@alcove/core';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  MultiSelect,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { z } from 'zod';
import { ApiProblem, api, describeProblem } from '../api.ts';
import { useSession } from '../session.tsx';
import { IntegrityFailed, Sealed } from '../shell/integrity.tsx';
import { ShownOnceLink } from '../shell/shown-once-link.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';
import { Consents } from './consents.tsx';
import { NoteHtml } from './notes.tsx';

const identitySchema = z.object({
  id: z.string(),
  /** null when it failed its integrity check (`unreadable`). */
  unreadable: unreadableSchema,
  identity: z.nullable(
    z.object({
      name: z.string(),
      preferredName: z.string().optional(),
      dateOfBirth: z.string().optional(),
      pronouns: z.string().optional(),
      email: z.string().optional(),
      phone: z.string().optional(),
      address: z.string().optional(),
      contactChannels: z.array(z.object({ channel: z.string(), safe: z.boolean() })).optional(),
      languageNeeds: z.string().optional(),
      accessNeeds: z.string().optional(),
      gp: z.string().optional(),
      emergencyContact: z.string().optional(),
      lawfulBasis: z.string().optional(),
      specialCategoryCondition: z.string().optional(),
      safetyFlag: z.boolean().optional(),
      vulnerableAdult: z.boolean().optional(),
    }),
  ),
});
const participantSchema = z.object({ id: z.string(), clientId: z.string(), label: z.string() });
const recordSchema = z.object({
  cases: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      status: z.string(),
      pseudonym: z.string(),
      openedAt: z.string(),
      participants: z.array(participantSchema),
      entries: z.array(
        z.object({
          id: z.string(),
          kind: z.string(),
          occurredAt: z.string(),
          writtenAt: z.string(),
          passages: z.array(
            z.object({
              position: z.number(),
              attribution: z.array(z.string()),
              text: z.string().nullable(),
              unreadable: unreadableSchema,
            }),
          ),
        }),
      ),
    }),
  ),
});
const accessSchema = z.object({
  events: z.array(
    z.object({
      seq: z.number(),
      at: z.string(),
      actorName: z.string().nullable(),
      action: z.string(),
      outcome: z.string(),
      purpose: z.string().nullable(),
    }),
  ),
});

/** What an audit action means to a person; a clause in the action (code.override:GT-36a) is kept. */
function describeAction(action: string): string {
  const [verb, clause] = action.split(':');
  const named = actionNames[verb ?? ''];
  if (named === undefined) return action;
  return clause === undefined ? named : `${named} (${clause})`;
}

const actionNames: Record<string, string> = {
  'consent.read': 'Read consents',
  'consent.give': 'Recorded a consent',
  'consent.withdraw': 'Recorded a withdrawal of consent',
  'gillick.record': 'Recorded a Gillick assessment',
  'intake.decision': 'Recorded an intake decision',
  'code.refused': 'Refused by the Code',
  'code.override': 'Went ahead with a recorded reason',
  'client.create': 'Took on the client',
  'client.read-identity': 'Read contact details',
  'client.read-record': 'Read the clinical record',
  'client.read-clinical': 'Tried to read the clinical record',
  'client.read-access-history': 'Read this access history',
  'case.join': 'Opened a case with the client',
  'entry.create': 'Wrote an entry',
  'portal.join': 'Set up their client portal',
  'note.read': 'Read the session notes',
  'disclosure.record': 'Recorded a disclosure without consent',
  'disclosure.read': 'Read disclosures',
  'referral.write': 'Wrote a referral letter',
  'portal.read': 'Opened their client portal',
  'client.contact-channels': 'Changed how they may be contacted',
  'client.contact-safety': 'Changed contact safety',
  'message.queue': 'Queued a message',
  'message.withheld': 'Withheld a message',
  'integrity.failed': 'Found their details failed their integrity check',
  'integrity.resolved': 'Found their details read again',
};

function attributionLabel(
  attribution: readonly string[],
  participants: readonly { id: string; label: string }[],
): string {
  if (attribution.length === 0) return 'Practitioner’s formulation';
  if (participants.length > 1 && attribution.length === participants.length) return 'Joint';
  return attribution.map((id) => participants.find((p) => p.id === id)?.label ?? 'Unknown').join(' and ');
}

export function ClientPage() {
  const { clientId = '' } = useParams();
  const { session } = useSession();
  const identity = useApi(`/clients/${clientId}`, identitySchema);
  const treats = session?.roles.includes('practitioner') ?? false;
  // The access history is asked for once the record has answered, so that it shows the
  // read just made: the server answers a read only when its audit entry is committed.
  const [recordSettled, setRecordSettled] = useState(false);
  const onRecordSettled = useCallback(() => setRecordSettled(true), []);

  if (identity.state === 'loading') return <Loading what="the client" />;
  if (identity.state === 'failed') {
    return identity.error instanceof ApiProblem && identity.error.status === 404 ? (
      <Text>There is no such client, or they are not yours to see.</Text>
    ) : (
      <Failure error={identity.error} />
    );
  }
  const who = identity.data.identity;
  return (
    <Stack gap="lg" maw={960}>
      <Title order={2}>{who === null ? 'Client' : who.name}</Title>
      <Card withBorder padding="lg" component="section" aria-labelledby="details">
        <Title order={3} size="h4" id="details" mb="sm">
          Identity and contact
        </Title>
        {who === null ? <IntegrityFailed /> : <IdentityTable who={who} />}
      </Card>
      {treats && who !== null && (
        <ContactSafety
          clientId={clientId}
          channels={who.contactChannels ?? []}
          flagged={who.safetyFlag === true}
          onChanged={identity.reload}
        />
      )}
      {treats &&
        who !== null &&
        (who.vulnerableAdult === true ||
          (who.dateOfBirth !== undefined &&
            ageOn(who.dateOfBirth, londonDay(new Date())) < AGE_OF_MAJORITY)) && (
          <AppropriateAdult clientId={clientId} />
        )}
      {treats && <OpenCase clientId={clientId} />}
      {treats && <Consents clientId={clientId} />}
      {treats && <ClinicalRecord clientId={clientId} onSettled={onRecordSettled} />}
      {treats && <AccessHistory clientId={clientId} after={recordSettled} />}
    </Stack>
  );
}

/** The client's identity and contact details, field by field. */
function IdentityTable({ who }: { who: NonNullable<z.infer<typeof identitySchema>['identity']> }) {
  return (
    <Table variant="vertical" layout="fixed" withTableBorder={false}>
      <Table.Tbody>
        {(
          [
            ['Preferred name', who.preferredName],
            ['Pronouns', who.pronouns],
            ['Date of birth', who.dateOfBirth === undefined ? undefined : formatDay(who.dateOfBirth)],
            ['E-mail', who.email],
            ['Phone', who.phone],
            ['Address', who.address],
            [
              'Contact by',
              who.contactChannels === undefined || who.contactChannels.length === 0
                ? undefined
                : who.contactChannels
                    .map((c) => `${c.channel.replace('-', ' ')}${c.safe ? '' : ' (not safe)'}`)
                    .join(', '),
            ],
            ['Language and communication (GT-58)', who.languageNeeds],
            ['Adjustments (GT-82)', who.accessNeeds],
            ['GP', who.gp],
            ['Emergency contact', who.emergencyContact],
            [
              'Vulnerable adult (GT-26, GT-27, GT-65)',
              who.vulnerableAdult === true
                ? 'Yes: consent and capacity are checked as for under-18s'
                : undefined,
            ],
            ['Safety flag', who.safetyFlag === true ? 'Raised: no shared channel is used' : undefined],
            [
              'Lawful basis (UK GDPR)',
              who.lawfulBasis === undefined
                ? undefined
                : `${who.lawfulBasis.replaceAll('-', ' ')}${who.specialCategoryCondition === undefined ? '' : `; ${who.specialCategoryCondition.replaceAll('-', ' ')}`}`,
            ],
          ] as const
        ).map(([label, value]) => (
          <Table.Tr key={label}>
            <Table.Th w={260}>{label}</Table.Th>
            <Table.Td>
              {value ?? (
                <Text c="dimmed" span>
                  Not given
                </Text>
              )}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function ClinicalRecord({ clientId, onSettled }: { clientId: string; onSettled: () => void }) {
  const record = useApi(`/clients/${clientId}/record`, recordSchema);
  const settled = record.state !== 'loading';
  useEffect(() => {
    if (settled) onSettled();
  }, [settled, onSettled]);
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="record">
      <Title order={3} size="h4" id="record" mb="sm">
        Clinical record
      </Title>
      {record.state === 'loading' && <Loading what="the record" />}
      {record.state === 'failed' && <Failure error={record.error} />}
      {record.state === 'ready' && record.data.cases.length === 0 && (
        <Text c="dimmed">No case opened yet.</Text>
      )}
      {record.state === 'ready' &&
        record.data.cases.map((c) => (
          <Stack key={c.id} gap="sm" mb="md">
            <Group gap="xs">
              <Anchor component={Link} to={`/cases/${c.id}`} fw={600}>
                {c.kind === 'couple'
                  ? 'Couple case'
                  : c.kind === 'individual'
                    ? 'Individual case'
                    : `${c.kind} case`}
              </Anchor>
              <Badge variant="light">{c.status}</Badge>
              <Text size="sm" c="dimmed">
                opened {formatDate(c.openedAt)} · {c.participants.map((p) => p.label).join(', ')}
              </Text>
            </Group>
            {c.entries.length === 0 && <Text c="dimmed">No entries yet.</Text>}
            {c.entries.map((entry) => (
              <Card key={entry.id} withBorder padding="sm" bg="gray.0">
                <Text size="sm" fw={600}>
                  {labelOf(entryKindLabels, entry.kind)}, {formatDateTime(entry.occurredAt)}
                </Text>
                <Text size="xs" c="dimmed" mb="xs">
                  Written {formatDateTime(entry.writtenAt)}
                </Text>
                <Stack gap={6}>
                  {entry.passages.map((p) => (
                    <Group key={p.position} gap="sm" align="flex-start" wrap="nowrap">
                      <Badge variant="outline" color="gray" miw={130} style={{ flexShrink: 0 }}>
                        {attributionLabel(p.attribution, c.participants)}
                      </Badge>
                      <Sealed
                        value={p.text}
                        unreadable={p.unreadable}
                        shredded="Destroyed at the end of its retention period"
                      >
                        {(html) => <NoteHtml html={html} />}
                      </Sealed>
                    </Group>
                  ))}
                </Stack>
              </Card>
            ))}
          </Stack>
        ))}
    </Card>
  );
}

function AccessHistory({ clientId, after }: { clientId: string; after: boolean }) {
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="access">
      <Title order={3} size="h4" id="access" mb="sm">
        Who has accessed this record
      </Title>
      {after ? <AccessTable clientId={clientId} /> : <Loading what="the access history" />}
    </Card>
  );
}

function AccessTable({ clientId }: { clientId: string }) {
  const history = useApi(`/clients/${clientId}/access`, accessSchema);
  return (
    <>
      {history.state === 'loading' && <Loading what="the access history" />}
      {history.state === 'failed' && <Failure error={history.error} />}
      {history.state === 'ready' && (
        <Table withTableBorder striped data-testid="access-history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Who</Table.Th>
              <Table.Th>What</Table.Th>
              <Table.Th>Purpose</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {history.data.events.map((e) => (
              <Table.Tr key={e.seq}>
                <Table.Td>{formatDateTime(e.at)}</Table.Td>
                <Table.Td>{e.actorName ?? 'Unknown'}</Table.Td>
                <Table.Td>
                  {describeAction(e.action)}
                  {e.outcome === 'denied' && (
                    <Badge color="red" variant="light" ml="xs">
                      refused
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{e.purpose ?? ''}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}

const clientsSchema = z.object({
  clients: z.array(z.object({ id: z.string(), name: z.string().nullable() })),
});

/** Opens a case for this client, alone or with others (a couple, a family, a group). */
function OpenCase({ clientId }: { clientId: string }) {
  const navigate = useNavigate();
  const clients = useApi('/clients', clientsSchema);
  const [kind, setKind] = useState('individual');
  const [format, setFormat] = useState('in-person');
  const [others, setOthers] = useState<string[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const choices =
    clients.state === 'ready'
      ? clients.data.clients.flatMap((c) =>
          // One whose details failed their integrity check cannot be told apart: not offered.
          c.id === clientId || c.name === null ? [] : [{ value: c.id, label: c.name }],
        )
      : [];
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="open-case">
      <Title order={3} size="h4" id="open-case" mb="sm">
        Open a case
      </Title>
      <Group align="flex-end">
        <Select
          label="Kind"
          data={[
            { value: 'individual', label: 'Individual' },
            { value: 'couple', label: 'Couple' },
            { value: 'family', label: 'Family' },
            { value: 'group', label: 'Group' },
          ]}
          value={kind}
          onChange={(k) => setKind(k ?? 'individual')}
          allowDeselect={false}
        />
        <Select
          label="Format"
          data={[
            { value: 'in-person', label: 'In person' },
            { value: 'online', label: 'Online' },
            { value: 'phone', label: 'Phone' },
          ]}
          value={format}
          onChange={(f) => setFormat(f ?? 'in-person')}
          allowDeselect={false}
        />
        {kind !== 'individual' && (
          <MultiSelect
            label="With"
            data={choices}
            value={others}
            onChange={setOthers}
            placeholder="Choose clients"
            miw={260}
            searchable
          />
        )}
        <Button
          onClick={async () => {
            setError(undefined);
            try {
              const opened = await api('POST', '/cases', z.object({ id: z.string() }), {
                body: { kind, format, clientIds: [clientId, ...(kind === 'individual' ? [] : others)] },
              });
              await navigate(`/cases/${opened.id}`);
            } catch (e) {
              setError(
                e instanceof ApiProblem
                  ? [e.problem.detail, ...(e.problem.errors ?? []).map((x) => x.detail)].join(' ')
                  : 'Alcove could not be reached.',
              );
            }
          }}
        >
          Open case
        </Button>
      </Group>
      {error !== undefined && (
        <Alert color="red" role="alert" mt="sm">
          {error}
        </Alert>
      )}
    </Card>
  );
}

const portalStatusSchema = z.object({ account: z.boolean(), invitedUntil: z.string().nullable() });
const channelNames = ['email', 'phone', 'text-message', 'post'] as const;

/** Which channels are safe, the safety flag, and whether the client has a portal. */
function ContactSafety({
  clientId,
  channels,
  flagged,
  onChanged,
}: {
  clientId: string;
  channels: readonly { channel: string; safe: boolean }[];
  flagged: boolean;
  onChanged: () => void;
}) {
  const portal = useApi(`/clients/${clientId}/portal`, portalStatusSchema);
  const [safe, setSafe] = useState<Record<string, 'unset' | 'safe' | 'unsafe'>>(() =>
    Object.fromEntries(
      channelNames.map((ch) => {
        const found = channels.find((c) => c.channel === ch);
        return [ch, found === undefined ? 'unset' : found.safe ? 'safe' : 'unsafe'];
      }),
    ),
  );
  const [flag, setFlag] = useState(flagged);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const save = async () => {
    setNotice(undefined);
    try {
      await api('PUT', `/clients/${clientId}/contact-safety`, z.null(), {
        body: {
          contactChannels: channelNames
            .filter((ch) => safe[ch] !== 'unset')
            .map((ch) => ({ channel: ch, safe: safe[ch] === 'safe' })),
          safetyFlag: flag,
        },
      });
      setNotice({ ok: true, text: 'Saved.' });
      onChanged();
    } catch (e) {
      setNotice({ ok: false, text: describeProblem(e) });
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="contact-safety">
      <Title order={3} size="h4" id="contact-safety" mb="xs">
        Contact safety and the portal
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Alcove writes only through channels not marked unsafe. With the safety flag raised (coercive control,
        abuse), it writes only to an e-mail address marked safe and never to one shared with another client.
      </Text>
      {portal.state === 'ready' && (
        <Text size="sm" mb="sm" data-testid="portal-status">
          {portal.data.account
            ? 'Has a portal account.'
            : portal.data.invitedUntil !== null
              ? `Invited to the portal; the invitation works until ${formatDate(portal.data.invitedUntil)}.`
              : 'No portal account yet: sending a contract invites them.'}
        </Text>
      )}
      <SimpleGrid cols={{ base: 1, sm: 2 }} mb="sm">
        {channelNames.map((ch) => (
          <Select
            key={ch}
            label={
              ch === 'text-message'
                ? 'Text messages'
                : ch === 'email'
                  ? 'E-mail'
                  : ch === 'phone'
                    ? 'Phone'
                    : 'Post'
            }
            data={[
              { value: 'unset', label: 'Not said' },
              { value: 'safe', label: 'Safe' },
              { value: 'unsafe', label: 'Not safe (shared)' },
            ]}
            value={safe[ch] ?? 'unset'}
            onChange={(v) => setSafe({ ...safe, [ch]: (v ?? 'unset') as 'unset' | 'safe' | 'unsafe' })}
            allowDeselect={false}
          />
        ))}
      </SimpleGrid>
      <Checkbox
        label="Safety flag: coercive control or abuse — use no shared channel"
        checked={flag}
        onChange={(e) => setFlag(e.currentTarget.checked)}
        color="red.8"
      />
      {notice !== undefined && (
        <Alert color={notice.ok ? 'alcove' : 'red'} role={notice.ok ? 'status' : 'alert'} mt="sm">
          {notice.text}
        </Alert>
      )}
      <Button mt="sm" variant="default" onClick={() => void save()}>
        Save contact safety
      </Button>
    </Card>
  );
}

const invitedSchema = z.object({
  outcome: z.enum(['invited', 'withheld']),
  withheldReason: z.string().nullable(),
  /** 'shown-once': the practice's e-mail is kept here, so the portal link is in this answer, this once. */
  delivery: z.enum(['sent', 'shown-once']).nullable().optional(),
  link: z.string().nullable().optional(),
});

/** GT-27: the appropriate adult of a young person or vulnerable adult, invited by their own address. */
function AppropriateAdult({ clientId }: { clientId: string }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [link, setLink] = useState<string | undefined>(undefined);
  const invite = async () => {
    setNotice(undefined);
    setLink(undefined);
    try {
      const result = await api('POST', `/clients/${clientId}/appropriate-adult-invitations`, invitedSchema, {
        body: { name: name.trim(), email: email.trim() },
      });
      const shownOnce = result.delivery === 'shown-once' && typeof result.link === 'string';
      setNotice(
        result.outcome !== 'invited'
          ? { ok: false, text: `Not sent: ${result.withheldReason ?? ''}` }
          : shownOnce
            ? { ok: true, text: 'Invited. Their consent will show under Consents once given.' }
            : { ok: true, text: 'Invited by e-mail. Their consent will show under Consents once given.' },
      );
      if (shownOnce && typeof result.link === 'string') setLink(result.link);
      setName('');
      setEmail('');
    } catch (e) {
      setNotice({ ok: false, text: describeProblem(e) });
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="appropriate-adult">
      <Title order={3} size="h4" id="appropriate-adult" mb="xs">
        Appropriate adult (GT-27)
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        A parent, legal guardian or registered medical practitioner gives written consent before therapy,
        unless an assessment finds the client able to consent. In the portal they see this client’s record
        only until then, or while the client agrees; they give their consent there.
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput label="Their name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <TextInput
          label="Their e-mail address"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
        />
      </SimpleGrid>
      {notice !== undefined && (
        <Alert color={notice.ok ? 'alcove' : 'orange'} role={notice.ok ? 'status' : 'alert'} mt="sm">
          {notice.text}
        </Alert>
      )}
      {link !== undefined && (
        <Stack mt="sm">
          <ShownOnceLink link={link} who="them" onDone={() => setLink(undefined)} />
        </Stack>
      )}
      <Button
        mt="sm"
        variant="default"
        disabled={name.trim() === '' || email.trim() === ''}
        onClick={() => void invite()}
      >
        Invite them to the portal
      </Button>
    </Card>
  );
}
