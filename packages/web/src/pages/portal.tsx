import { consentTypes, formatDate, formatDateTime, formatDay, labelOf, unreadableSchema } from '@alcove/core';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { IntegrityFailed } from '../shell/integrity.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';
import { consentsSchema, typeLabels } from './consents.tsx';
import { PortalDisclosures } from './disclosures.tsx';

const channels = ['email', 'phone', 'text-message', 'post'] as const;
const channelLabels: Record<(typeof channels)[number], string> = {
  email: 'E-mail',
  phone: 'Phone calls',
  'text-message': 'Text messages',
  post: 'Post',
};

const portalSchema = z.object({
  practiceName: z.string(),
  viewer: z.enum(['client', 'appropriate-adult']),
  me: z.object({
    name: z.string(),
    preferredName: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    contactChannels: z.array(z.object({ channel: z.enum(channels), safe: z.boolean() })),
  }),
  cases: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      status: z.string(),
      myLabel: z.string(),
      practitionerName: z.string(),
      contract: z
        .object({
          id: z.string(),
          version: z.number(),
          text: z.string(),
          /** 'tampered': the text failed its integrity check; it is not shown, nor signed. */
          unreadable: unreadableSchema.optional(),
          textHash: z.string(),
          createdAt: z.string(),
          conditions: z.string().nullable(),
          mySignature: z.object({ signedAt: z.string(), mode: z.string() }).nullable(),
          signedByAll: z.boolean(),
        })
        .nullable(),
    }),
  ),
});
type Portal = z.infer<typeof portalSchema>;

/**
 * The client portal: the client's own details, their contracts to read and sign, and their
 * own consents. Nothing here is about anyone else, a partner included.
 */
export function PortalPage() {
  const portal = useApi('/portal', portalSchema);
  if (portal.state === 'loading') return <Loading what="your portal" />;
  if (portal.state === 'failed') return <Failure error={portal.error} />;
  const { me, cases, practiceName, viewer } = portal.data;
  const adult = viewer === 'appropriate-adult';
  return (
    <Stack gap="lg" maw={900}>
      <div>
        <Title order={2}>Your portal</Title>
        <Text c="dimmed">
          {adult
            ? `As the appropriate adult for ${me.preferredName ?? me.name}, at ${practiceName}`
            : `${me.preferredName ?? me.name}, at ${practiceName}`}
        </Text>
      </div>
      {adult && (
        <Alert color="blue" title="What you see here">
          You see this because the young person has not been assessed as able to consent for themself, or has
          agreed to it. Your written consent to their therapy is needed (COSRT GT-27); the contract is theirs
          to sign.
        </Alert>
      )}
      {cases.map((c) => (
        <ContractCard key={c.id} theCase={c} onChanged={portal.reload} readOnly={adult} />
      ))}
      {cases.length === 0 && <Text>There is nothing for you to sign yet.</Text>}
      <YourConsents cases={cases} adult={adult} />
      <PortalDisclosures />
      {!adult && <YourRecords />}
      {!adult && <ContactChannels me={me} onChanged={portal.reload} />}
    </Stack>
  );
}

function ContractCard({
  theCase,
  onChanged,
  readOnly,
}: {
  theCase: Portal['cases'][number];
  onChanged: () => void;
  readOnly: boolean;
}) {
  const contract = theCase.contract;
  const [acknowledged, setAcknowledged] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const titleId = `contract-${theCase.id}`;
  const sign = async () => {
    if (contract === null) return;
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', `/portal/cases/${theCase.id}/signatures`, z.object({ signedByAll: z.boolean() }), {
        body: { contractId: contract.id, textHash: contract.textHash, acknowledgedConditions: acknowledged },
      });
      onChanged();
    } catch (e) {
      setError(describeProblem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby={titleId}>
      <Title order={3} size="h4" id={titleId}>
        {readOnly ? 'The' : 'Your'} therapy contract with {theCase.practitionerName}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {theCase.kind === 'couple'
          ? `Couple therapy: ${readOnly ? 'they are' : 'you are'} ${theCase.myLabel}`
          : readOnly
            ? 'Their therapy'
            : 'Your therapy'}
      </Text>
      {contract === null ? (
        <Text>Your practitioner has not written your contract yet.</Text>
      ) : (
        <Stack gap="sm">
          <Group gap="xs">
            <Text fw={600}>Version {contract.version}</Text>
            <Text size="sm" c="dimmed">
              of {formatDate(contract.createdAt)}
            </Text>
            <Badge
              color={contract.mySignature === null ? 'orange.3' : 'alcove'}
              variant="filled"
              autoContrast
            >
              {contract.mySignature === null
                ? readOnly
                  ? 'Not yet signed'
                  : 'Waiting for your signature'
                : readOnly
                  ? 'Signed'
                  : 'You have signed'}
            </Badge>
          </Group>
          {contract.unreadable === 'tampered' ? (
            <IntegrityFailed />
          ) : (
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} bg="gray.0" p="sm" data-testid="contract-text">
              {contract.text}
            </Text>
          )}
          {contract.conditions !== null && contract.unreadable !== 'tampered' && (
            <Alert color="blue" title="The organisation’s conditions">
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {contract.conditions}
              </Text>
            </Alert>
          )}
          {readOnly ? (
            <Text size="sm">
              {contract.mySignature === null
                ? 'The young person has not signed it yet.'
                : `The young person signed on ${formatDateTime(contract.mySignature.signedAt)}.`}
            </Text>
          ) : contract.mySignature === null ? (
            <Stack gap="xs">
              {contract.conditions !== null && (
                <Checkbox
                  label="I have read the organisation’s conditions and understand them"
                  checked={acknowledged}
                  onChange={(e) => setAcknowledged(e.currentTarget.checked)}
                />
              )}
              {error !== undefined && (
                <Alert color="red" role="alert">
                  {error}
                </Alert>
              )}
              <Group>
                <Button
                  onClick={() => void sign()}
                  loading={busy}
                  disabled={
                    contract.unreadable === 'tampered' || (contract.conditions !== null && !acknowledged)
                  }
                >
                  I agree to this contract and sign it
                </Button>
              </Group>
              <Text size="xs" c="dimmed">
                Your signature keeps the date, that you signed here, and a fingerprint of exactly this text.
                If the contract changes, you will be asked to sign the new version.
              </Text>
            </Stack>
          ) : (
            <Text size="sm">
              You signed on {formatDateTime(contract.mySignature.signedAt)}
              {contract.mySignature.mode === 'portal' ? ' in this portal' : ' in person'}.
            </Text>
          )}
          <Group>
            <Button
              component="a"
              variant="subtle"
              href={`/api/v1/portal/cases/${theCase.id}/contract.pdf`}
              download
            >
              Download your copy (PDF)
            </Button>
          </Group>
        </Stack>
      )}
    </Card>
  );
}

const clientConsentTypes = consentTypes.filter((t) => t !== 'appropriate-adult');

function YourConsents({ cases, adult }: { cases: Portal['cases']; adult: boolean }) {
  const types = adult ? (['appropriate-adult'] as const) : clientConsentTypes;
  const consents = useApi('/portal/consents', consentsSchema);
  const [type, setType] = useState<string | null>(null);
  const [caseId, setCaseId] = useState<string | null>(cases.length === 1 ? (cases[0]?.id ?? null) : null);
  const [recipient, setRecipient] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const give = async (event: FormEvent) => {
    event.preventDefault();
    if (type === null) return;
    setError(undefined);
    try {
      await api('POST', '/portal/consents', z.object({ id: z.string() }), {
        body: {
          type,
          ...(caseId === null ? {} : { caseId }),
          ...(recipient.trim() === '' ? {} : { recipient: recipient.trim() }),
        },
      });
      setType(null);
      setRecipient('');
      consents.reload();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const withdraw = async (id: string) => {
    setError(undefined);
    try {
      await api('POST', `/portal/consents/${id}/withdraw`, z.null(), { body: {} });
      consents.reload();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="consents-title">
      <Title order={3} size="h4" id="consents-title">
        {adult ? 'Consents' : 'Your consents'}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {adult
          ? 'Yours and the young person’s. You give and withdraw your own consent; theirs is theirs.'
          : 'Each consent is yours alone, and you may withdraw it at any time. Withdrawing it stops its use from today.'}
      </Text>
      {consents.state === 'loading' && <Loading what="your consents" />}
      {consents.state === 'failed' && <Failure error={consents.error} />}
      {consents.state === 'ready' &&
        (consents.data.consents.length === 0 ? (
          <Text size="sm" mb="sm">
            You have given no consents.
          </Text>
        ) : (
          <Table withTableBorder mb="md">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Consent</Table.Th>
                <Table.Th>Given</Table.Th>
                <Table.Th>Withdrawn</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Action</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
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
                  <Table.Td>{formatDay(c.givenOn)}</Table.Td>
                  <Table.Td>{c.withdrawnOn === null ? '' : formatDay(c.withdrawnOn)}</Table.Td>
                  <Table.Td>
                    {c.withdrawnOn === null && (c.givenBy === 'appropriate-adult') === adult && (
                      <Button size="compact-sm" variant="default" onClick={() => void withdraw(c.id)}>
                        Withdraw
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
      {error !== undefined && (
        <Alert color="red" role="alert" mb="sm">
          {error}
        </Alert>
      )}
      <form onSubmit={give}>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Select
            label="Give a consent"
            data={types.map((t) => ({ value: t, label: typeLabels[t] }))}
            value={type}
            onChange={setType}
          />
          <Select
            label="For"
            data={cases.map((c) => ({ value: c.id, label: `Therapy with ${c.practitionerName}` }))}
            value={caseId}
            onChange={setCaseId}
            clearable
            placeholder="All my therapy here"
          />
          {type === 'third-party-release' && (
            <TextInput
              label="To whom"
              value={recipient}
              onChange={(e) => setRecipient(e.currentTarget.value)}
              required
            />
          )}
        </SimpleGrid>
        <Button type="submit" mt="sm" variant="default" disabled={type === null}>
          Give this consent
        </Button>
      </form>
    </Card>
  );
}

type Safety = 'unset' | 'safe' | 'unsafe';

function ContactChannels({ me, onChanged }: { me: Portal['me']; onChanged: () => void }) {
  const initial = Object.fromEntries(
    channels.map((ch) => {
      const found = me.contactChannels.find((c) => c.channel === ch);
      return [ch, found === undefined ? 'unset' : found.safe ? 'safe' : 'unsafe'];
    }),
  ) as Record<(typeof channels)[number], Safety>;
  const [choice, setChoice] = useState(initial);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const save = async () => {
    setMessage(undefined);
    try {
      await api('PUT', '/portal/contact-channels', z.null(), {
        body: {
          contactChannels: channels
            .filter((ch) => choice[ch] !== 'unset')
            .map((ch) => ({ channel: ch, safe: choice[ch] === 'safe' })),
        },
      });
      setMessage({ ok: true, text: 'Saved. Alcove will not use a channel you marked as not safe.' });
      onChanged();
    } catch (e) {
      setMessage({ ok: false, text: describeProblem(e) });
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="contact-title">
      <Title order={3} size="h4" id="contact-title">
        How we may contact you
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {me.email === null ? 'No e-mail address is on your record.' : `E-mail: ${me.email}`}
        {me.phone === null ? '' : ` · Phone: ${me.phone}`}. Mark a channel as not safe if someone else reads
        or answers it, such as a shared inbox or phone.
      </Text>
      <Stack gap="xs">
        {channels.map((ch) => (
          <Group key={ch} justify="space-between" wrap="wrap">
            <Text size="sm" id={`channel-${ch}`}>
              {channelLabels[ch]}
            </Text>
            <SegmentedControl
              size="xs"
              aria-labelledby={`channel-${ch}`}
              value={choice[ch]}
              onChange={(value) => setChoice({ ...choice, [ch]: value as Safety })}
              data={[
                { value: 'unset', label: 'Not said' },
                { value: 'safe', label: 'Safe' },
                { value: 'unsafe', label: 'Not safe' },
              ]}
            />
          </Group>
        ))}
      </Stack>
      {message !== undefined && (
        <Alert color={message.ok ? 'alcove' : 'red'} role={message.ok ? 'status' : 'alert'} mt="sm">
          {message.text}
        </Alert>
      )}
      <Button mt="sm" variant="default" onClick={() => void save()}>
        Save how we may contact you
      </Button>
    </Card>
  );
}

const myRequestsSchema = z.object({
  requests: z.array(
    z.object({
      id: z.string(),
      receivedOn: z.string(),
      dueOn: z.string().nullable(),
      status: z.enum(['received', 'issued']),
      releaseId: z.string().nullable(),
    }),
  ),
});

/** The client's right of access: ask for a copy of their records, and download it once issued. */
function YourRecords() {
  const mine = useApi('/portal/releases', myRequestsSchema);
  const [error, setError] = useState<string | undefined>(undefined);
  const ask = async () => {
    setError(undefined);
    try {
      await api('POST', '/portal/release-requests', z.object({ id: z.string() }), { body: {} });
      mine.reload();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const waiting = mine.state === 'ready' && mine.data.requests.some((r) => r.status === 'received');
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="records-title">
      <Title order={3} size="h4" id="records-title">
        A copy of your records
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        You may ask for a copy of what is held about you. Your therapist answers within one month; in couple
        work it holds your own information, and joint material where your partner has agreed.
      </Text>
      {mine.state === 'ready' &&
        mine.data.requests.map((r) => (
          <Text size="sm" key={r.id}>
            Asked on {formatDay(r.receivedOn)}:{' '}
            {r.status === 'issued' && r.releaseId !== null ? (
              <Anchor href={`/api/v1/portal/releases/${r.releaseId}/pdf`} download>
                download your copy (PDF)
              </Anchor>
            ) : (
              `being prepared${r.dueOn === null ? '' : `, due by ${formatDay(r.dueOn)}`}`
            )}
          </Text>
        ))}
      {error !== undefined && (
        <Alert color="red" role="alert" mt="sm">
          {error}
        </Alert>
      )}
      {!waiting && (
        <Button mt="sm" variant="default" onClick={() => void ask()}>
          Ask for a copy of my records
        </Button>
      )}
    </Card>
  );
}
