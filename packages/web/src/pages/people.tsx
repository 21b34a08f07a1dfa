import {
  createdStaffInvitationSchema,
  formatDate,
  formatDateTime,
  issuedPasswordResetSchema,
  type Person,
  peopleSchema,
} from '@alcove/core';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Group,
  Menu,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { z } from 'zod';
import { ApiProblem, api, describeProblem } from '../api.ts';
import { useSession } from '../session.tsx';
import { ShownOnceLink } from '../shell/shown-once-link.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

/** The roles a member of staff may hold, in the order the page lists them. */
export const staffRoleOrder = ['practitioner', 'administrator', 'supervisor', 'executor'] as const;
export type StaffRole = (typeof staffRoleOrder)[number];

/** What each role is called, and what it may see (PRODUCT.md, "Who uses it"; core/src/access.ts). */
export const staffRoleWords: Record<StaffRole, { label: string; sees: string }> = {
  practitioner: {
    label: 'Practitioner',
    sees: 'Runs their own caseload: their clients’ records, notes, contracts and consents. Never another practitioner’s clients, unless a client consents to sharing (PG5-3).',
  },
  administrator: {
    label: 'Administrator',
    sees: 'Runs the practice: its people, settings and messages, and clients’ names and contact details. Never any clinical content — no notes, assessments or disclosures.',
  },
  supervisor: {
    label: 'Supervisor',
    sees: 'Sees only the case presentations made to them for supervision, under a pseudonym (PG5-5). Never a client’s name or record.',
  },
  executor: {
    label: 'Professional executor',
    sees: 'After a practitioner’s death or incapacity is declared, the client contact list needed to tell clients and hand over (GT-41). Nothing clinical beyond that.',
  },
};

export function roleLabel(role: string): string {
  return role in staffRoleWords ? staffRoleWords[role as StaffRole].label : role;
}

function sortedRoles(roles: readonly string[]): string[] {
  return [...roles].sort(
    (a, b) => staffRoleOrder.indexOf(a as StaffRole) - staffRoleOrder.indexOf(b as StaffRole),
  );
}

/** "Practitioner, Administrator": the roles in the page's order. */
function rolesList(roles: readonly string[]): string {
  return sortedRoles(roles).map(roleLabel).join(', ');
}

type Invitation = z.infer<typeof peopleSchema>['invitations'][number];

/** The practice's people: who works here, in which roles, and who is invited (administrators). */
export function PeoplePage() {
  const people = useApi('/people', peopleSchema);
  return (
    <Stack gap="lg" maw={1100}>
      <Title order={2}>People</Title>
      <Text c="dimmed">
        Everyone who works in this practice, in the roles they hold. Each signs in with their own password and
        an authenticator. Clients are not listed here: they reach their portal from their practitioner’s
        invitation.
      </Text>
      {people.state === 'loading' && <Loading what="the practice’s people" />}
      {people.state === 'failed' && <Failure error={people.error} />}
      {people.state === 'ready' && (
        <>
          <Staff people={people.data.people} onChanged={people.reload} />
          <Invitations invitations={people.data.invitations} onChanged={people.reload} />
        </>
      )}
      <Invite onInvited={people.reload} />
    </Stack>
  );
}

function RoleChoice({
  value,
  onChange,
  label,
}: {
  value: string[];
  onChange: (roles: string[]) => void;
  label: string;
}) {
  return (
    <Checkbox.Group label={label} value={value} onChange={onChange} required>
      <Stack gap="sm" mt="xs">
        {staffRoleOrder.map((role) => (
          <Checkbox
            key={role}
            value={role}
            label={staffRoleWords[role].label}
            description={staffRoleWords[role].sees}
          />
        ))}
      </Stack>
    </Checkbox.Group>
  );
}

function Invite({ onInvited }: { onInvited: () => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [result, setResult] = useState<
    { kind: 'sent'; expiresAt: string } | { kind: 'shown-once'; link: string; expiresAt: string } | undefined
  >(undefined);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      const invited = await api('POST', '/people/invitations', createdStaffInvitationSchema, {
        body: { email: email.trim(), name: name.trim(), roles },
      });
      setResult(
        invited.delivery === 'shown-once' && invited.link !== null
          ? { kind: 'shown-once', link: invited.link, expiresAt: invited.expiresAt }
          : { kind: 'sent', expiresAt: invited.expiresAt },
      );
      setEmail('');
      setName('');
      setRoles([]);
      onInvited();
    } catch (e) {
      setError(describeProblem(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="invite-title">
      <form onSubmit={submit} noValidate>
        <Stack>
          <Title order={3} size="h4" id="invite-title">
            Invite someone
          </Title>
          <Text size="sm" c="dimmed">
            They receive a link that works once, for 7 days. With it they choose a password and set up an
            authenticator; someone who already has an Alcove account (a supervisor of another practice, say)
            confirms it with their current password instead.
          </Text>
          <Group grow align="flex-start">
            <TextInput
              label="Their e-mail address"
              type="email"
              autoComplete="off"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
            />
            <TextInput
              label="Their name"
              autoComplete="off"
              required
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
            />
          </Group>
          <RoleChoice label="Their roles in this practice" value={roles} onChange={setRoles} />
          {error !== undefined && (
            <Alert color="red" role="alert" title="Not invited">
              {error}
            </Alert>
          )}
          {result?.kind === 'sent' && (
            <Alert color="alcove" role="status" title="Invitation sent">
              An e-mail with their link is on its way. The link works once, until{' '}
              {formatDate(result.expiresAt)}.
            </Alert>
          )}
          {result?.kind === 'shown-once' && (
            <ShownOnceLink
              link={result.link}
              expiresAt={result.expiresAt}
              onDone={() => setResult(undefined)}
            />
          )}
          <Group>
            <Button
              type="submit"
              loading={busy}
              disabled={email.trim() === '' || name.trim() === '' || roles.length === 0}
            >
              Invite
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

type Act =
  | { kind: 'roles'; person: Person }
  | { kind: 'suspend'; person: Person }
  | { kind: 'reinstate'; person: Person }
  | { kind: 'end-sessions'; person: Person }
  | { kind: 'reset-password'; person: Person }
  | { kind: 'remove'; person: Person };

function Staff({ people, onChanged }: { people: readonly Person[]; onChanged: () => void }) {
  const { session } = useSession();
  const [act, setAct] = useState<Act | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const me = session?.user.id;
  const sorted = [...people].sort((a, b) => a.name.localeCompare(b.name, 'en-GB'));
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="staff-title">
      <Stack>
        <Title order={3} size="h4" id="staff-title">
          Staff
        </Title>
        {notice !== undefined && (
          <Alert color="alcove" role="status" withCloseButton onClose={() => setNotice(undefined)}>
            {notice}
          </Alert>
        )}
        <Table.ScrollContainer minWidth={760}>
          <Table verticalSpacing="sm" data-testid="people-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Roles</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Authenticator</Table.Th>
                <Table.Th>Last signed in</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sorted.map((person) => (
                <Table.Tr key={person.userId} data-testid={`person-${person.email}`}>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {person.name}
                      {person.userId === me ? ' (you)' : ''}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {person.email}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{rolesList(person.roles)}</Text>
                  </Table.Td>
                  <Table.Td>
                    {person.status === 'active' ? (
                      <Text size="sm">Active</Text>
                    ) : (
                      <Text size="sm" fw={700} c="red.8">
                        Suspended
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{person.mfaEnrolled ? 'Set up' : 'Not yet set up'}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                      {person.lastSignInAt === null ? 'Never' : formatDateTime(person.lastSignInAt)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Menu position="bottom-end" withinPortal withInitialFocusPlaceholder={false}>
                      <Menu.Target>
                        <Button variant="default" size="xs" aria-label={`Manage ${person.name}`}>
                          Manage
                        </Button>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item onClick={() => setAct({ kind: 'roles', person })}>Change roles…</Menu.Item>
                        {/* Your own sessions and password are on your account page, where you confirm it is you. */}
                        {person.userId !== me && (
                          <Menu.Item onClick={() => setAct({ kind: 'end-sessions', person })}>
                            End all their sessions…
                          </Menu.Item>
                        )}
                        {person.userId !== me && person.status === 'active' && (
                          <Menu.Item onClick={() => setAct({ kind: 'reset-password', person })}>
                            Reset their password…
                          </Menu.Item>
                        )}
                        {person.userId !== me &&
                          (person.status === 'active' ? (
                            <Menu.Item onClick={() => setAct({ kind: 'suspend', person })}>
                              Suspend…
                            </Menu.Item>
                          ) : (
                            <Menu.Item onClick={() => setAct({ kind: 'reinstate', person })}>
                              Reinstate…
                            </Menu.Item>
                          ))}
                        {person.userId !== me && (
                          <Menu.Item color="red.8" onClick={() => setAct({ kind: 'remove', person })}>
                            Remove from the practice…
                          </Menu.Item>
                        )}
                      </Menu.Dropdown>
                    </Menu>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
      {act !== undefined && (
        <ActModal
          act={act}
          onClose={() => setAct(undefined)}
          onDone={(text) => {
            setAct(undefined);
            setNotice(text);
            onChanged();
          }}
        />
      )}
    </Card>
  );
}

/**
 * A dialog asking to confirm one act. Its header is not a page banner (the shell's header
 * is the one), and its close button says what it does.
 */
function ConfirmModal({
  title,
  onClose,
  size,
  children,
}: {
  title: string;
  onClose: () => void;
  size?: string;
  children: React.ReactNode;
}) {
  return (
    <Modal.Root opened onClose={onClose} size={size ?? 'md'}>
      <Modal.Overlay />
      <Modal.Content>
        <Modal.Header component="div">
          <Modal.Title fw={700}>{title}</Modal.Title>
          <Modal.CloseButton aria-label="Close" />
        </Modal.Header>
        <Modal.Body>{children}</Modal.Body>
      </Modal.Content>
    </Modal.Root>
  );
}

/** The refusal the server gave (the last administrator, yourself), in its own words. */
function Refusal({ error }: { error: unknown }) {
  const title =
    error instanceof ApiProblem && error.status === 409 ? 'Alcove refused this' : 'This did not happen';
  return (
    <Alert color="red" role="alert" title={title}>
      {describeProblem(error)}
    </Alert>
  );
}

function ActModal({
  act,
  onClose,
  onDone,
}: {
  act: Act;
  onClose: () => void;
  onDone: (notice: string) => void;
}) {
  const { person } = act;
  const [roles, setRoles] = useState<string[]>(sortedRoles(person.roles));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  /** A password reset link the practice's e-mail did not send: shown here, this once. */
  const [shown, setShown] = useState<{ link: string; expiresAt: string } | undefined>(undefined);
  const base = `/people/${encodeURIComponent(person.userId)}`;

  const words: Record<Act['kind'], { title: string; body: string; confirm: string; done: string }> = {
    roles: {
      title: `Change the roles of ${person.name}`,
      body: 'They are signed out everywhere, and any API token of theirs ends, so that they sign in again with their new roles.',
      confirm: 'Change their roles',
      done: `The roles of ${person.name} are changed; they sign in again to use them.`,
    },
    suspend: {
      title: `Suspend ${person.name}`,
      body: 'They are signed out at once, everywhere, and cannot sign in to this practice until they are reinstated. Their API tokens end. Nothing of what they wrote is removed.',
      confirm: 'Suspend',
      done: `${person.name} is suspended and signed out.`,
    },
    reinstate: {
      title: `Reinstate ${person.name}`,
      body: 'They can sign in to this practice again, with the roles they held.',
      confirm: 'Reinstate',
      done: `${person.name} is reinstated.`,
    },
    'end-sessions': {
      title: `End every session of ${person.name}`,
      body: 'Every browser they are signed in on is signed out at once, and every API token of theirs ends. They can sign in again with their password and authenticator — use this when a device is lost, or something looks wrong.',
      confirm: 'End all their sessions',
      done: `Every session and token of ${person.name} has ended.`,
    },
    'reset-password': {
      title: `Reset the password of ${person.name}`,
      body: 'This makes a link with which they choose a new password. It works once, for an hour. When they use it, every session and API token of theirs ends; they still need their authenticator code to sign in (or set one up, if they have none). Their current password keeps working until then.',
      confirm: 'Make the link',
      done: `An e-mail with a link to choose a new password is on its way to ${person.name}. It works once, for an hour.`,
    },
    remove: {
      title: `Remove ${person.name} from the practice`,
      body: 'They lose every role in this practice and are signed out at once. What they wrote stays in the record, under their name. Their account remains for any other practice they belong to.',
      confirm: 'Remove from the practice',
      done: `${person.name} is no longer a member of this practice.`,
    },
  };
  const w = words[act.kind];

  async function confirm() {
    setBusy(true);
    setError(undefined);
    try {
      switch (act.kind) {
        case 'roles':
          await api('PUT', `${base}/roles`, z.unknown(), { body: { roles } });
          break;
        case 'suspend':
          await api('POST', `${base}/suspend`, z.unknown(), { body: {} });
          break;
        case 'reinstate':
          await api('POST', `${base}/reinstate`, z.unknown(), { body: {} });
          break;
        case 'end-sessions':
          await api('POST', `${base}/sessions/end`, z.unknown(), { body: {} });
          break;
        case 'reset-password': {
          const issued = await api('POST', `${base}/password-reset`, issuedPasswordResetSchema, { body: {} });
          if (issued.delivery === 'shown-once' && issued.link !== null) {
            setShown({ link: issued.link, expiresAt: issued.expiresAt });
            return;
          }
          break;
        }
        case 'remove':
          await api('DELETE', base, z.unknown());
          break;
      }
      onDone(w.done);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  if (shown !== undefined) {
    const done = () => onDone(`A link to choose a new password was shown once for ${person.name}.`);
    return (
      <ConfirmModal onClose={done} title={w.title} size="lg">
        <ShownOnceLink
          link={shown.link}
          expiresAt={shown.expiresAt}
          who={person.name}
          kind="password-reset"
          onDone={done}
        />
      </ConfirmModal>
    );
  }

  return (
    <ConfirmModal onClose={onClose} title={w.title} size="lg">
      <Stack>
        <Text size="sm">{w.body}</Text>
        {act.kind === 'roles' && <RoleChoice label="Their roles" value={roles} onChange={setRoles} />}
        {error !== undefined && <Refusal error={error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            color={act.kind === 'remove' || act.kind === 'suspend' ? 'red.8' : 'alcove'}
            loading={busy}
            disabled={act.kind === 'roles' && roles.length === 0}
            onClick={() => void confirm()}
          >
            {w.confirm}
          </Button>
        </Group>
      </Stack>
    </ConfirmModal>
  );
}

function Invitations({
  invitations,
  onChanged,
}: {
  invitations: readonly Invitation[];
  onChanged: () => void;
}) {
  const [withdrawing, setWithdrawing] = useState<Invitation | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  async function withdraw(invitation: Invitation) {
    setBusy(true);
    setError(undefined);
    try {
      await api('DELETE', `/people/invitations/${encodeURIComponent(invitation.id)}`, z.unknown());
      setWithdrawing(undefined);
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="invitations-title">
      <Stack>
        <Title order={3} size="h4" id="invitations-title">
          Invitations waiting
        </Title>
        {invitations.length === 0 ? (
          <Text size="sm" c="dimmed">
            No invitation is waiting to be taken up.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table verticalSpacing="sm" data-testid="invitations-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>E-mail address</Table.Th>
                  <Table.Th>Roles</Table.Th>
                  <Table.Th>Invited</Table.Th>
                  <Table.Th>Works until</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {invitations.map((invitation) => (
                  <Table.Tr key={invitation.id}>
                    <Table.Td>{invitation.email}</Table.Td>
                    <Table.Td>{rolesList(invitation.roles)}</Table.Td>
                    <Table.Td>{formatDate(invitation.createdAt)}</Table.Td>
                    <Table.Td>{formatDate(invitation.expiresAt)}</Table.Td>
                    <Table.Td>
                      <Button
                        variant="default"
                        size="xs"
                        aria-label={`Withdraw the invitation to ${invitation.email}`}
                        onClick={() => {
                          setError(undefined);
                          setWithdrawing(invitation);
                        }}
                      >
                        Withdraw
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
      {withdrawing !== undefined && (
        <ConfirmModal onClose={() => setWithdrawing(undefined)} title="Withdraw this invitation">
          <Stack>
            <Text size="sm">
              The link sent to {withdrawing.email} stops working at once. You can invite them again later.
            </Text>
            {error !== undefined && <Refusal error={error} />}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setWithdrawing(undefined)}>
                Cancel
              </Button>
              <Button color="red.8" loading={busy} onClick={() => void withdraw(withdrawing)}>
                Withdraw the invitation
              </Button>
            </Group>
          </Stack>
        </ConfirmModal>
      )}
    </Card>
  );
}
