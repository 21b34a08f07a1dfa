import type { ProblemDocument } from '@alcove/core';
import { formatDate, unreadableSchema } from '@alcove/core';
import {
  Alert,
  Anchor,
  Button,
  Card,
  Checkbox,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { z } from 'zod';
import { ApiProblem, api } from '../api.ts';
import { useSession } from '../session.tsx';
import { IntegrityFailed } from '../shell/integrity.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import type { Loadable } from '../use-api.ts';

const clientsSchema = z.object({
  clients: z.array(
    z.object({
      id: z.string(),
      name: z.string().nullable(),
      unreadable: unreadableSchema,
      createdAt: z.string(),
    }),
  ),
});

/**
 * Every client you may see, or those with a name: the name goes in a POST body, never in
 * a URL (a URL is kept in access logs, proxies and the browser's history).
 */
function useClients(query: string): Loadable<z.output<typeof clientsSchema>> {
  const [result, setResult] = useState<Loadable<z.output<typeof clientsSchema>>>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    setResult({ state: 'loading' });
    const request =
      query === ''
        ? api('GET', '/clients', clientsSchema, { signal: controller.signal })
        : api('POST', '/clients/search', clientsSchema, { body: { name: query }, signal: controller.signal });
    request.then(
      (data) => setResult({ state: 'ready', data }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setResult({ state: 'failed', error: error instanceof Error ? error : new Error('Request failed') });
      },
    );
    return () => controller.abort();
  }, [query]);
  return result;
}

export function ClientsPage() {
  const { session } = useSession();
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const clients = useClients(query);
  const isPractitioner = session?.roles.includes('practitioner') ?? false;
  return (
    <Stack gap="lg" maw={960}>
      <Title order={2}>Clients</Title>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setQuery(search.trim());
        }}
      >
        <Group align="flex-end">
          <TextInput
            label="Find by full name"
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
          />
          <Button type="submit" variant="default">
            Find
          </Button>
          {query !== '' && (
            <Button
              variant="subtle"
              onClick={() => {
                setSearch('');
                setQuery('');
              }}
            >
              Show all
            </Button>
          )}
        </Group>
      </form>
      {clients.state === 'loading' && <Loading what="clients" />}
      {clients.state === 'failed' && <Failure error={clients.error} />}
      {clients.state === 'ready' &&
        (clients.data.clients.length === 0 ? (
          <Text c="dimmed">No clients yet.</Text>
        ) : (
          <Table striped highlightOnHover withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Taken on</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {clients.data.clients.map((client) => (
                <Table.Tr key={client.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/clients/${client.id}`}>
                      {client.unreadable === 'tampered' || client.name === null ? (
                        <IntegrityFailed inline />
                      ) : (
                        client.name
                      )}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{formatDate(client.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
      {isPractitioner && <NewClient />}
    </Stack>
  );
}

function NewClient() {
  const navigate = useNavigate();
  const [fields, setFields] = useState({
    name: '',
    preferredName: '',
    pronouns: '',
    dateOfBirth: '',
    email: '',
    phone: '',
    languageNeeds: '',
    accessNeeds: '',
    lawfulBasis: 'contract',
    specialCategoryCondition: 'health-or-social-care',
  });
  const [vulnerableAdult, setVulnerableAdult] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<ProblemDocument | undefined>(undefined);
  const [decisions, setDecisions] = useState<Record<string, { decision: string; reason: string }>>({});
  const set = (key: keyof typeof fields) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setFields({ ...fields, [key]: e.currentTarget.value });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    // Only what was filled in is sent: an empty optional field is not a value.
    const identity = Object.fromEntries(Object.entries(fields).filter(([, v]) => v.trim() !== ''));
    try {
      const conflictDecisions = Object.entries(decisions)
        .filter(([, d]) => d.decision !== '' && d.reason.trim() !== '')
        .map(([matchId, d]) => ({ matchId, decision: d.decision, reason: d.reason }));
      const created = await api('POST', '/clients', z.object({ id: z.string() }), {
        body: {
          identity: { ...identity, ...(vulnerableAdult ? { vulnerableAdult: true } : {}) },
          ...(conflictDecisions.length === 0 ? {} : { conflictDecisions }),
        },
      });
      await navigate(`/clients/${created.id}`);
    } catch (problem) {
      if (problem instanceof ApiProblem && problem.problem.code === 'refused-by-code') {
        setConflict(problem.problem);
        return;
      }
      setError(
        problem instanceof ApiProblem
          ? [
              problem.problem.detail,
              ...(problem.problem.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`),
            ].join(' ')
          : 'Alcove could not be reached.',
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="new-client">
      <form onSubmit={submit} noValidate>
        <Stack>
          <Title order={3} size="h4" id="new-client">
            Take on a client
          </Title>
          {error !== undefined && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Full name" required value={fields.name} onChange={set('name')} />
            <TextInput label="Preferred name" value={fields.preferredName} onChange={set('preferredName')} />
            <TextInput label="Pronouns" value={fields.pronouns} onChange={set('pronouns')} />
            <TextInput
              label="Date of birth"
              type="date"
              value={fields.dateOfBirth}
              onChange={set('dateOfBirth')}
            />
            <TextInput label="E-mail address" type="email" value={fields.email} onChange={set('email')} />
            <TextInput label="Phone" type="tel" value={fields.phone} onChange={set('phone')} />
            <TextInput
              label="Language and communication needs (GT-58)"
              value={fields.languageNeeds}
              onChange={set('languageNeeds')}
            />
            <TextInput label="Adjustments (GT-82)" value={fields.accessNeeds} onChange={set('accessNeeds')} />
            <Select
              label="Lawful basis for holding their data (UK GDPR)"
              data={[
                { value: 'contract', label: 'Contract' },
                { value: 'legitimate-interests', label: 'Legitimate interests' },
                { value: 'consent', label: 'Consent' },
              ]}
              value={fields.lawfulBasis}
              onChange={(lawfulBasis) => setFields({ ...fields, lawfulBasis: lawfulBasis ?? 'contract' })}
              allowDeselect={false}
            />
            <Select
              label="Special-category condition"
              data={[
                { value: 'health-or-social-care', label: 'Health or social care' },
                { value: 'explicit-consent', label: 'Explicit consent' },
              ]}
              value={fields.specialCategoryCondition}
              onChange={(c) =>
                setFields({ ...fields, specialCategoryCondition: c ?? 'health-or-social-care' })
              }
              allowDeselect={false}
            />
          </SimpleGrid>
          <Checkbox
            label="A vulnerable adult: special needs or vulnerabilities (GT-26, GT-27, GT-65 apply as for under-18s)"
            checked={vulnerableAdult}
            onChange={(e) => setVulnerableAdult(e.currentTarget.checked)}
          />
          {conflict !== undefined && (
            <Alert
              color={conflict.overridable === true ? 'caution' : 'red'}
              title={`Conflict check: ${conflict.clause} (${conflict.duty})`}
              role="alert"
            >
              <Text size="sm">{conflict.detail}</Text>
              <Text size="sm" fs="italic" mt="xs">
                “{conflict.clauseText}”
              </Text>
              <Stack gap="sm" mt="sm">
                {(conflict.matches ?? []).map((match, index) => (
                  <Card key={match.matchId} withBorder padding="sm">
                    <Text size="sm" fw={600} mb={4}>
                      Match {index + 1}:{' '}
                      {match.kind === 'connection'
                        ? 'one of your declared personal connections'
                        : 'one of your clients, current or past'}{' '}
                      ({match.clause})
                    </Text>
                    <SimpleGrid cols={{ base: 1, sm: 2 }}>
                      <Select
                        label="Your decision"
                        placeholder="Choose"
                        data={[
                          { value: 'different-person', label: 'A different person' },
                          ...(match.overridable
                            ? [{ value: 'proceed', label: 'The same person: go ahead, with my reason' }]
                            : []),
                        ]}
                        value={decisions[match.matchId]?.decision ?? null}
                        onChange={(decision) =>
                          setDecisions({
                            ...decisions,
                            [match.matchId]: {
                              decision: decision ?? '',
                              reason: decisions[match.matchId]?.reason ?? '',
                            },
                          })
                        }
                      />
                      <TextInput
                        label="Reason (recorded)"
                        value={decisions[match.matchId]?.reason ?? ''}
                        onChange={(e) =>
                          setDecisions({
                            ...decisions,
                            [match.matchId]: {
                              decision: decisions[match.matchId]?.decision ?? '',
                              reason: e.currentTarget.value,
                            },
                          })
                        }
                      />
                    </SimpleGrid>
                  </Card>
                ))}
              </Stack>
            </Alert>
          )}
          <Group>
            <Button type="submit" loading={busy}>
              {conflict === undefined ? 'Add client' : 'Add client with these decisions'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
