import {
  formatDate,
  formatDateTime,
  noteSections,
  richTextProblems,
  type StructuredKind,
  structuredKinds,
  unreadableSchema,
} from '@alcove/core';
import {
  Alert,
  Badge,
  Button,
  Card,
  Chip,
  Group,
  Select,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { RichTextEditor } from '@mantine/tiptap';
import { useEditor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { type KeyboardEvent, useCallback, useEffect, useRef, useState } from 'react';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { IntegrityFailed, Sealed } from '../shell/integrity.tsx';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

const notesSchema = z.object({
  notes: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      sessionId: z.string().nullable(),
      status: z.enum(['draft', 'signed']),
      occurredAt: z.string(),
      writtenAt: z.string(),
      signedAt: z.string().nullable(),
      late: z.boolean(),
      amendsId: z.string().nullable(),
      amendReason: z.string().nullable(),
      amendReasonUnreadable: unreadableSchema,
      passages: z.array(
        z.object({
          position: z.number(),
          section: z.string().nullable(),
          attribution: z.array(z.string()),
          html: z.string().nullable(),
          unreadable: unreadableSchema,
        }),
      ),
    }),
  ),
});
type Note = z.infer<typeof notesSchema>['notes'][number];

export interface Participant {
  readonly id: string;
  readonly label: string;
}
export interface HeldSession {
  readonly id: string;
  readonly startsAt: string;
  readonly kind: string;
}

interface Passage {
  readonly key: string;
  section: string;
  html: string;
  attribution: string[];
}

let passageCounter = 0;
const newPassage = (section: string, html = ''): Passage => ({
  key: `p${++passageCounter}`,
  section,
  html,
  attribution: [],
});

/** Who a passage is about, in words: a partner, several, or joint (the most restrictive). */
function attributionLabel(attribution: readonly string[], participants: readonly Participant[]): string {
  if (attribution.length === 0) return 'Joint';
  return attribution.map((id) => participants.find((p) => p.id === id)?.label ?? 'someone').join(' and ');
}

/** Renders stored note markup, which the server accepted only within the allow-list; checked again here. */
export function NoteHtml({ html }: { html: string }) {
  if (richTextProblems(html).length > 0) return <Text size="sm">{html}</Text>;
  // biome-ignore lint/security/noDangerouslySetInnerHtml: allow-listed markup with no attributes (core/notes.ts), checked above
  return <div className="alcove-note" dangerouslySetInnerHTML={{ __html: html }} />;
}

function PassageView({
  passage,
  participants,
}: {
  passage: Note['passages'][number];
  participants: Participant[];
}) {
  return (
    <Group gap="sm" align="flex-start" wrap="nowrap">
      <Badge variant="light" color={passage.attribution.length === 0 ? 'gray' : 'alcove'} miw={96}>
        {attributionLabel(passage.attribution, participants)}
      </Badge>
      <Sealed
        value={passage.html}
        unreadable={passage.unreadable}
        shredded="This passage can no longer be read: its key was destroyed."
      >
        {(html) => <NoteHtml html={html} />}
      </Sealed>
    </Group>
  );
}

/** The headings an entry's sections have: GT-40's for notes, the structured kind's otherwise. */
function sectionsOf(kind: string): readonly { id: string; heading: string; clause?: string }[] {
  return kind in structuredKinds ? structuredKinds[kind as StructuredKind].fields : noteSections;
}

function NoteBody({ note, participants }: { note: Note; participants: Participant[] }) {
  return (
    <Stack gap="xs">
      {sectionsOf(note.kind).map((section) => {
        const passages = note.passages.filter((p) => p.section === section.id);
        if (passages.length === 0) return null;
        return (
          <Stack gap={4} key={section.id}>
            <Text size="sm" fw={600}>
              {section.heading}
              {section.clause === undefined ? '' : ` (${section.clause})`}
            </Text>
            {passages.map((p) => (
              <PassageView key={p.position} passage={p} participants={participants} />
            ))}
          </Stack>
        );
      })}
      {note.passages
        .filter((p) => p.section === null)
        .map((p) => (
          <PassageView key={p.position} passage={p} participants={participants} />
        ))}
    </Stack>
  );
}

/** One passage being written: its attribution (a margin control, and Alt+number) and its text. */
function PassageEditor({
  passage,
  participants,
  onChange,
  onRemove,
}: {
  passage: Passage;
  participants: Participant[];
  onChange: (p: Passage) => void;
  onRemove?: () => void;
}) {
  const latest = useRef(passage);
  latest.current = passage;
  const editor = useEditor({
    extensions: [
      // Only what the allow-list holds (core/notes.ts): no headings, code, links or rules.
      StarterKit.configure({
        heading: false,
        code: false,
        codeBlock: false,
        horizontalRule: false,
        strike: false,
        link: false,
        orderedList: false,
      }),
    ],
    content: passage.html,
    editorProps: {
      attributes: {
        'aria-label': `Passage of “${noteSections.find((x) => x.id === passage.section)?.heading ?? 'the note'}”`,
        'aria-multiline': 'true',
        role: 'textbox',
      },
    },
    immediatelyRender: true,
    shouldRerenderOnTransaction: false,
    onUpdate: ({ editor: e }) => onChange({ ...latest.current, html: e.isEmpty ? '' : e.getHTML() }),
  });
  const toggle = (id: string) => {
    const has = passage.attribution.includes(id);
    onChange({
      ...passage,
      attribution: has ? passage.attribution.filter((a) => a !== id) : [...passage.attribution, id],
    });
  };
  // Alt+1, Alt+2, … toggle a client; Alt+0 makes the passage joint.
  const onKeyDown = (event: KeyboardEvent) => {
    if (!event.altKey) return;
    const n = Number(event.key);
    if (Number.isNaN(n)) return;
    event.preventDefault();
    if (n === 0) onChange({ ...passage, attribution: [] });
    const p = participants[n - 1];
    if (p !== undefined) toggle(p.id);
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a keyboard shortcut layer over the editor inside it
    <div onKeyDown={onKeyDown}>
      <Group gap="xs" mb={4} align="center">
        <Text size="xs" c="dimmed">
          About:
        </Text>
        {participants.map((p, i) => (
          <Chip
            key={p.id}
            size="xs"
            checked={passage.attribution.includes(p.id)}
            onChange={() => toggle(p.id)}
            title={`Alt+${i + 1}`}
          >
            {p.label}
          </Chip>
        ))}
        <Chip
          size="xs"
          checked={passage.attribution.length === 0}
          onChange={() => onChange({ ...passage, attribution: [] })}
          title="Alt+0"
        >
          Joint
        </Chip>
        {onRemove !== undefined && (
          <Button size="compact-xs" variant="subtle" color="gray" onClick={onRemove}>
            Remove passage
          </Button>
        )}
      </Group>
      <RichTextEditor editor={editor}>
        <RichTextEditor.Toolbar>
          <RichTextEditor.ControlsGroup>
            <RichTextEditor.Bold />
            <RichTextEditor.Italic />
            <RichTextEditor.Underline />
            <RichTextEditor.BulletList />
            <RichTextEditor.Blockquote />
          </RichTextEditor.ControlsGroup>
        </RichTextEditor.Toolbar>
        <RichTextEditor.Content />
      </RichTextEditor>
    </div>
  );
}

function toPassages(note: Note): Passage[] {
  return note.passages.map((p) => ({
    ...newPassage(p.section ?? 'findings', p.html ?? ''),
    attribution: [...p.attribution],
  }));
}

const filled = (passages: readonly Passage[]) => passages.filter((p) => p.html.trim() !== '');
const body = (passages: readonly Passage[]) =>
  filled(passages).map((p) => ({ section: p.section, html: p.html, attribution: p.attribution }));

/** A draft being written: autosaved a moment after each change, signed when done. */
function DraftEditor({
  note,
  participants,
  onDone,
}: {
  note: Note;
  participants: Participant[];
  onDone: () => void;
}) {
  // A draft with a passage that failed its integrity check is not edited: saving would
  // replace what cannot be read without anyone seeing it go.
  const tampered = note.passages.some((p) => p.unreadable === 'tampered');
  const [passages, setPassages] = useState<Passage[]>(() => {
    const existing = toPassages(note);
    return existing.length > 0 ? existing : [newPassage('findings')];
  });
  const [saved, setSaved] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const dirty = useRef(false);

  const save = useCallback(async () => {
    if (filled(passages).length === 0) return;
    try {
      await api('PUT', `/notes/${note.id}`, z.null(), { body: { passages: body(passages) } });
      dirty.current = false;
      setSaved(new Date().toISOString());
      setError(undefined);
    } catch (e) {
      setError(describeProblem(e));
    }
  }, [note.id, passages]);

  useEffect(() => {
    if (!dirty.current) return;
    const timer = setTimeout(() => void save(), 1200);
    return () => clearTimeout(timer);
  }, [save]);

  const change = (next: Passage[]) => {
    dirty.current = true;
    setPassages(next);
  };
  const sign = async () => {
    setError(undefined);
    try {
      if (dirty.current) await save();
      await api('POST', `/notes/${note.id}/sign`, z.object({ late: z.boolean() }), { body: {} });
      onDone();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const discard = async () => {
    try {
      await api('DELETE', `/notes/${note.id}`, z.null());
      onDone();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  if (tampered) {
    return (
      <Stack gap="sm">
        <NoteBody note={note} participants={participants} />
        <Text size="sm">This draft cannot be edited or signed until it reads again. You may discard it.</Text>
        {error !== undefined && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Group>
          <Button variant="default" onClick={() => void discard()}>
            Discard draft
          </Button>
        </Group>
      </Stack>
    );
  }
  return (
    <Stack gap="md">
      {noteSections.map((section) => (
        <Stack gap="xs" key={section.id}>
          <Text fw={600} size="sm">
            {section.heading} ({section.clause})
          </Text>
          {passages
            .filter((p) => p.section === section.id)
            .map((p) => (
              <PassageEditor
                key={p.key}
                passage={p}
                participants={participants}
                onChange={(next) => change(passages.map((x) => (x.key === p.key ? next : x)))}
                {...(passages.length > 1
                  ? { onRemove: () => change(passages.filter((x) => x.key !== p.key)) }
                  : {})}
              />
            ))}
          <Group>
            <Button
              size="compact-sm"
              variant="subtle"
              onClick={() => change([...passages, newPassage(section.id)])}
            >
              Add a passage to “{section.heading}”
            </Button>
          </Group>
        </Stack>
      ))}
      {error !== undefined && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      <Group justify="space-between">
        <Text size="xs" c="dimmed" role="status">
          {saved === undefined
            ? 'A draft is yours alone until you sign it.'
            : `Draft saved ${formatDateTime(saved)}.`}
        </Text>
        <Group gap="xs">
          <Button variant="default" onClick={() => void discard()}>
            Discard draft
          </Button>
          <Button onClick={() => void sign()} disabled={filled(passages).length === 0}>
            Sign the note
          </Button>
        </Group>
      </Group>
      <Text size="xs" c="dimmed">
        A signed note is never changed: a correction is an addendum with its reason (GT-98).
      </Text>
    </Stack>
  );
}

function AddendumForm({
  note,
  participants,
  onDone,
}: {
  note: Note;
  participants: Participant[];
  onDone: () => void;
}) {
  const [reason, setReason] = useState('');
  const [passage, setPassage] = useState<Passage>(() => newPassage('findings'));
  const [error, setError] = useState<string | undefined>(undefined);
  const add = async () => {
    setError(undefined);
    try {
      await api('POST', `/notes/${note.id}/addenda`, z.object({ id: z.string() }), {
        body: { reason: reason.trim(), passages: body([passage]) },
      });
      onDone();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  return (
    <Stack gap="xs" p="sm" bg="gray.0">
      <TextInput
        label="Why the correction"
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
      />
      <Select
        label="Section"
        data={noteSections.map((s) => ({ value: s.id, label: s.heading }))}
        value={passage.section}
        onChange={(section) => setPassage({ ...passage, section: section ?? 'findings' })}
        allowDeselect={false}
      />
      <PassageEditor passage={passage} participants={participants} onChange={setPassage} />
      {error !== undefined && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      <Group>
        <Button onClick={() => void add()} disabled={reason.trim().length < 3 || passage.html.trim() === ''}>
          Add the addendum
        </Button>
      </Group>
    </Stack>
  );
}

/** The case's notes: one per held session, drafts to write, signed notes with their addenda. */
export function CaseNotes({
  caseId,
  participants,
  sessions,
}: {
  caseId: string;
  participants: Participant[];
  sessions: readonly HeldSession[];
}) {
  const notes = useApi(`/cases/${caseId}/notes`, notesSchema);
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const [amending, setAmending] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const held = sessions.filter((s) => Date.parse(s.startsAt) <= Date.now());
  const start = async () => {
    if (sessionId === null) return;
    setError(undefined);
    try {
      const created = await api('POST', `/cases/${caseId}/notes`, z.object({ id: z.string() }), {
        body: { sessionId, passages: [{ section: 'findings', html: '<p></p>', attribution: [] }] },
      });
      setEditing(created.id);
      setSessionId(null);
      notes.reload();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  const done = () => {
    setEditing(undefined);
    setAmending(undefined);
    notes.reload();
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="notes-title">
      <Title order={3} size="h4" id="notes-title" mb="xs">
        Session notes
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Each passage says whose information it is: a partner’s own, or joint. A new passage starts as joint,
        the most restrictive choice; what may later be released to each partner depends on it (PG5-1).
      </Text>
      {notes.state === 'loading' && <Loading what="the notes" />}
      {notes.state === 'failed' && <Failure error={notes.error} />}
      {notes.state === 'ready' && (
        <Stack gap="md">
          {notes.data.notes
            .filter((n) => n.amendsId === null)
            .map((note) => {
              const addenda = notes.data.notes.filter((a) => a.amendsId === note.id);
              return (
                <Card key={note.id} withBorder padding="md" data-testid="note">
                  <Group justify="space-between" mb="xs">
                    <Group gap="xs">
                      <Text fw={600}>
                        {note.kind in structuredKinds
                          ? `${structuredKinds[note.kind as StructuredKind].title}, ${formatDateTime(note.occurredAt)}`
                          : `Session of ${formatDateTime(note.occurredAt)}`}
                      </Text>
                      {note.status === 'draft' ? (
                        <Badge color="orange.3" variant="filled" autoContrast>
                          Draft
                        </Badge>
                      ) : (
                        <Badge color="alcove" variant="filled">
                          Signed {note.signedAt === null ? '' : formatDateTime(note.signedAt)}
                        </Badge>
                      )}
                      {note.late && (
                        <Badge
                          color="caution.8"
                          variant="filled"
                          title="Written more than 24 hours after the session (GT-38)"
                        >
                          Late
                        </Badge>
                      )}
                    </Group>
                    {note.status === 'draft' && editing !== note.id && (
                      <Button size="compact-sm" variant="default" onClick={() => setEditing(note.id)}>
                        Continue writing
                      </Button>
                    )}
                    {note.status === 'signed' && amending !== note.id && (
                      <Button size="compact-sm" variant="default" onClick={() => setAmending(note.id)}>
                        Add an addendum
                      </Button>
                    )}
                  </Group>
                  {editing === note.id ? (
                    <DraftEditor note={note} participants={participants} onDone={done} />
                  ) : (
                    <NoteBody note={note} participants={participants} />
                  )}
                  {addenda.map((a) => (
                    <Stack
                      key={a.id}
                      gap={4}
                      mt="sm"
                      pl="md"
                      style={{ borderLeft: '3px solid var(--mantine-color-gray-4)' }}
                    >
                      <Text size="sm" fw={600}>
                        Addendum of {formatDate(a.writtenAt)}:{' '}
                        {a.amendReasonUnreadable === 'tampered' ? (
                          <IntegrityFailed inline />
                        ) : (
                          (a.amendReason ?? 'its reason can no longer be read')
                        )}
                      </Text>
                      <NoteBody note={a} participants={participants} />
                    </Stack>
                  ))}
                  {amending === note.id && (
                    <AddendumForm note={note} participants={participants} onDone={done} />
                  )}
                </Card>
              );
            })}
          {held.length === 0 ? (
            <Text size="sm" c="dimmed">
              Notes are written on sessions that have taken place; none is recorded yet.
            </Text>
          ) : (
            <Group align="end" gap="xs">
              <Select
                label="Write a note on"
                data={held.map((s) => ({ value: s.id, label: `${formatDateTime(s.startsAt)} (${s.kind})` }))}
                value={sessionId}
                onChange={setSessionId}
                w={320}
              />
              <Button variant="default" disabled={sessionId === null} onClick={() => void start()}>
                Start a note
              </Button>
            </Group>
          )}
          {error !== undefined && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <StructuredEntryForm caseId={caseId} participants={participants} onDone={done} />
        </Stack>
      )}
    </Card>
  );
}

/** An assessment (one client's), a risk assessment, or a planned ending that closes the case. */
function StructuredEntryForm({
  caseId,
  participants,
  onDone,
}: {
  caseId: string;
  participants: Participant[];
  onDone: () => void;
}) {
  const [kind, setKind] = useState<StructuredKind | null>(null);
  const [attribution, setAttribution] = useState<string[]>([]);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | undefined>(undefined);
  const choose = (next: string | null) => {
    setKind(next as StructuredKind | null);
    setFields({});
    setAttribution(next === 'assessment' && participants[0] !== undefined ? [participants[0].id] : []);
    setError(undefined);
  };
  const save = async () => {
    if (kind === null) return;
    setError(undefined);
    try {
      await api('POST', `/cases/${caseId}/structured-entries`, z.object({ id: z.string() }), {
        body: {
          kind,
          attribution,
          fields: Object.fromEntries(Object.entries(fields).filter(([, v]) => v.trim() !== '')),
        },
      });
      choose(null);
      onDone();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  return (
    <Stack gap="sm" mt="sm">
      <Select
        label="Write an assessment, risk assessment or ending"
        data={(Object.keys(structuredKinds) as StructuredKind[]).map((k) => ({
          value: k,
          label: `${structuredKinds[k].title} (${structuredKinds[k].clause})`,
        }))}
        value={kind}
        onChange={choose}
        clearable
        w={380}
      />
      {kind !== null && (
        <Stack gap="xs">
          {kind === 'assessment' ? (
            <Select
              label="Whose assessment"
              data={participants.map((p) => ({ value: p.id, label: p.label }))}
              value={attribution[0] ?? null}
              onChange={(id) => setAttribution(id === null ? [] : [id])}
              allowDeselect={false}
              w={240}
            />
          ) : (
            <Group gap="xs">
              <Text size="xs" c="dimmed">
                About:
              </Text>
              {participants.map((p) => (
                <Chip
                  key={p.id}
                  size="xs"
                  checked={attribution.includes(p.id)}
                  onChange={() =>
                    setAttribution(
                      attribution.includes(p.id)
                        ? attribution.filter((a) => a !== p.id)
                        : [...attribution, p.id],
                    )
                  }
                >
                  {p.label}
                </Chip>
              ))}
              <Chip size="xs" checked={attribution.length === 0} onChange={() => setAttribution([])}>
                Joint
              </Chip>
            </Group>
          )}
          {(
            structuredKinds[kind].fields as readonly {
              id: string;
              heading: string;
              clause?: string;
              required?: boolean;
            }[]
          ).map((f) => (
            <Textarea
              key={f.id}
              label={`${f.heading}${f.clause === undefined ? '' : ` (${f.clause})`}`}
              required={f.required === true}
              autosize
              minRows={2}
              value={fields[f.id] ?? ''}
              onChange={(e) => setFields({ ...fields, [f.id]: e.currentTarget.value })}
            />
          ))}
          {error !== undefined && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          {kind === 'ending' && (
            <Text size="xs" c="dimmed">
              Saving the planned ending closes the case: no further sessions are recorded on it.
            </Text>
          )}
          <Group>
            <Button onClick={() => void save()}>
              Sign and save the {structuredKinds[kind].title.toLowerCase()}
            </Button>
          </Group>
        </Stack>
      )}
    </Stack>
  );
}
