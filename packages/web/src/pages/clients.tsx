import { formatDate } from '@alcove/core';
import {
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { z } from 'zod';
import { ApiProblem, api } from '../api.ts';
import { useSession } from '../session.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

const clientsSchema = z.object({
  clients: z.array(z.object({ id: z.string(), name: z.string(), createdAt: z.string() })),
});

export function ClientsPage() {
  const { session } = useSession();
  const clients = useApi('/clients', clientsSchema);
  const isPractitioner = session?.roles.includes('practitioner') ?? false;
  return (
    <Stack gap="lg" maw={960}>
      <Title order={2}>Clients</Title>
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
                      {client.name}
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
  });
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof fields) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setFields({ ...fields, [key]: e.currentTarget.value });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    // Only what was filled in is sent: an empty optional field is not a value.
    const identity = Object.fromEntries(Object.entries(fields).filter(([, v]) => v.trim() !== ''));
    try {
      const created = await api('POST', '/clients', z.object({ id: z.string() }), { body: { identity } });
      await navigate(`/clients/${created.id}`);
    } catch (problem) {
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
          </SimpleGrid>
          <Group>
            <Button type="submit" loading={busy}>
              Add client
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
