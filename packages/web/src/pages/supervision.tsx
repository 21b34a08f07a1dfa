import { formatDay, htmlToText, londonDay, textToHtml } from '@alcove/core';
import { Alert, Button, Card, Group, Select, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';

/** Presented material shown as text: its paragraphs kept, no markup interpreted. */
function PresentedText({ html }: { html: string }) {
  return (
    <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
      {htmlToText(html)}
    </Text>
  );
}

const presentedSchema = z.object({
  presentations: z.array(
    z.object({
      id: z.string(),
      pseudonym: z.string(),
      caseKind: z.string(),
      presentedOn: z.string(),
      presentedBy: z.string(),
      material: z.string().nullable(),
    }),
  ),
});

/** The supervisor's page: cases presented to them, by pseudonym only (PG5-5). */
export function SupervisionPage() {
  const presented = useApi('/supervision/presentations', presentedSchema);
  return (
    <Stack gap="lg" maw={900}>
      <Title order={2}>Supervision</Title>
      <Text c="dimmed">
        Cases presented to you, each under its pseudonym, with what the practitioner chose to present. Names,
        contact details and dates of birth never reach supervision (PG5-5).
      </Text>
      {presented.state === 'loading' && <Loading what="the presentations" />}
      {presented.state === 'failed' && <Failure error={presented.error} />}
      {presented.state === 'ready' &&
        (presented.data.presentations.length === 0 ? (
          <Text>Nothing has been presented to you yet.</Text>
        ) : (
          presented.data.presentations.map((p) => (
            <Card
              key={p.id}
              withBorder
              padding="lg"
              component="article"
              aria-labelledby={`presentation-${p.id}`}
            >
              <Title order={3} size="h4" id={`presentation-${p.id}`}>
                {p.pseudonym}
              </Title>
              <Text size="sm" c="dimmed" mb="sm">
                {p.caseKind.charAt(0).toUpperCase()}
                {p.caseKind.slice(1)} work, presented by {p.presentedBy} on {formatDay(p.presentedOn)}
              </Text>
              {p.material === null ? (
                <Text c="dimmed">This material can no longer be read.</Text>
              ) : (
                <PresentedText html={p.material} />
              )}
            </Card>
          ))
        ))}
    </Stack>
  );
}

const supervisorsSchema = z.object({ supervisors: z.array(z.object({ id: z.string(), name: z.string() })) });
const mineSchema = z.object({
  presentations: z.array(
    z.object({
      id: z.string(),
      pseudonym: z.string(),
      presentedOn: z.string(),
      material: z.string().nullable(),
    }),
  ),
});

/** On the case page: present the case to supervision under its pseudonym. */
export function PresentToSupervision({ caseId }: { caseId: string }) {
  const supervisors = useApi('/supervision/supervisors', supervisorsSchema);
  const mine = useApi(`/cases/${caseId}/presentations`, mineSchema);
  const [supervisorId, setSupervisorId] = useState<string | null>(null);
  const [presentedOn, setPresentedOn] = useState(londonDay(new Date()));
  const [material, setMaterial] = useState('');
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const present = async () => {
    if (supervisorId === null) return;
    setNotice(undefined);
    try {
      await api('POST', `/cases/${caseId}/presentations`, z.object({ id: z.string() }), {
        body: { supervisorId, presentedOn, material: textToHtml(material) },
      });
      setMaterial('');
      setNotice({ ok: true, text: 'Presented under the case’s pseudonym.' });
      mine.reload();
    } catch (e) {
      setNotice({ ok: false, text: describeProblem(e) });
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="supervision-title">
      <Title order={3} size="h4" id="supervision-title" mb="xs">
        Supervision (PG5-5)
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        The supervisor sees the case’s pseudonym and what you write here, nothing else. Refer to the clients
        as Partner A and Partner B: material that names a client is refused.
      </Text>
      {mine.state === 'ready' && mine.data.presentations.length > 0 && (
        <Stack gap="xs" mb="sm">
          {mine.data.presentations.map((p) => (
            <Text size="sm" key={p.id}>
              Presented as {p.pseudonym} on {formatDay(p.presentedOn)}
            </Text>
          ))}
        </Stack>
      )}
      {supervisors.state === 'ready' && supervisors.data.supervisors.length === 0 ? (
        <Text size="sm">This practice has no supervisor account yet.</Text>
      ) : (
        <Stack gap="sm">
          <Group grow align="end">
            <Select
              label="Supervisor"
              data={
                supervisors.state === 'ready'
                  ? supervisors.data.supervisors.map((s) => ({ value: s.id, label: s.name }))
                  : []
              }
              value={supervisorId}
              onChange={setSupervisorId}
            />
            <TextInput
              label="Presented on"
              type="date"
              value={presentedOn}
              onChange={(e) => setPresentedOn(e.currentTarget.value)}
            />
          </Group>
          <Textarea
            label="What you present"
            autosize
            minRows={3}
            value={material}
            onChange={(e) => setMaterial(e.currentTarget.value)}
          />
          {notice !== undefined && (
            <Alert color={notice.ok ? 'alcove' : 'red'} role={notice.ok ? 'status' : 'alert'}>
              {notice.text}
            </Alert>
          )}
          <Group>
            <Button
              variant="default"
              disabled={supervisorId === null || material.trim() === ''}
              onClick={() => void present()}
            >
              Present to supervision
            </Button>
          </Group>
        </Stack>
      )}
    </Card>
  );
}
