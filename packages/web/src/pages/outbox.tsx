import { formatDateTime, unreadableSchema } from '@alcove/core';
import { Alert, Anchor, Badge, Button, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { IntegrityFailed } from '../shell/integrity.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

const outboxSchema = z.object({
  mailSetUp: z.boolean(),
  messages: z.array(
    z.object({
      id: z.string(),
      recipientKind: z.enum(['client', 'staff', 'practice', 'invitee']),
      staffName: z.string().nullable(),
      clientId: z.string().nullable(),
      clientName: z.string().nullable(),
      purposeLabel: z.string(),
      status: z.enum(['queued', 'sent', 'captured', 'failed', 'withheld']),
      withheldReason: z.string().nullable(),
      attempts: z.number(),
      nextAttemptAt: z.string().nullable(),
      lastError: z.string().nullable(),
      /** A failed message that could not be read: it failed its integrity check, or its key was destroyed. */
      unreadable: unreadableSchema,
      createdAt: z.string(),
      sentAt: z.string().nullable(),
    }),
  ),
});

const statusBadge = {
  queued: { label: 'Waiting to send', color: 'blue.2' },
  sent: { label: 'Sent', color: 'alcove' },
  captured: { label: 'Kept here (not sent)', color: 'grape.2' },
  failed: { label: 'Could not be sent', color: 'red.8' },
  withheld: { label: 'Withheld', color: 'orange.3' },
} as const;

/** Every message Alcove sends: what went, what waits, what failed and why, and what was withheld. */
export function OutboxPage() {
  const outbox = useApi('/outbox', outboxSchema);
  const [error, setError] = useState<string | undefined>(undefined);
  const retry = async (id: string) => {
    setError(undefined);
    try {
      await api('POST', `/outbox/${id}/retry`, z.null(), { body: {} });
      outbox.reload();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  return (
    <Stack gap="lg" maw={1100}>
      <Title order={2}>Messages sent</Title>
      <Text c="dimmed">
        Messages name only their recipient and the practice: never anything clinical, never another client. A
        message Alcove may not send — no address, a channel the client marked unsafe, or a safety flag — is
        withheld and listed here, so you can reach the client another way.
      </Text>
      {outbox.state === 'loading' && <Loading what="the messages" />}
      {outbox.state === 'failed' && <Failure error={outbox.error} />}
      {outbox.state === 'ready' && !outbox.data.mailSetUp && (
        <Alert color="orange" title="E-mail is not set up">
          Messages wait here until an administrator sets up e-mail in{' '}
          <Anchor component={Link} to="/settings">
            Practice settings
          </Anchor>
          .
        </Alert>
      )}
      {error !== undefined && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      {outbox.state === 'ready' &&
        (outbox.data.messages.length === 0 ? (
          <Text>No messages yet.</Text>
        ) : (
          <Table withTableBorder striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Written</Table.Th>
                <Table.Th>To</Table.Th>
                <Table.Th>Message</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {outbox.data.messages.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>{formatDateTime(m.createdAt)}</Table.Td>
                  <Table.Td>
                    {m.recipientKind === 'practice' ? (
                      'The practice'
                    ) : m.recipientKind === 'staff' ? (
                      (m.staffName ?? 'A member of staff')
                    ) : m.recipientKind === 'invitee' ? (
                      'Someone invited to the staff'
                    ) : m.clientId === null ? (
                      '—'
                    ) : (
                      <Anchor component={Link} to={`/clients/${m.clientId}`}>
                        {m.clientName ?? 'A client'}
                      </Anchor>
                    )}
                  </Table.Td>
                  <Table.Td>{m.purposeLabel}</Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Badge color={statusBadge[m.status].color} variant="filled" autoContrast>
                      {statusBadge[m.status].label}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {m.status === 'withheld' && m.withheldReason}
                      {(m.status === 'sent' || m.status === 'captured') &&
                        m.sentAt !== null &&
                        formatDateTime(m.sentAt)}
                      {m.status === 'queued' &&
                        (m.attempts === 0
                          ? 'Not tried yet'
                          : `Tried ${m.attempts} time${m.attempts === 1 ? '' : 's'}: ${m.lastError ?? ''}. Next try ${
                              m.nextAttemptAt === null ? 'soon' : formatDateTime(m.nextAttemptAt)
                            }.`)}
                      {m.status === 'failed' &&
                        m.unreadable === null &&
                        `Tried ${m.attempts} times: ${m.lastError ?? ''}.`}
                      {m.unreadable === 'shredded' && m.lastError}
                    </Text>
                    {m.unreadable === 'tampered' && <IntegrityFailed />}
                    {m.status === 'failed' && m.unreadable === null && (
                      <Button size="compact-sm" variant="default" mt={4} onClick={() => void retry(m.id)}>
                        Send again
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Stack>
  );
}
