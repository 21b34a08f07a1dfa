import {
  formatDate,
  formatDay,
  londonDay,
  type ProblemDocument,
  type Profile,
  type ProfileDetails,
  profileSchema,
} from '@alcove/core';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Group,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { z } from 'zod';
import { ApiProblem, api, describeProblem } from '../api.ts';
import { RefusalAlert } from '../shell/refusal.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

const responseSchema = z.object({
  profile: profileSchema,
  overrides: z.array(
    z.object({ clause: z.string(), reason: z.string(), command: z.string(), createdAt: z.string() }),
  ),
});

export function ProfilePage() {
  const data = useApi('/profile', responseSchema);
  useEffect(() => {
    // Arriving from a finding's link: scroll to its section once the record is shown.
    if (data.state === 'ready' && window.location.hash !== '') {
      document.getElementById(window.location.hash.slice(1))?.scrollIntoView();
    }
  }, [data.state]);
  if (data.state === 'loading') return <Loading what="your professional record" />;
  if (data.state === 'failed') return <Failure error={data.error} />;
  const { profile, overrides } = data.data;
  const reload = data.reload;

  return (
    <Stack gap="lg" maw={1000}>
      <Title order={2}>Your professional record</Title>
      <Text c="dimmed">
        What the Code asks you to hold and keep current. Every change is kept as a new version.
      </Text>
      <Details details={profile.details} onSaved={reload} />
      {overrides.length > 0 && (
        <Card withBorder padding="lg" component="section" aria-labelledby="overrides">
          <Title order={3} size="h4" id="overrides" mb="xs">
            Where you have departed from a “should”
          </Title>
          <Table withTableBorder>
            <Table.Tbody>
              {overrides.map((o) => (
                <Table.Tr key={`${o.clause}-${o.createdAt}`}>
                  <Table.Td w={90}>{o.clause}</Table.Td>
                  <Table.Td>{o.reason}</Table.Td>
                  <Table.Td w={130}>{formatDate(o.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
      <Connections />
      <ItemSection
        id="insurance"
        title="Insurance or indemnity cover (GT-45)"
        rows={profile.insurance.map((c) => ({
          id: c.id,
          cells: [
            c.insurer,
            `${formatDay(c.startsOn)} to ${formatDay(c.endsOn)}`,
            c.retentionYears === undefined ? '' : `keep records ${c.retentionYears} years`,
          ],
        }))}
        onChanged={reload}
        form={(submit) => <InsuranceForm submit={submit} />}
      />
      <ItemSection
        id="cpd"
        title="CPD log (GT-15)"
        rows={[...profile.cpd]
          .sort((a, b) => b.date.localeCompare(a.date))
          .map((e) => ({
            id: e.id,
            cells: [
              formatDay(e.date),
              e.title,
              `${e.hours} h`,
              [e.sexAndRelationship ? 'sex & relationship' : '', e.faceToFace ? 'face to face' : '']
                .filter(Boolean)
                .join(', '),
            ],
          }))}
        onChanged={reload}
        form={(submit) => <CpdForm submit={submit} />}
      />
      <ItemSection
        id="dbs"
        title="DBS certificates (GT-26)"
        rows={profile.dbs.map((d) => ({
          id: d.id,
          cells: [
            `Issued ${formatDay(d.issuedOn)}`,
            d.fullDisclosure ? 'full disclosure' : 'not full disclosure',
          ],
        }))}
        onChanged={reload}
        form={(submit) => <DbsForm submit={submit} />}
      />
      <ItemSection
        id="training"
        title="Training (GT-26, GT-92)"
        rows={profile.training.map((t) => ({ id: t.id, cells: [t.title, t.kind, formatDay(t.completedOn)] }))}
        onChanged={reload}
        form={(submit) => <TrainingForm submit={submit} />}
      />
      <ItemSection
        id="qualifications"
        title="Qualifications and titles (GT-86–GT-91, GT-99)"
        rows={profile.qualifications.map((q) => ({
          id: q.id,
          cells: [q.title, q.awardedBy, formatDay(q.awardedOn)],
        }))}
        onChanged={reload}
        form={(submit) => <QualificationForm submit={submit} />}
      />
      <ItemSection
        id="careerBreaks"
        title="Career breaks (GT-66)"
        rows={profile.careerBreaks.map((b) => ({
          id: b.id,
          cells: [
            `${formatDay(b.from)} to ${b.to === undefined ? 'now' : formatDay(b.to)}`,
            b.returnAgreedOn === undefined
              ? 'return not yet agreed'
              : `return agreed ${formatDay(b.returnAgreedOn)}`,
          ],
        }))}
        onChanged={reload}
        form={(submit) => <CareerBreakForm submit={submit} />}
      />
      <ItemSection
        id="notifications"
        title="Notifications owed to COSRT within 14 days (GT-107, GT-108)"
        rows={profile.notifications.map((n) => ({
          id: n.id,
          cells: [
            n.kind.replaceAll('-', ' '),
            `happened ${formatDay(n.occurredOn)}`,
            n.notifiedOn === undefined ? 'not yet told' : `told ${formatDay(n.notifiedOn)}`,
          ],
          extra: n.notifiedOn === undefined ? <MarkNotified id={n.id} onDone={reload} /> : undefined,
        }))}
        onChanged={reload}
        form={(submit) => <NotificationForm submit={submit} />}
      />
    </Stack>
  );
}

type Submit = (body: unknown) => Promise<void>;

function ItemSection(props: {
  id: string;
  title: string;
  rows: { id: string; cells: string[]; extra?: ReactNode }[];
  onChanged: () => void;
  form: (submit: Submit) => ReactNode;
}) {
  const [error, setError] = useState<string | undefined>(undefined);
  const submit: Submit = async (body) => {
    setError(undefined);
    try {
      await api('POST', '/profile/items', z.object({ id: z.string() }), { body });
      props.onChanged();
    } catch (e) {
      setError(describeProblem(e));
      throw e;
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby={`${props.id}-title`} id={props.id}>
      <Title order={3} size="h4" id={`${props.id}-title`} mb="sm">
        {props.title}
      </Title>
      {props.rows.length === 0 ? (
        <Text c="dimmed" size="sm" mb="sm">
          Nothing recorded.
        </Text>
      ) : (
        <Table withTableBorder mb="sm">
          <Table.Tbody>
            {props.rows.map((row) => (
              <Table.Tr key={row.id}>
                {row.cells.map((cell, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: cells of one row, fixed in number and order
                  <Table.Td key={i}>{cell}</Table.Td>
                ))}
                <Table.Td w={170}>
                  <Group gap="xs" justify="flex-end" wrap="nowrap">
                    {row.extra}
                    <Button
                      size="compact-xs"
                      variant="subtle"
                      color="red"
                      onClick={async () => {
                        await api('DELETE', `/profile/items/${row.id}`, z.null()).catch((e: unknown) =>
                          setError(describeProblem(e)),
                        );
                        props.onChanged();
                      }}
                    >
                      Remove
                    </Button>
                  </Group>
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
      {props.form(submit)}
    </Card>
  );
}

function useFormState<T extends Record<string, unknown>>(initial: T) {
  const [value, setValue] = useState(initial);
  const [busy, setBusy] = useState(false);
  const handle = (submit: Submit, body: (v: T) => unknown) => async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await submit(body(value));
      setValue(initial);
    } catch {
      // the section shows the problem
    } finally {
      setBusy(false);
    }
  };
  return { value, setValue, busy, handle };
}

const dateInput = (label: string, value: string, onChange: (v: string) => void, required = true) => (
  <TextInput
    label={label}
    type="date"
    required={required}
    value={value}
    onChange={(e) => onChange(e.currentTarget.value)}
  />
);

function InsuranceForm({ submit }: { submit: Submit }) {
  const f = useFormState({ insurer: '', startsOn: '', endsOn: '', retentionYears: '' as string | number });
  return (
    <form
      onSubmit={f.handle(submit, (v) => ({
        section: 'insurance',
        item: {
          insurer: v.insurer,
          startsOn: v.startsOn,
          endsOn: v.endsOn,
          ...(v.retentionYears === '' ? {} : { retentionYears: Number(v.retentionYears) }),
        },
      }))}
    >
      <SimpleGrid cols={{ base: 1, sm: 4 }}>
        <TextInput
          label="Insurer"
          required
          value={f.value.insurer}
          onChange={(e) => f.setValue({ ...f.value, insurer: e.currentTarget.value })}
        />
        {dateInput('Cover starts', f.value.startsOn, (startsOn) => f.setValue({ ...f.value, startsOn }))}
        {dateInput('Cover ends', f.value.endsOn, (endsOn) => f.setValue({ ...f.value, endsOn }))}
        <NumberInput
          label="Insurer’s retention (years)"
          value={f.value.retentionYears}
          onChange={(retentionYears) => f.setValue({ ...f.value, retentionYears })}
          min={1}
        />
      </SimpleGrid>
      <Button type="submit" mt="sm" loading={f.busy}>
        Record cover
      </Button>
    </form>
  );
}

function CpdForm({ submit }: { submit: Submit }) {
  const f = useFormState({
    date: '',
    title: '',
    hours: '' as string | number,
    sexAndRelationship: true,
    faceToFace: false,
  });
  return (
    <form onSubmit={f.handle(submit, (v) => ({ section: 'cpd', item: { ...v, hours: Number(v.hours) } }))}>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        {dateInput('Date', f.value.date, (date) => f.setValue({ ...f.value, date }))}
        <TextInput
          label="What you did"
          required
          value={f.value.title}
          onChange={(e) => f.setValue({ ...f.value, title: e.currentTarget.value })}
        />
        <NumberInput
          label="Hours"
          required
          value={f.value.hours}
          step={0.25}
          onChange={(hours) => f.setValue({ ...f.value, hours })}
        />
      </SimpleGrid>
      <Group mt="sm">
        <Checkbox
          label="In sex and relationship therapy"
          checked={f.value.sexAndRelationship}
          onChange={(e) => f.setValue({ ...f.value, sexAndRelationship: e.currentTarget.checked })}
        />
        <Checkbox
          label="Face to face"
          checked={f.value.faceToFace}
          onChange={(e) => f.setValue({ ...f.value, faceToFace: e.currentTarget.checked })}
        />
      </Group>
      <Button type="submit" mt="sm" loading={f.busy}>
        Log CPD
      </Button>
    </form>
  );
}

function DbsForm({ submit }: { submit: Submit }) {
  const f = useFormState({ issuedOn: '', fullDisclosure: true });
  return (
    <form onSubmit={f.handle(submit, (v) => ({ section: 'dbs', item: v }))}>
      <Group align="flex-end">
        {dateInput('Issued on', f.value.issuedOn, (issuedOn) => f.setValue({ ...f.value, issuedOn }))}
        <Checkbox
          label="Full disclosure"
          checked={f.value.fullDisclosure}
          onChange={(e) => f.setValue({ ...f.value, fullDisclosure: e.currentTarget.checked })}
          mb={8}
        />
        <Button type="submit" loading={f.busy}>
          Record certificate
        </Button>
      </Group>
    </form>
  );
}

function TrainingForm({ submit }: { submit: Submit }) {
  const f = useFormState({ kind: 'online-work', title: '', completedOn: '' });
  return (
    <form onSubmit={f.handle(submit, (v) => ({ section: 'training', item: v }))}>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Select
          label="Kind"
          data={[
            { value: 'online-work', label: 'Online work' },
            { value: 'under-18s', label: 'Work with under-18s' },
            { value: 'vulnerable-adults', label: 'Work with vulnerable adults' },
            { value: 'other', label: 'Other' },
          ]}
          value={f.value.kind}
          onChange={(kind) => f.setValue({ ...f.value, kind: kind ?? 'other' })}
          allowDeselect={false}
        />
        <TextInput
          label="Course"
          required
          value={f.value.title}
          onChange={(e) => f.setValue({ ...f.value, title: e.currentTarget.value })}
        />
        {dateInput('Completed on', f.value.completedOn, (completedOn) =>
          f.setValue({ ...f.value, completedOn }),
        )}
      </SimpleGrid>
      <Button type="submit" mt="sm" loading={f.busy}>
        Record training
      </Button>
    </form>
  );
}

function QualificationForm({ submit }: { submit: Submit }) {
  const f = useFormState({
    kind: 'sex-and-relationship-therapy',
    title: '',
    awardedBy: '',
    awardedOn: '',
    relevantToTherapy: true,
  });
  return (
    <form onSubmit={f.handle(submit, (v) => ({ section: 'qualifications', item: v }))}>
      <SimpleGrid cols={{ base: 1, sm: 4 }}>
        <Select
          label="Kind"
          data={[
            { value: 'sex-and-relationship-therapy', label: 'Sex and relationship therapy' },
            { value: 'psychosexual-therapy', label: 'Psychosexual therapy' },
            { value: 'doctorate', label: 'Doctorate' },
            { value: 'other', label: 'Other' },
          ]}
          value={f.value.kind}
          onChange={(kind) => f.setValue({ ...f.value, kind: kind ?? 'other' })}
          allowDeselect={false}
        />
        <TextInput
          label="Title"
          required
          value={f.value.title}
          onChange={(e) => f.setValue({ ...f.value, title: e.currentTarget.value })}
        />
        <TextInput
          label="Awarded by"
          required
          value={f.value.awardedBy}
          onChange={(e) => f.setValue({ ...f.value, awardedBy: e.currentTarget.value })}
        />
        {dateInput('Awarded on', f.value.awardedOn, (awardedOn) => f.setValue({ ...f.value, awardedOn }))}
      </SimpleGrid>
      <Checkbox
        mt="sm"
        label="In a subject directly relevant to therapy"
        checked={f.value.relevantToTherapy}
        onChange={(e) => f.setValue({ ...f.value, relevantToTherapy: e.currentTarget.checked })}
      />
      <Button type="submit" mt="sm" loading={f.busy}>
        Record qualification
      </Button>
    </form>
  );
}

function CareerBreakForm({ submit }: { submit: Submit }) {
  const f = useFormState({ from: '', to: '', returnAgreedOn: '' });
  return (
    <form
      onSubmit={f.handle(submit, (v) => ({
        section: 'careerBreaks',
        item: {
          from: v.from,
          ...(v.to === '' ? {} : { to: v.to }),
          ...(v.returnAgreedOn === '' ? {} : { returnAgreedOn: v.returnAgreedOn }),
        },
      }))}
    >
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        {dateInput('From', f.value.from, (from) => f.setValue({ ...f.value, from }))}
        {dateInput('To', f.value.to, (to) => f.setValue({ ...f.value, to }), false)}
        {dateInput(
          'Return agreed with supervisor on',
          f.value.returnAgreedOn,
          (returnAgreedOn) => f.setValue({ ...f.value, returnAgreedOn }),
          false,
        )}
      </SimpleGrid>
      <Button type="submit" mt="sm" loading={f.busy}>
        Record career break
      </Button>
    </form>
  );
}

function NotificationForm({ submit }: { submit: Submit }) {
  const f = useFormState({ kind: 'criminal-charge-or-conviction', occurredOn: '' });
  return (
    <form onSubmit={f.handle(submit, (v) => ({ section: 'notifications', item: v }))}>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Select
          label="What happened"
          data={[
            {
              value: 'police-caution-or-inquiry',
              label: 'A police caution, or criticism by an official inquiry',
            },
            { value: 'criminal-charge-or-conviction', label: 'A criminal charge or conviction' },
            {
              value: 'other-body-proceedings',
              label: 'Proceedings or findings by another professional body',
            },
            { value: 'suspension-or-restriction', label: 'Suspension, removal or restriction on practice' },
          ]}
          value={f.value.kind}
          onChange={(kind) => f.setValue({ ...f.value, kind: kind ?? 'other-body-proceedings' })}
          allowDeselect={false}
        />
        {dateInput('When it happened', f.value.occurredOn, (occurredOn) =>
          f.setValue({ ...f.value, occurredOn }),
        )}
      </SimpleGrid>
      <Button type="submit" mt="sm" loading={f.busy}>
        Record
      </Button>
    </form>
  );
}

function MarkNotified({ id, onDone }: { id: string; onDone: () => void }) {
  return (
    <Button
      size="compact-xs"
      variant="light"
      onClick={async () => {
        const today = londonDay(new Date());
        await api('POST', `/profile/notifications/${id}/notified`, z.null(), {
          body: { notifiedOn: today },
        }).catch(() => undefined);
        onDone();
      }}
    >
      Told COSRT today
    </Button>
  );
}

function Details({ details, onSaved }: { details: ProfileDetails; onSaved: () => void }) {
  const [value, setValue] = useState<ProfileDetails>(details);
  const [refusal, setRefusal] = useState<ProblemDocument | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  async function save(override?: { clause: string; reason: string }) {
    setBusy(true);
    setError(undefined);
    setSaved(false);
    try {
      await api('PUT', '/profile/details', z.object({ profile: z.unknown() }), {
        body: { details: value, ...(override === undefined ? {} : { override }) },
      });
      setRefusal(undefined);
      setSaved(true);
      onSaved();
    } catch (e) {
      if (e instanceof ApiProblem && e.problem.code === 'refused-by-code') setRefusal(e.problem);
      else setError(describeProblem(e));
    } finally {
      setBusy(false);
    }
  }

  const person = (key: 'supervisor' | 'executor', label: string, dateLabel: string) => {
    const current = value[key];
    return (
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          label={label}
          value={current?.name ?? ''}
          onChange={(e) => {
            const name = e.currentTarget.value;
            if (name === '') return setValue({ ...value, [key]: null });
            if (key === 'supervisor') {
              return setValue({
                ...value,
                supervisor: {
                  name,
                  since: value.supervisor?.since ?? '',
                  experiencedWithYoungOrVulnerable:
                    value.supervisor?.experiencedWithYoungOrVulnerable ?? false,
                },
              });
            }
            return setValue({ ...value, executor: { name, appointedOn: value.executor?.appointedOn ?? '' } });
          }}
        />
        {current !== null &&
          dateInput(
            dateLabel,
            key === 'supervisor' ? (value.supervisor?.since ?? '') : (value.executor?.appointedOn ?? ''),
            (day) =>
              key === 'supervisor' && value.supervisor !== null
                ? setValue({ ...value, supervisor: { ...value.supervisor, since: day } })
                : value.executor !== null &&
                  setValue({ ...value, executor: { ...value.executor, appointedOn: day } }),
          )}
      </SimpleGrid>
    );
  };
  const works = (key: keyof ProfileDetails['worksWith'], label: string) => (
    <Checkbox
      label={label}
      checked={value.worksWith[key]}
      onChange={(e) =>
        setValue({ ...value, worksWith: { ...value.worksWith, [key]: e.currentTarget.checked } })
      }
    />
  );
  const titles = (key: keyof ProfileDetails['titles'], label: string) => (
    <Checkbox
      label={label}
      checked={value.titles[key]}
      onChange={(e) => setValue({ ...value, titles: { ...value.titles, [key]: e.currentTarget.checked } })}
    />
  );

  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="details-title" id="details">
      <Title order={3} size="h4" id="details-title" mb="sm">
        Supervision, executor and how you practise
      </Title>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void save();
        }}
      >
        <Stack>
          {person('supervisor', 'Supervisor (GT-64)', 'Supervised by them since')}
          {value.supervisor !== null && (
            <Checkbox
              label="My supervisor is experienced with young people and vulnerable adults (GT-65)"
              checked={value.supervisor.experiencedWithYoungOrVulnerable}
              onChange={(e) =>
                value.supervisor !== null &&
                setValue({
                  ...value,
                  supervisor: {
                    ...value.supervisor,
                    experiencedWithYoungOrVulnerable: e.currentTarget.checked,
                  },
                })
              }
            />
          )}
          {person('executor', 'Professional executor (GT-41)', 'Appointed on')}
          <Text fw={600} size="sm">
            I work with
          </Text>
          <Group>
            {works('under18s', 'Under-18s')}
            {works('vulnerableAdults', 'Vulnerable adults')}
            {works('online', 'Clients online')}
          </Group>
          <Text fw={600} size="sm">
            Titles and membership
          </Text>
          <Group>
            {titles('usesDoctor', 'I use the title Doctor')}
            {titles('usesProfessor', 'I use the title Professor')}
            {titles(
              'advertisesAsPsychosexualTherapist',
              'I advertise as a psychosexual or sexual and relationship therapist',
            )}
            {titles('inTraining', 'I am in training')}
          </Group>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput
              label="COSRT membership category"
              value={value.membership.category}
              onChange={(e) =>
                setValue({ ...value, membership: { ...value.membership, category: e.currentTarget.value } })
              }
            />
            <Select
              label="Accreditation"
              data={[
                { value: 'none', label: 'None' },
                { value: 'pending', label: 'Applied for' },
                { value: 'accredited', label: 'Accredited' },
              ]}
              value={value.membership.accreditation}
              onChange={(a) =>
                setValue({
                  ...value,
                  membership: {
                    ...value.membership,
                    accreditation: (a as 'none' | 'pending' | 'accredited' | null) ?? 'none',
                  },
                })
              }
              allowDeselect={false}
            />
            <Checkbox
              mt="xl"
              label="I advertise my accreditation"
              checked={value.membership.advertisesAccreditation}
              onChange={(e) =>
                setValue({
                  ...value,
                  membership: { ...value.membership, advertisesAccreditation: e.currentTarget.checked },
                })
              }
            />
          </SimpleGrid>
          {refusal !== undefined && (
            <RefusalAlert
              refusal={refusal}
              reasonLabel="Your reason for going ahead (kept on your record and audited)"
              confirmLabel="Go ahead, with my reason"
              onOverride={(clause, reason) => save({ clause, reason })}
            />
          )}
          {error !== undefined && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          {saved && (
            <Alert color="alcove" role="status">
              Saved.
            </Alert>
          )}
          <Group>
            <Button type="submit" loading={busy}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

export type { Profile };

const connectionsSchema = z.object({
  connections: z.array(z.object({ id: z.string(), relation: z.string(), name: z.string() })),
});

/** The people you must never take on as clients (GT-28): checked at every intake, by keyed index. */
function Connections() {
  const connections = useApi('/profile/connections', connectionsSchema);
  const [form, setForm] = useState({ relation: 'relative', name: '', dateOfBirth: '' });
  const [error, setError] = useState<string | undefined>(undefined);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      await api('POST', '/profile/connections', z.object({ id: z.string() }), {
        body: {
          relation: form.relation,
          name: form.name,
          ...(form.dateOfBirth === '' ? {} : { dateOfBirth: form.dateOfBirth }),
        },
      });
      setForm({ relation: 'relative', name: '', dateOfBirth: '' });
      connections.reload();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="connections-title" id="connections">
      <Title order={3} size="h4" id="connections-title" mb="xs">
        Personal connections (GT-28)
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Partners, relatives, close friends and associates. Every new client is checked against them; their
        names are kept encrypted.
      </Text>
      {connections.state === 'loading' && <Loading what="your connections" />}
      {connections.state === 'failed' && <Failure error={connections.error} />}
      {connections.state === 'ready' && connections.data.connections.length > 0 && (
        <Table withTableBorder mb="sm">
          <Table.Tbody>
            {connections.data.connections.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>{c.name}</Table.Td>
                <Table.Td>{c.relation}</Table.Td>
                <Table.Td w={100}>
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    color="red"
                    onClick={async () => {
                      await api('DELETE', `/profile/connections/${c.id}`, z.null()).catch((e: unknown) =>
                        setError(describeProblem(e)),
                      );
                      connections.reload();
                    }}
                  >
                    Remove
                  </Button>
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
      <form onSubmit={add}>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Select
            label="Relation"
            data={[
              { value: 'partner', label: 'Partner' },
              { value: 'relative', label: 'Relative' },
              { value: 'friend', label: 'Close friend' },
              { value: 'associate', label: 'Associate' },
            ]}
            value={form.relation}
            onChange={(relation) => setForm({ ...form, relation: relation ?? 'relative' })}
            allowDeselect={false}
          />
          <TextInput
            label="Full name"
            required
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.currentTarget.value })}
          />
          {dateInput(
            'Date of birth, if known',
            form.dateOfBirth,
            (dateOfBirth) => setForm({ ...form, dateOfBirth }),
            false,
          )}
        </SimpleGrid>
        <Button type="submit" mt="sm">
          Declare connection
        </Button>
      </form>
    </Card>
  );
}
