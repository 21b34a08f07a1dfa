import {
  consentTypeLabels,
  consentTypes,
  formatDay,
  labelOf,
  londonDay,
  unreadableSchema,
} from '@alcove/core';
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Select,
  SimpleGrid,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { z } from 'zod';
import { ApiProblem, api } from '../api.ts';
import { IntegrityFailed } from '../shell/integrity.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

export const consentsSchema = z.object({
  consents: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      caseId: z.string().nullable(),
      recipient: z.string().nullable(),
      /** Of the recipient: null when read (or there is none). */
      unreadable: unreadableSchema,
      givenOn: z.string(),
      givenBy: z.string(),
      mode: z.string(),
      withdrawnOn: z.string().nullable(),
    }),
  ),
});

/** The words for each kind of consent: one map, in core, for the web, the release PDF and FHIR. */
export const typeLabels = consentTypeLabels;

/** The client's own consents: given, scoped, dated, and withdrawn from a day on. */
export function Consents({ clientId }: { clientId: string }) {
  const consents = useApi(`/clients/${clientId}/consents`, consentsSchema);
  const [form, setForm] = useState({
    type: 'team-sharing',
    recipient: '',
    givenOn: londonDay(new Date()),
    givenBy: 'client',
    mode: 'written-in-person',
  });
  const [error, setError] = useState<string | undefined>(undefined);
  const fail = (e: unknown) =>
    setError(
      e instanceof ApiProblem
        ? [e.problem.detail, ...(e.problem.errors ?? []).map((x) => x.detail)].join(' ')
        : 'Alcove could not be reached.',
    );
  const give = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      await api('POST', `/clients/${clientId}/consents`, z.object({ id: z.string() }), {
        body: {
          type: form.type,
          givenOn: form.givenOn,
          givenBy: form.givenBy,
          mode: form.mode,
          ...(form.recipient.trim() === '' ? {} : { recipient: form.recipient }),
        },
      });
      setForm({ ...form, recipient: '' });
      consents.reload();
    } catch (e) {
      fail(e);
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="consents-title">
      <Title order={3} size="h4" id="consents-title" mb="xs">
        Consents
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Each consent is this client’s own: a partner’s consent never covers them. Every release and use checks
        the consents in force that day.
      </Text>
      {consents.state === 'loading' && <Loading what="consents" />}
      {consents.state === 'failed' && <Failure error={consents.error} />}
      {consents.state === 'ready' && consents.data.consents.length > 0 && (
        <Table withTableBorder mb="sm">
          <Table.Tbody>
            {consents.data.consents.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  {labelOf(typeLabels, c.type)}
                  {c.unreadable === 'tampered' ? (
                    <>
                      : <IntegrityFailed inline />
                    </>
                  ) : c.recipient === null ? (
                    ''
                  ) : (
                    `: ${c.recipient}`
                  )}
                </Table.Td>
                <Table.Td>
                  given {formatDay(c.givenOn)} by{' '}
                  {c.givenBy === 'client' ? 'the client' : 'the appropriate adult'} (
                  {c.mode.replaceAll('-', ' ')})
                </Table.Td>
                <Table.Td w={190}>
                  {c.withdrawnOn === null ? (
                    <Group gap="xs" wrap="nowrap">
                      <Badge color="alcove" variant="light">
                        In force
                      </Badge>
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color="red"
                        onClick={async () => {
                          setError(undefined);
                          await api('POST', `/clients/${clientId}/consents/${c.id}/withdraw`, z.null(), {
                            body: { withdrawnOn: londonDay(new Date()) },
                          }).catch(fail);
                          consents.reload();
                        }}
                      >
                        Withdrawn today
                      </Button>
                    </Group>
                  ) : (
                    <Text size="sm">withdrawn {formatDay(c.withdrawnOn)}</Text>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {error !== undefined && (
        <Alert color="red" role="alert" mb="sm">
          {error}
        </Alert>
      )}
      <form onSubmit={give}>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label="Consent to"
            data={consentTypes.map((t) => ({ value: t, label: typeLabels[t] }))}
            value={form.type}
            onChange={(type) => setForm({ ...form, type: type ?? 'team-sharing' })}
            allowDeselect={false}
          />
          {form.type === 'third-party-release' && (
            <TextInput
              label="Released to (name and role)"
              required
              value={form.recipient}
              onChange={(e) => setForm({ ...form, recipient: e.currentTarget.value })}
            />
          )}
          <TextInput
            label="Given on"
            type="date"
            required
            value={form.givenOn}
            onChange={(e) => setForm({ ...form, givenOn: e.currentTarget.value })}
          />
          <Select
            label="Given by"
            data={[
              { value: 'client', label: 'The client' },
              { value: 'appropriate-adult', label: 'The appropriate adult' },
            ]}
            value={form.givenBy}
            onChange={(givenBy) => setForm({ ...form, givenBy: givenBy ?? 'client' })}
            allowDeselect={false}
          />
          <Select
            label="How"
            data={[
              { value: 'written-in-person', label: 'Written, in person' },
              { value: 'written-by-post', label: 'Written, by post' },
              { value: 'portal', label: 'In the client portal' },
            ]}
            value={form.mode}
            onChange={(mode) => setForm({ ...form, mode: mode ?? 'written-in-person' })}
            allowDeselect={false}
          />
        </SimpleGrid>
        <Button type="submit" mt="sm" variant="default">
          Record consent
        </Button>
      </form>
    </Card>
  );
}
