import { formatDay, londonDay, unreadableSchema } from '@alcove/core';
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
import { useState } from 'react';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { IntegrityFailed, Sealed } from '../shell/integrity.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

const basesSchema = z.object({
  bases: z.array(z.object({ id: z.string(), label: z.string() })),
  withholdBases: z.array(z.object({ id: z.string(), label: z.string() })),
});
const listSchema = z.object({
  disclosures: z.array(
    z.object({
      id: z.string(),
      clientId: z.string(),
      disclosedOn: z.string(),
      legalBasis: z.string(),
      withheldFromClient: z.boolean(),
      recipient: z.string().nullable(),
      what: z.string().nullable(),
      legalBasisDetail: z.string().nullable(),
      whyNoConsent: z.string().nullable(),
      justification: z.string().nullable(),
      withholdBasis: z.string().nullable(),
      unreadable: unreadableSchema,
    }),
  ),
});

const empty = {
  clientId: null as string | null,
  disclosedOn: londonDay(new Date()),
  recipient: '',
  what: '',
  legalBasis: null as string | null,
  legalBasisDetail: '',
  whyNoConsent: '',
  justification: '',
  withholdFromClient: false,
  withholdBasis: '',
};

/** On the case page: disclosures made without consent (PG5-2), and recording one. */
export function CaseDisclosures({
  caseId,
  participants,
}: {
  caseId: string;
  participants: readonly { clientId: string; label: string; name: string | null }[];
}) {
  const list = useApi(`/cases/${caseId}/disclosures`, listSchema);
  const bases = useApi('/settings/legal-bases', basesSchema);
  const [form, setForm] = useState(empty);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const labelOf = (id: string) =>
    bases.state === 'ready' ? (bases.data.bases.find((b) => b.id === id)?.label ?? id) : id;
  const who = (clientId: string) => {
    const p = participants.find((x) => x.clientId === clientId);
    return p === undefined ? 'a client' : `${p.label}${p.name === null ? '' : ` (${p.name})`}`;
  };
  const save = async () => {
    setError(undefined);
    const optional = (key: string, value: string) => (value.trim() === '' ? {} : { [key]: value.trim() });
    try {
      await api('POST', `/cases/${caseId}/disclosures`, z.object({ id: z.string() }), {
        body: {
          clientId: form.clientId,
          disclosedOn: form.disclosedOn,
          recipient: form.recipient,
          what: form.what,
          legalBasis: form.legalBasis,
          ...optional('legalBasisDetail', form.legalBasisDetail),
          whyNoConsent: form.whyNoConsent,
          justification: form.justification,
          withholdFromClient: form.withholdFromClient,
          ...optional('withholdBasis', form.withholdBasis),
        },
      });
      setForm(empty);
      setOpen(false);
      list.reload();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="disclosures-title">
      <Title order={3} size="h4" id="disclosures-title" mb="xs">
        Disclosures without consent (PG5-2)
      </Title>
      {list.state === 'loading' && <Loading what="the disclosures" />}
      {list.state === 'failed' && <Failure error={list.error} />}
      {list.state === 'ready' &&
        (list.data.disclosures.length === 0 ? (
          <Text size="sm" c="dimmed" mb="sm">
            None recorded.
          </Text>
        ) : (
          <Table withTableBorder mb="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>About</Table.Th>
                <Table.Th>To whom, and what</Table.Th>
                <Table.Th>Basis</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.disclosures.map((d) => (
                <Table.Tr key={d.id}>
                  <Table.Td>{formatDay(d.disclosedOn)}</Table.Td>
                  <Table.Td>{who(d.clientId)}</Table.Td>
                  <Table.Td>
                    <Sealed
                      value={d.recipient}
                      unreadable={d.unreadable}
                      shredded="Its details can no longer be read: their key was destroyed."
                    >
                      {(recipient) => (
                        <>
                          <Text size="sm" fw={600}>
                            {recipient}
                          </Text>
                          <Text size="sm">{d.what}</Text>
                          <Text size="xs" c="dimmed">
                            No consent sought: {d.whyNoConsent} Justification: {d.justification}
                          </Text>
                        </>
                      )}
                    </Sealed>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {d.legalBasis === 'other' ? d.legalBasisDetail : labelOf(d.legalBasis)}
                    </Text>
                    {d.withheldFromClient && (
                      <Badge color="red.8" variant="filled" mt={4} title={d.withholdBasis ?? ''}>
                        Withheld from the client
                      </Badge>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
      {!open ? (
        <Button variant="default" onClick={() => setOpen(true)}>
          Record a disclosure
        </Button>
      ) : (
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label="About"
              data={participants.map((p) => ({ value: p.clientId, label: who(p.clientId) }))}
              value={form.clientId}
              onChange={(clientId) => setForm({ ...form, clientId })}
            />
            <TextInput
              label="Disclosed on"
              type="date"
              value={form.disclosedOn}
              onChange={(e) => setForm({ ...form, disclosedOn: e.currentTarget.value })}
            />
            <TextInput
              label="To whom"
              value={form.recipient}
              onChange={(e) => setForm({ ...form, recipient: e.currentTarget.value })}
            />
            <Select
              label="Under which law or duty"
              data={[
                ...(bases.state === 'ready'
                  ? bases.data.bases.map((b) => ({ value: b.id, label: b.label }))
                  : []),
                { value: 'other', label: 'Other (say which)' },
              ]}
              value={form.legalBasis}
              onChange={(legalBasis) => setForm({ ...form, legalBasis })}
            />
          </SimpleGrid>
          {form.legalBasis === 'other' && (
            <TextInput
              label="Which law or duty"
              value={form.legalBasisDetail}
              onChange={(e) => setForm({ ...form, legalBasisDetail: e.currentTarget.value })}
            />
          )}
          <Textarea
            label="What was disclosed"
            autosize
            minRows={2}
            value={form.what}
            onChange={(e) => setForm({ ...form, what: e.currentTarget.value })}
          />
          <Textarea
            label="Why consent was not sought"
            autosize
            minRows={2}
            value={form.whyNoConsent}
            onChange={(e) => setForm({ ...form, whyNoConsent: e.currentTarget.value })}
          />
          <Textarea
            label="Your justification"
            autosize
            minRows={2}
            value={form.justification}
            onChange={(e) => setForm({ ...form, justification: e.currentTarget.value })}
          />
          <Checkbox
            label="The law forbids telling the client: withhold this from everything they can see"
            checked={form.withholdFromClient}
            onChange={(e) => setForm({ ...form, withholdFromClient: e.currentTarget.checked })}
          />
          {form.withholdFromClient && (
            <TextInput
              label="Which law forbids telling them"
              description={
                bases.state === 'ready' ? bases.data.withholdBases.map((b) => b.label).join('; ') : undefined
              }
              value={form.withholdBasis}
              onChange={(e) => setForm({ ...form, withholdBasis: e.currentTarget.value })}
            />
          )}
          {error !== undefined && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Group>
            <Button onClick={() => void save()}>Record the disclosure</Button>
            <Button variant="subtle" onClick={() => setOpen(false)}>
              Cancel
            </Button>
          </Group>
        </Stack>
      )}
    </Card>
  );
}

const portalSchema = z.object({
  disclosures: z.array(
    z.object({
      id: z.string(),
      disclosedOn: z.string(),
      recipient: z.string().nullable(),
      legalBasis: z.string(),
      unreadable: unreadableSchema,
    }),
  ),
});

/** In the portal: what was disclosed about the client without consent, where they may be told (PG5-2). */
export function PortalDisclosures() {
  const list = useApi('/portal/disclosures', portalSchema);
  if (list.state !== 'ready' || list.data.disclosures.length === 0) return null;
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="portal-disclosures-title">
      <Title order={3} size="h4" id="portal-disclosures-title" mb="xs">
        Information shared without your consent
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Rarely, the law or a serious risk of harm means information is shared without asking first. Ask your
        therapist about any of these.
      </Text>
      {list.data.disclosures.map((d) => (
        <Text size="sm" key={d.id}>
          {formatDay(d.disclosedOn)}: shared with{' '}
          {d.unreadable === 'tampered' ? <IntegrityFailed inline /> : (d.recipient ?? 'someone')}
        </Text>
      ))}
    </Card>
  );
}
