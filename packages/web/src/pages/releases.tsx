import { formatDay, londonDay, releaseBases, releaseBasisLabels, unreadableSchema } from '@alcove/core';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  List,
  Mark,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { z } from 'zod';
import { api, apiFile, describeProblem } from '../api.ts';
import { IntegrityFailed } from '../shell/integrity.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

export const requestsSchema = z.object({
  requests: z.array(
    z.object({
      id: z.string(),
      clientId: z.string(),
      clientName: z.string(),
      basis: z.string(),
      basisLabel: z.string(),
      requester: z.string().nullable(),
      /** Of the requester: "tampered" when it failed its integrity check. */
      unreadable: unreadableSchema,
      receivedOn: z.string(),
      dueOn: z.string().nullable(),
      status: z.enum(['received', 'issued']),
      overdue: z.boolean(),
      viaPortal: z.boolean(),
      releaseId: z.string().nullable(),
    }),
  ),
});
const clientsSchema = z.object({
  clients: z.array(z.object({ id: z.string(), name: z.string().nullable() })),
});
const previewSchema = z.object({
  passages: z.array(
    z.object({
      ref: z.string(),
      what: z.string(),
      about: z.string(),
      text: z.string(),
      redactions: z.array(
        z.object({ label: z.string(), kind: z.string(), marker: z.string(), count: z.number() }),
      ),
      included: z.boolean(),
      reason: z.string().nullable(),
    }),
  ),
  sections: z.array(
    z.object({
      heading: z.string(),
      count: z.number(),
      items: z.array(z.object({ label: z.string().nullable(), text: z.string() })),
    }),
  ),
  withheld: z.array(z.object({ what: z.string(), clause: z.string(), reason: z.string() })),
});
type Preview = z.infer<typeof previewSchema>;

/** Requests for records: the register, the preview of what a release holds and why, issuing it. */
export function ReleasesPage() {
  const requests = useApi('/release-requests', requestsSchema);
  const [open, setOpen] = useState<string | undefined>(undefined);
  return (
    <Stack gap="lg" maw={1100}>
      <Title order={2}>Requests for records</Title>
      <Text c="dimmed">
        A release holds exactly what the law and the Code allow: for one partner, their own material, joint
        material only where every other client has consented, never another client’s details (PG5-1), and
        never a withheld disclosure (PG5-2). A subject access request is answered within one calendar month.
      </Text>
      <NewRequest onDone={requests.reload} />
      <ResearchExport />
      {requests.state === 'loading' && <Loading what="the requests" />}
      {requests.state === 'failed' && <Failure error={requests.error} />}
      {requests.state === 'ready' &&
        (requests.data.requests.length === 0 ? (
          <Text>No requests yet.</Text>
        ) : (
          <Table withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Client</Table.Th>
                <Table.Th>Basis</Table.Th>
                <Table.Th>Received</Table.Th>
                <Table.Th>Due</Table.Th>
                <Table.Th>Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {requests.data.requests.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>{r.clientName}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{r.basisLabel}</Text>
                    {r.requester !== null && (
                      <Text size="xs" c="dimmed">
                        Asked by {r.requester}
                      </Text>
                    )}
                    {r.unreadable === 'tampered' && (
                      <Text size="xs">
                        Asked by: <IntegrityFailed inline />
                      </Text>
                    )}
                    {r.viaPortal && (
                      <Text size="xs" c="dimmed">
                        Asked in the client portal
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{formatDay(r.receivedOn)}</Table.Td>
                  <Table.Td>{r.dueOn === null ? '—' : formatDay(r.dueOn)}</Table.Td>
                  <Table.Td>
                    {r.status === 'issued' ? (
                      <Group gap="xs">
                        <Badge color="alcove" variant="filled">
                          Issued
                        </Badge>
                        {r.releaseId !== null && (
                          <Anchor size="sm" href={`/api/v1/releases/${r.releaseId}/pdf`} download>
                            PDF
                          </Anchor>
                        )}
                      </Group>
                    ) : (
                      <Group gap="xs">
                        {r.overdue ? (
                          <Badge color="red.8" variant="filled">
                            Overdue
                          </Badge>
                        ) : (
                          <Badge color="orange.3" variant="filled" autoContrast>
                            To answer
                          </Badge>
                        )}
                        <Button
                          size="compact-sm"
                          variant="default"
                          onClick={() => setOpen(open === r.id ? undefined : r.id)}
                        >
                          {open === r.id ? 'Close' : 'Prepare the release'}
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
      {open !== undefined && requests.state === 'ready' && (
        <PrepareRelease
          key={open}
          request={requests.data.requests.find((r) => r.id === open)}
          onIssued={() => {
            setOpen(undefined);
            requests.reload();
          }}
        />
      )}
    </Stack>
  );
}

function NewRequest({ onDone }: { onDone: () => void }) {
  const clients = useApi('/clients', clientsSchema);
  const [form, setForm] = useState({
    clientId: null as string | null,
    basis: 'subject-access' as string | null,
    requester: '',
    receivedOn: londonDay(new Date()),
  });
  const [error, setError] = useState<string | undefined>(undefined);
  const register = async () => {
    setError(undefined);
    try {
      await api('POST', '/release-requests', z.object({ id: z.string() }), {
        body: {
          clientId: form.clientId,
          basis: form.basis,
          receivedOn: form.receivedOn,
          ...(form.requester.trim() === '' ? {} : { requester: form.requester.trim() }),
        },
      });
      setForm({ ...form, clientId: null, requester: '' });
      onDone();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="new-request">
      <Title order={3} size="h4" id="new-request" mb="sm">
        Register a request
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 4 }}>
        <Select
          label="For which client"
          data={
            clients.state === 'ready'
              ? // One whose details failed their integrity check cannot be told apart: not offered.
                clients.data.clients.flatMap((c) => (c.name === null ? [] : [{ value: c.id, label: c.name }]))
              : []
          }
          value={form.clientId}
          onChange={(clientId) => setForm({ ...form, clientId })}
          searchable
        />
        <Select
          label="Legal basis"
          data={releaseBases.map((b) => ({ value: b, label: releaseBasisLabels[b] }))}
          value={form.basis}
          onChange={(basis) => setForm({ ...form, basis })}
        />
        <TextInput
          label="Asked by (if not the client)"
          value={form.requester}
          onChange={(e) => setForm({ ...form, requester: e.currentTarget.value })}
        />
        <TextInput
          label="Received on"
          type="date"
          value={form.receivedOn}
          onChange={(e) => setForm({ ...form, receivedOn: e.currentTarget.value })}
        />
      </SimpleGrid>
      {error !== undefined && (
        <Alert color="red" role="alert" mt="sm">
          {error}
        </Alert>
      )}
      <Button mt="sm" variant="default" disabled={form.clientId === null} onClick={() => void register()}>
        Register the request
      </Button>
    </Card>
  );
}

function PrepareRelease({
  request,
  onIssued,
}: {
  request: z.infer<typeof requestsSchema>['requests'][number] | undefined;
  onIssued: () => void;
}) {
  const [preview, setPreview] = useState<Preview | undefined>(undefined);
  const [withhold, setWithhold] = useState<Record<string, boolean>>({});
  const [reason, setReason] = useState('');
  const [include, setInclude] = useState<Record<string, boolean>>({});
  const [error, setError] = useState<string | undefined>(undefined);
  if (request === undefined) return null;
  const accusation = request.basis === 'formal-accusation';
  const choices = () => ({
    withhold: Object.entries(withhold)
      .filter(([, on]) => on)
      .map(([ref]) => ({ ref, reason: reason.trim() })),
    include: Object.entries(include)
      .filter(([, on]) => on)
      .map(([ref]) => ref),
  });
  const load = async () => {
    setError(undefined);
    try {
      setPreview(
        await api('POST', `/release-requests/${request.id}/preview`, previewSchema, { body: choices() }),
      );
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const issue = async () => {
    setError(undefined);
    try {
      await api('POST', `/release-requests/${request.id}/issue`, z.object({ id: z.string() }), {
        body: choices(),
      });
      onIssued();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const extraWithheld = Object.values(withhold).some(Boolean);
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="prepare-release">
      <Title order={3} size="h4" id="prepare-release" mb="xs">
        Release for {request.clientName}: {request.basisLabel}
      </Title>
      {preview === undefined ? (
        <Button onClick={() => void load()}>Preview what it holds</Button>
      ) : (
        <Stack gap="sm">
          <Text size="sm">{preview.sections.map((s) => `${s.heading}: ${s.count}`).join(' · ')}</Text>
          <ReleaseSections sections={preview.sections} />
          <RedactedPassages passages={preview.passages} />
          <Table withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Passage</Table.Th>
                <Table.Th>About</Table.Th>
                <Table.Th>In the release?</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {preview.passages.map((p, i) => (
                <Table.Tr key={p.ref} id={`passage-${i}`}>
                  <Table.Td>
                    <Text size="xs" c="dimmed">
                      {p.what}
                    </Text>
                    <Text size="sm" style={{ whiteSpace: 'pre-line' }}>
                      {p.included ? <WithRedactions text={p.text} redactions={p.redactions} /> : '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>{p.about}</Table.Td>
                  <Table.Td>
                    {p.included ? (
                      <Stack gap={4}>
                        <Badge color="alcove" variant="light">
                          Included
                        </Badge>
                        {!accusation && (
                          <Checkbox
                            size="xs"
                            label="Withhold it"
                            checked={withhold[p.ref] === true}
                            onChange={(e) => setWithhold({ ...withhold, [p.ref]: e.currentTarget.checked })}
                          />
                        )}
                      </Stack>
                    ) : (
                      <Stack gap={4}>
                        <Text size="sm">Withheld: {p.reason}</Text>
                        {accusation && (
                          <Checkbox
                            size="xs"
                            label="Select it for the accusation"
                            checked={include[p.ref] === true}
                            onChange={(e) => setInclude({ ...include, [p.ref]: e.currentTarget.checked })}
                          />
                        )}
                      </Stack>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {extraWithheld && (
            <TextInput
              label="Why you withhold the passages you ticked (kept with the release)"
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
            />
          )}
          <Group>
            <Button variant="default" onClick={() => void load()}>
              Preview again
            </Button>
            <Button onClick={() => void issue()} disabled={extraWithheld && reason.trim().length < 3}>
              Issue the release
            </Button>
          </Group>
        </Stack>
      )}
      {error !== undefined && (
        <Alert color="red" role="alert" mt="sm">
          {error}
        </Alert>
      )}
    </Card>
  );
}

/**
 * Every section of the release as it will be issued (sessions, contracts, consents, and so
 * on), but the record's passages, which the table below shows one by one.
 */
function ReleaseSections({ sections }: { sections: Preview['sections'] }) {
  const shown = sections.filter(
    (s) => s.heading !== 'Your record' && s.heading !== 'Selected from the record',
  );
  return (
    <Stack gap="xs">
      {shown.map((s) => (
        <div key={s.heading}>
          <Title order={4} size="h6">
            {s.heading}
          </Title>
          {s.items.length === 0 ? (
            <Text size="sm" c="dimmed">
              Nothing to release.
            </Text>
          ) : (
            s.items.map((item, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: items have no id; a section is never reordered
              <Text size="sm" key={i} style={{ whiteSpace: 'pre-line' }}>
                {item.label !== null && <strong>{item.label}. </strong>}
                {item.text}
              </Text>
            ))
          )}
        </div>
      ))}
    </Stack>
  );
}

/** A released text with each redaction marked in place ("[Partner B’s address]"). */
function WithRedactions({ text, redactions }: Pick<Preview['passages'][number], 'text' | 'redactions'>) {
  const markers = new Set(redactions.map((r) => r.marker));
  if (markers.size === 0) return <>{text}</>;
  const pattern = new RegExp(
    `(${[...markers].map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`,
  );
  return (
    <>
      {text.split(pattern).map((part, i) =>
        markers.has(part) ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text, never reordered
          <Mark key={i}>{part}</Mark>
        ) : (
          part
        ),
      )}
    </>
  );
}

/**
 * The passages in the release where redaction took someone else's details out, with what
 * it took out, so the practitioner reads each in context before issuing: redaction finds
 * details however they are written, but never a paraphrase.
 */
function RedactedPassages({ passages }: { passages: Preview['passages'] }) {
  const redacted = passages.flatMap((p, i) => (p.included && p.redactions.length > 0 ? [{ p, i }] : []));
  return (
    <section aria-labelledby="redacted-passages">
      <Title order={4} size="h6" id="redacted-passages">
        Where other people’s details were taken out
      </Title>
      {redacted.length === 0 ? (
        <Text size="sm" c="dimmed">
          No passage in the release names anyone else.
        </Text>
      ) : (
        <>
          <Text size="sm">
            Read {redacted.length === 1 ? 'this passage' : `these ${redacted.length} passages`} in context
            before you issue the release. Names, contact details, addresses, GPs, emergency contacts and dates
            of birth are found however they are written; a paraphrase (“her flat near the station”) is not.
          </Text>
          <List size="sm">
            {redacted.map(({ p, i }) => (
              <List.Item key={p.ref}>
                <Anchor size="sm" href={`#passage-${i}`}>
                  {p.what} — {p.about}
                </Anchor>
                : {p.redactions.map((r) => `${r.marker}${r.count > 1 ? ` ×${r.count}` : ''}`).join(', ')}
              </List.Item>
            ))}
          </List>
        </>
      )}
    </section>
  );
}

/** On "Your obligations": requests past their deadline. */
export function OverdueRequests() {
  const requests = useApi('/release-requests', requestsSchema);
  if (requests.state !== 'ready') return null;
  const overdue = requests.data.requests.filter((r) => r.overdue);
  if (overdue.length === 0) return null;
  return (
    <Alert
      color="red"
      title={`Overdue: ${overdue.length} request${overdue.length === 1 ? '' : 's'} for records`}
      role="alert"
    >
      {overdue.map((r) => (
        <Text size="sm" key={r.id}>
          {r.clientName}: received {formatDay(r.receivedOn)}, due {r.dueOn === null ? '' : formatDay(r.dueOn)}{' '}
          (UK GDPR: one month).
        </Text>
      ))}
      <Anchor component={Link} to="/releases" size="sm">
        Answer them
      </Anchor>
    </Alert>
  );
}

const exportSchema = z.object({
  purpose: z.string(),
  k: z.number(),
  level: z.number(),
  included: z.number(),
  excluded: z.number(),
  rows: z.array(z.record(z.string(), z.string())),
});

/** A de-identified export for publication, training or research (PG5-4, GT-115). */
function ResearchExport() {
  const [purpose, setPurpose] = useState<string | null>('research');
  const [k, setK] = useState('5');
  const [result, setResult] = useState<z.infer<typeof exportSchema> | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async () => {
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await api('POST', '/research-exports', exportSchema, { body: { purpose, k: Number(k) } }));
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const csv = async () => {
    if (result === undefined) return;
    try {
      const file = await apiFile('/research-exports/csv', { purpose, k: Number(k) });
      const url = URL.createObjectURL(file);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${result.purpose}-export.csv`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="research-export">
      <Title order={3} size="h4" id="research-export" mb="xs">
        De-identified export (PG5-4, GT-115)
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Structured fields only — kind of case, age band, when therapy started, number of sessions, attendance
        — for your clients whose written consent covers the use. Every combination is shared by at least k
        clients, or nothing is exported.
      </Text>
      <Group align="end">
        <Select
          label="For"
          data={[
            { value: 'research', label: 'Research' },
            { value: 'training', label: 'Training' },
            { value: 'publication', label: 'Publication' },
          ]}
          value={purpose}
          onChange={setPurpose}
          allowDeselect={false}
          w={180}
        />
        <TextInput
          label="k (at least 5)"
          type="number"
          value={k}
          onChange={(e) => setK(e.currentTarget.value)}
          w={120}
        />
        <Button variant="default" onClick={() => void run()}>
          Prepare the export
        </Button>
      </Group>
      {error !== undefined && (
        <Alert color="red" role="alert" mt="sm">
          {error}
        </Alert>
      )}
      {result !== undefined && (
        <Alert color="alcove" role="status" mt="sm">
          {result.rows.length} records from {result.included} with consent ({result.excluded} clients without
          consent left out), generalised to level {result.level}.{' '}
          <Anchor component="button" type="button" onClick={() => void csv()}>
            Download as CSV
          </Anchor>
        </Alert>
      )}
    </Card>
  );
}
