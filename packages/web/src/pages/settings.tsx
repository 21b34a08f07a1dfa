import { codeSections, type ProblemDocument, suggestedSections } from '@alcove/core';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Group,
  NumberInput,
  PasswordInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { z } from 'zod';
import { ApiProblem, api, describeProblem } from '../api.ts';
import { useSession } from '../session.tsx';
import { RefusalAlert } from '../shell/refusal.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

type Notice = { ok: boolean; text: string } | undefined;

function NoticeAlert({ notice }: { notice: Notice }) {
  if (notice === undefined) return null;
  return (
    <Alert color={notice.ok ? 'alcove' : 'red'} role={notice.ok ? 'status' : 'alert'} mt="sm">
      {notice.text}
    </Alert>
  );
}

/** The practice's e-mail, the organisation's conditions (GT-36d) and its contract templates. */
export function SettingsPage() {
  const { session } = useSession();
  const admin = session?.roles.includes('administrator') === true;
  return (
    <Stack gap="lg" maw={960}>
      <Title order={2}>Practice settings</Title>
      <Templates />
      <Conditions editable={admin} />
      <LateEntries editable={admin} />
      <AuditDigest editable={admin} />
      <Mail editable={admin} />
    </Stack>
  );
}

const mailSchema = z.object({
  settings: z
    .object({
      mode: z.enum(['capture', 'smtp']),
      from: z.string(),
      siteUrl: z.string(),
      host: z.string().optional(),
      port: z.number().optional(),
      secure: z.boolean().optional(),
      username: z.string().optional(),
    })
    .nullable(),
  hasPassword: z.boolean(),
});

function Mail({ editable }: { editable: boolean }) {
  const mail = useApi('/settings/mail', mailSchema);
  const [form, setForm] = useState({
    mode: 'smtp' as 'smtp' | 'capture',
    from: '',
    siteUrl: typeof window === 'undefined' ? '' : window.location.origin,
    host: '',
    port: 587 as number | string,
    secure: false,
    username: '',
    password: '',
  });
  const [notice, setNotice] = useState<Notice>(undefined);
  const loaded = mail.state === 'ready' ? mail.data : undefined;
  useEffect(() => {
    if (loaded === undefined || loaded.settings === null) return;
    const s = loaded.settings;
    setForm((f) => ({
      ...f,
      mode: s.mode,
      from: s.from,
      siteUrl: s.siteUrl,
      host: s.host ?? '',
      port: s.port ?? 587,
      secure: s.secure ?? false,
      username: s.username ?? '',
    }));
  }, [loaded]);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setNotice(undefined);
    const body =
      form.mode === 'capture'
        ? { mode: 'capture', from: form.from, siteUrl: form.siteUrl }
        : {
            mode: 'smtp',
            from: form.from,
            siteUrl: form.siteUrl,
            host: form.host,
            port: Number(form.port),
            secure: form.secure,
            ...(form.username === '' ? {} : { username: form.username }),
            ...(form.password === '' ? {} : { password: form.password }),
          };
    try {
      await api('PUT', '/settings/mail', z.null(), { body });
      setNotice({ ok: true, text: 'Saved.' });
      setForm((f) => ({ ...f, password: '' }));
      mail.reload();
    } catch (e) {
      setNotice({ ok: false, text: describeProblem(e) });
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="mail-title">
      <Title order={3} size="h4" id="mail-title">
        E-mail
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        How invitations and reminders leave Alcove. Messages never carry clinical content. “Keep them here”
        sends nothing: each message is listed under Messages sent, for trying Alcove out.
      </Text>
      {mail.state === 'loading' && <Loading what="the e-mail settings" />}
      {mail.state === 'failed' && <Failure error={mail.error} />}
      {mail.state === 'ready' && (
        <form onSubmit={save}>
          <fieldset disabled={!editable} style={{ border: 0, padding: 0, margin: 0 }}>
            <Stack gap="sm">
              {!editable && <Text size="sm">Only an administrator changes these.</Text>}
              <SegmentedControl
                aria-label="How e-mail leaves"
                value={form.mode}
                onChange={(mode) => setForm({ ...form, mode: mode as 'smtp' | 'capture' })}
                data={[
                  { value: 'smtp', label: 'Send through our mail server' },
                  { value: 'capture', label: 'Keep them here (send nothing)' },
                ]}
              />
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput
                  label="Sender address"
                  type="email"
                  required
                  value={form.from}
                  onChange={(e) => setForm({ ...form, from: e.currentTarget.value })}
                />
                <TextInput
                  label="This Alcove’s address, as clients reach it"
                  description="Links in messages start with it."
                  required
                  value={form.siteUrl}
                  onChange={(e) => setForm({ ...form, siteUrl: e.currentTarget.value })}
                />
              </SimpleGrid>
              {form.mode === 'smtp' && (
                <SimpleGrid cols={{ base: 1, sm: 2 }}>
                  <TextInput
                    label="Mail server"
                    required
                    value={form.host}
                    onChange={(e) => setForm({ ...form, host: e.currentTarget.value })}
                  />
                  <NumberInput
                    label="Port"
                    min={1}
                    max={65535}
                    value={form.port}
                    onChange={(port) => setForm({ ...form, port })}
                  />
                  <TextInput
                    label="User name"
                    value={form.username}
                    onChange={(e) => setForm({ ...form, username: e.currentTarget.value })}
                  />
                  <PasswordInput
                    label="Password"
                    description={
                      mail.data.hasPassword ? 'A password is saved; leave this empty to keep it.' : undefined
                    }
                    autoComplete="new-password"
                    value={form.password}
                    onChange={(e) => setForm({ ...form, password: e.currentTarget.value })}
                  />
                  <Checkbox
                    label="TLS from the start (port 465); otherwise STARTTLS is required"
                    checked={form.secure}
                    onChange={(e) => setForm({ ...form, secure: e.currentTarget.checked })}
                  />
                </SimpleGrid>
              )}
              {editable && (
                <Group>
                  <Button type="submit">Save e-mail settings</Button>
                </Group>
              )}
            </Stack>
          </fieldset>
          <NoticeAlert notice={notice} />
        </form>
      )}
    </Card>
  );
}

const lateSchema = z.object({ hours: z.number() });

/** GT-38: when a note counts as late. */
function LateEntries({ editable }: { editable: boolean }) {
  const late = useApi('/settings/late-entry', lateSchema);
  const [hours, setHours] = useState<number | string>(24);
  const [notice, setNotice] = useState<Notice>(undefined);
  const loaded = late.state === 'ready' ? late.data : undefined;
  useEffect(() => {
    if (loaded !== undefined) setHours(loaded.hours);
  }, [loaded]);
  const save = async () => {
    setNotice(undefined);
    try {
      await api('PUT', '/settings/late-entry', z.null(), { body: { hours: Number(hours) } });
      setNotice({ ok: true, text: 'Saved.' });
    } catch (e) {
      setNotice({ ok: false, text: describeProblem(e) });
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="late-title">
      <Title order={3} size="h4" id="late-title">
        Late notes (GT-38)
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Records are made at the time or as soon as possible afterwards. A note signed more than this many
        hours after its session ended is marked late.
      </Text>
      <Group align="end">
        <NumberInput
          label="Hours"
          min={1}
          max={168}
          value={hours}
          onChange={setHours}
          readOnly={!editable}
          w={140}
        />
        {editable && (
          <Button variant="default" onClick={() => void save()}>
            Save
          </Button>
        )}
      </Group>
      <NoticeAlert notice={notice} />
    </Card>
  );
}

const digestSchema = z.object({ enabled: z.boolean() });

/**
 * The audit log's daily digest: once a day the practice's first administrator is e-mailed
 * the newest checkpoint's event number and fingerprint, a copy kept away from the machine.
 */
function AuditDigest({ editable }: { editable: boolean }) {
  const digest = useApi('/settings/audit-digest', digestSchema);
  const [notice, setNotice] = useState<Notice>(undefined);
  if (digest.state !== 'ready') return null;
  const save = async (enabled: boolean) => {
    setNotice(undefined);
    try {
      await api('PUT', '/settings/audit-digest', z.null(), { body: { enabled } });
      digest.reload();
      setNotice({ ok: true, text: enabled ? 'The daily digest is on.' : 'The daily digest is off.' });
    } catch (e) {
      setNotice({ ok: false, text: describeProblem(e) });
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="digest-title">
      <Title order={3} size="h4" id="digest-title">
        Daily audit digest
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Once a day, Alcove can e-mail the practice’s first administrator the audit log’s newest event number
        and its fingerprint. Kept in a mailbox away from this computer, it shows whether the log was later cut
        short or put back. It holds nothing about anyone’s records.
      </Text>
      <Checkbox
        label="E-mail the audit log’s fingerprint once a day"
        checked={digest.data.enabled}
        disabled={!editable}
        onChange={(e) => void save(e.currentTarget.checked)}
      />
      <NoticeAlert notice={notice} />
    </Card>
  );
}

const conditionsSchema = z.object({ conditions: z.string().nullable() });

function Conditions({ editable }: { editable: boolean }) {
  const conditions = useApi('/settings/organisation-conditions', conditionsSchema);
  const [text, setText] = useState('');
  const [notice, setNotice] = useState<Notice>(undefined);
  const loaded = conditions.state === 'ready' ? conditions.data : undefined;
  useEffect(() => {
    if (loaded !== undefined) setText(loaded.conditions ?? '');
  }, [loaded]);
  const save = async (value: string | null) => {
    setNotice(undefined);
    try {
      await api('PUT', '/settings/organisation-conditions', z.null(), { body: { conditions: value } });
      setNotice({
        ok: true,
        text: value === null ? 'Removed.' : 'Saved: new contracts carry these conditions.',
      });
      conditions.reload();
    } catch (e) {
      setNotice({ ok: false, text: describeProblem(e) });
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="conditions-title">
      <Title order={3} size="h4" id="conditions-title">
        The organisation’s conditions (GT-36d)
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Where the organisation, not the practitioner, holds the contract, its conditions go with every new
        contract version; each client reads and acknowledges them before signing. Leave empty where
        practitioners hold their own contracts.
      </Text>
      {conditions.state === 'loading' && <Loading what="the conditions" />}
      {conditions.state === 'failed' && <Failure error={conditions.error} />}
      {conditions.state === 'ready' && (
        <>
          <Textarea
            label="Conditions"
            autosize
            minRows={3}
            readOnly={!editable}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
          />
          {editable && (
            <Group mt="sm">
              <Button onClick={() => void save(text.trim())} disabled={text.trim().length < 20}>
                Save conditions
              </Button>
              {conditions.data.conditions !== null && (
                <Button variant="default" onClick={() => void save(null)}>
                  Remove them
                </Button>
              )}
            </Group>
          )}
          <NoticeAlert notice={notice} />
        </>
      )}
    </Card>
  );
}

const templatesSchema = z.object({
  templates: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      version: z.number(),
      body: z.string(),
      createdAt: z.string(),
    }),
  ),
});

function Templates() {
  const templates = useApi('/settings/contract-templates', templatesSchema);
  const [chosen, setChosen] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [body, setBody] = useState('');
  const [notice, setNotice] = useState<Notice>(undefined);
  /** The Code's refusal of the template being saved, and the reasons given so far, one for each clause. */
  const [refusal, setRefusal] = useState<ProblemDocument | undefined>(undefined);
  const [overrides, setOverrides] = useState<{ clause: string; reason: string }[]>([]);
  const loaded = templates.state === 'ready' ? templates.data : undefined;
  useEffect(() => {
    if (loaded === undefined || chosen !== null) return;
    const first = loaded.templates[0];
    if (first === undefined) return;
    setChosen(first.id);
    setName(first.version === 0 ? 'Our therapy contract' : first.name);
    setBody(first.body);
  }, [loaded, chosen]);
  const choose = (id: string | null) => {
    if (templates.state !== 'ready') return;
    const t = templates.data.templates.find((x) => x.id === id);
    if (t === undefined) return;
    setChosen(t.id);
    setName(t.version === 0 ? 'Our therapy contract' : t.name);
    setBody(t.body);
    setRefusal(undefined);
    setOverrides([]);
  };
  const saveWith = async (reasons: { clause: string; reason: string }[]) => {
    setNotice(undefined);
    try {
      const saved = await api(
        'POST',
        '/settings/contract-templates',
        z.object({ id: z.string(), version: z.number() }),
        {
          body: { name, body, ...(reasons.length === 0 ? {} : { overrides: reasons }) },
        },
      );
      setNotice({
        ok: true,
        text: `Saved as version ${saved.version}. Contracts already written keep their text.`,
      });
      setRefusal(undefined);
      setOverrides([]);
      setChosen(saved.id);
      templates.reload();
    } catch (e) {
      if (e instanceof ApiProblem && e.problem.code === 'refused-by-code') setRefusal(e.problem);
      else setNotice({ ok: false, text: describeProblem(e) });
    }
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    void saveWith(overrides);
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="templates-title">
      <Title order={3} size="h4" id="templates-title">
        Contract templates
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        A case’s contract starts from a template and is edited before anyone signs. The Code asks for these
        sections, as headings on a line of their own:{' '}
        {codeSections.map((s) => `${s.heading} (${s.clause})`).join(', ')}; a template without one is saved
        only with your reason. Alcove also suggests {suggestedSections.join(', ')}. Blanks (___) are filled in
        each contract before it is offered for signature. Placeholders: {'{{clients}}'}, {'{{practitioner}}'},{' '}
        {'{{practice}}'}, {'{{kind}}'}, {'{{format}}'}.
      </Text>
      {templates.state === 'loading' && <Loading what="the templates" />}
      {templates.state === 'failed' && <Failure error={templates.error} />}
      {templates.state === 'ready' && (
        <form onSubmit={save}>
          <Stack gap="sm">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select
                label="Start from"
                data={templates.data.templates.map((t) => ({
                  value: t.id,
                  label: t.version === 0 ? `${t.name} (Alcove’s)` : `${t.name} (version ${t.version})`,
                }))}
                value={chosen}
                onChange={choose}
                allowDeselect={false}
              />
              <TextInput
                label="Save as"
                required
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
              />
            </SimpleGrid>
            <Textarea
              label="Template"
              autosize
              minRows={10}
              maxRows={30}
              value={body}
              onChange={(e) => {
                setBody(e.currentTarget.value);
                // A reason answers the text it was given for.
                setRefusal(undefined);
                setOverrides([]);
              }}
            />
            {refusal !== undefined && (
              <RefusalAlert
                key={refusal.clause}
                refusal={refusal}
                reasonLabel="Why this template goes without it (kept with your overrides and audited)"
                confirmLabel="Save it, with my reason"
                onOverride={(clause, reason) => {
                  const next = [...overrides.filter((o) => o.clause !== clause), { clause, reason }];
                  setOverrides(next);
                  void saveWith(next);
                }}
              />
            )}
            <Group>
              <Button type="submit" disabled={name.trim() === '' || body.trim().length < 100}>
                Save as a new version
              </Button>
            </Group>
          </Stack>
          <NoticeAlert notice={notice} />
        </form>
      )}
    </Card>
  );
}
