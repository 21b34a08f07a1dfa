import { formatDay, londonDay } from '@alcove/core';
import { BarChart } from '@mantine/charts';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  List,
  NumberInput,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { z } from 'zod';
import { api, describeProblem } from '../api.ts';
import { Failure, Loading } from '../shell/status.tsx';
import { useApi } from '../use-api.ts';
import { OverdueRequests } from './releases.tsx';

const complianceSchema = z.object({
  today: z.string(),
  findings: z.array(
    z.object({
      key: z.string(),
      clause: z.string(),
      clauseText: z.string(),
      duty: z.string(),
      severity: z.enum(['high', 'medium', 'low']),
      title: z.string(),
      action: z.string(),
      since: z.string(),
      section: z.string(),
    }),
  ),
  cpd: z.object({
    requirement: z.object({
      totalHours: z.number(),
      sexAndRelationshipHours: z.number(),
      faceToFaceHours: z.number(),
      source: z.string(),
    }),
    year: z.object({ start: z.string(), end: z.string() }),
    totals: z.object({ total: z.number(), sexAndRelationship: z.number(), faceToFace: z.number() }),
  }),
  upcoming: z.array(z.object({ what: z.string(), date: z.string(), clause: z.string() })),
  integrity: z.array(
    z.object({
      key: z.string(),
      recordType: z.string(),
      recordId: z.string(),
      what: z.string(),
      clientId: z.string().nullable(),
      foundOn: z.string(),
      action: z.string(),
    }),
  ),
});

const severityLabels = {
  high: 'Needs action now',
  medium: 'Needs action soon',
  low: 'To keep an eye on',
} as const;
// Filled, with the text colour Mantine picks for contrast (WCAG AA, checked by axe).
const severityColours = { high: 'red.8', medium: 'orange.3', low: 'gray.3' } as const;

export function CompliancePage() {
  const compliance = useApi('/compliance', complianceSchema);
  if (compliance.state === 'loading') return <Loading what="your obligations" />;
  if (compliance.state === 'failed') return <Failure error={compliance.error} />;
  const { findings, cpd, upcoming, integrity } = compliance.data;

  return (
    <Stack gap="lg" maw={1000}>
      <Title order={2}>Your obligations</Title>
      <Text c="dimmed">
        What the Code of Ethics asks of you personally, checked against your professional record today.
      </Text>
      <OverdueRequests />
      <IntegrityFindings findings={integrity} />

      {findings.length === 0 && integrity.length === 0 ? (
        <Alert color="alcove" title="Nothing needs your attention">
          Your record meets every duty Alcove checks.
        </Alert>
      ) : (
        (['high', 'medium', 'low'] as const).map((severity) => {
          const group = findings.filter((f) => f.severity === severity);
          if (group.length === 0) return null;
          return (
            <Stack key={severity} gap="sm" component="section" aria-label={severityLabels[severity]}>
              <Title order={3} size="h4">
                {severityLabels[severity]} ({group.length})
              </Title>
              {group.map((finding) => (
                <Card key={finding.key} withBorder padding="md" data-testid={`finding-${finding.clause}`}>
                  <Group justify="space-between" align="flex-start" wrap="nowrap">
                    <Stack gap={4}>
                      <Text fw={600}>{finding.title}</Text>
                      <Text size="sm">{finding.action}</Text>
                      <Text size="xs" c="dimmed">
                        Since {formatDay(finding.since)}
                        {/* The audit log is the installation's, not in the practitioner's record. */}
                        {finding.section !== 'audit-log' && (
                          <>
                            {' · '}
                            <Anchor component={Link} to={`/profile#${finding.section}`} size="xs">
                              Put it right in your record
                            </Anchor>
                          </>
                        )}
                      </Text>
                    </Stack>
                    <Badge
                      color={severityColours[severity]}
                      variant="filled"
                      autoContrast
                      style={{ flexShrink: 0 }}
                    >
                      {finding.clause} · {finding.duty}
                    </Badge>
                  </Group>
                  <ClauseText id={finding.clause} text={finding.clauseText} />
                </Card>
              ))}
            </Stack>
          );
        })
      )}

      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder padding="lg" component="section" aria-labelledby="cpd-year">
          <Title order={3} size="h4" id="cpd-year">
            CPD year {formatDay(cpd.year.start)} to {formatDay(cpd.year.end)}
          </Title>
          <Text size="xs" c="dimmed" mb="md">
            {cpd.requirement.source} (GT-15)
          </Text>
          <BarChart
            h={220}
            data={[
              { kind: 'All CPD', logged: cpd.totals.total, required: cpd.requirement.totalHours },
              {
                kind: 'Sex & relationship',
                logged: cpd.totals.sexAndRelationship,
                required: cpd.requirement.sexAndRelationshipHours,
              },
              {
                kind: 'Face to face',
                logged: cpd.totals.faceToFace,
                required: cpd.requirement.faceToFaceHours,
              },
            ]}
            dataKey="kind"
            series={[
              { name: 'logged', label: 'Hours logged', color: 'alcove.7' },
              { name: 'required', label: 'Hours required', color: 'gray.5' },
            ]}
            withLegend
            tickLine="y"
          />
          <List size="sm" mt="sm" spacing={2}>
            <List.Item>
              {cpd.totals.total} of {cpd.requirement.totalHours} hours in all
            </List.Item>
            <List.Item>
              {cpd.totals.sexAndRelationship} of {cpd.requirement.sexAndRelationshipHours} in sex and
              relationship therapy
            </List.Item>
            <List.Item>
              {cpd.totals.faceToFace} of {cpd.requirement.faceToFaceHours} face to face
            </List.Item>
          </List>
        </Card>

        <Card withBorder padding="lg" component="section" aria-labelledby="upcoming">
          <Title order={3} size="h4" id="upcoming" mb="sm">
            Coming up
          </Title>
          <Stack gap="xs">
            {upcoming.map((u) => (
              <Group key={`${u.what}-${u.date}`} justify="space-between" wrap="nowrap">
                <Text size="sm">{u.what}</Text>
                <Text size="sm" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                  {formatDay(u.date)} · {u.clause}
                </Text>
              </Group>
            ))}
          </Stack>
        </Card>
      </SimpleGrid>
      <SupervisionLog />
    </Stack>
  );
}

/**
 * Entries that failed their integrity check (changed since they were written): each by its
 * kind, reference and the day it was found, never its content, with what to do. Each stays
 * until it reads again (restored from a backup) or no longer exists.
 */
function IntegrityFindings({ findings }: { findings: z.infer<typeof complianceSchema>['integrity'] }) {
  if (findings.length === 0) return null;
  return (
    <Stack gap="sm" component="section" aria-labelledby="integrity-title">
      <Title order={3} size="h4" id="integrity-title">
        Entries that failed their integrity check ({findings.length})
      </Title>
      <Text size="sm">
        Alcove found these changed since they were written: they are not shown anywhere, and everything else
        in the record is.
      </Text>
      {findings.map((finding) => (
        <Card key={finding.key} withBorder padding="md" data-testid={`integrity-${finding.recordType}`}>
          <Group justify="space-between" align="flex-start" wrap="nowrap">
            <Stack gap={4}>
              <Text fw={600}>{finding.what}: this entry failed its integrity check</Text>
              <Text size="sm">{finding.action}</Text>
              <Text size="xs" c="dimmed">
                Found {formatDay(finding.foundOn)} · Reference {finding.recordType}/{finding.recordId}
                {finding.clientId !== null && (
                  <>
                    {' · '}
                    <Anchor component={Link} to={`/clients/${finding.clientId}`} size="xs" underline="always">
                      Open the client
                    </Anchor>
                  </>
                )}
              </Text>
            </Stack>
            <Badge color={severityColours.high} variant="filled" autoContrast style={{ flexShrink: 0 }}>
              {severityLabels.high}
            </Badge>
          </Group>
        </Card>
      ))}
    </Stack>
  );
}

/** The clause a finding cites, in its words, shown on request. */
function ClauseText({ id, text }: { id: string; text: string }) {
  const [open, setOpen] = useState(false);
  return (
    <Stack gap={4} mt="xs">
      <Button
        variant="subtle"
        size="compact-xs"
        w="fit-content"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        {open ? 'Hide the clause' : `Read ${id}`}
      </Button>
      {open && (
        <Text size="sm" fs="italic" data-testid="clause-text">
          {id}: “{text}”
        </Text>
      )}
    </Stack>
  );
}

const supervisionSchema = z.object({
  sessions: z.array(
    z.object({ id: z.string(), heldOn: z.string(), minutes: z.number(), supervisorName: z.string() }),
  ),
  hoursByYear: z.record(z.string(), z.number()),
});

/** GT-64: supervision sessions with their length, with the supervisor the record names. */
function SupervisionLog() {
  const log = useApi('/supervision/sessions', supervisionSchema);
  const [heldOn, setHeldOn] = useState(londonDay(new Date()));
  const [minutes, setMinutes] = useState<number | string>(60);
  const [error, setError] = useState<string | undefined>(undefined);
  const year = londonDay(new Date()).slice(0, 4);
  const add = async () => {
    setError(undefined);
    try {
      await api('POST', '/supervision/sessions', z.object({ id: z.string() }), {
        body: { heldOn, minutes: Number(minutes) },
      });
      log.reload();
    } catch (e) {
      setError(describeProblem(e));
    }
  };
  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="supervision-log">
      <Title order={3} size="h4" id="supervision-log" mb="xs">
        Supervision log (GT-64)
      </Title>
      {log.state === 'ready' && (
        <>
          <Text size="sm" mb="xs">
            {log.data.hoursByYear[year] ?? 0} hours of supervision in {year}.
          </Text>
          {log.data.sessions.slice(0, 6).map((s) => (
            <Text size="sm" key={s.id}>
              {formatDay(s.heldOn)}: {s.minutes} minutes with {s.supervisorName}
            </Text>
          ))}
        </>
      )}
      <Group align="end" mt="sm">
        <TextInput
          label="Held on"
          type="date"
          value={heldOn}
          onChange={(e) => setHeldOn(e.currentTarget.value)}
        />
        <NumberInput label="Minutes" min={10} max={600} value={minutes} onChange={setMinutes} w={120} />
        <Button variant="default" onClick={() => void add()}>
          Log the session
        </Button>
      </Group>
      {error !== undefined && (
        <Alert color="red" role="alert" mt="sm">
          {error}
        </Alert>
      )}
    </Card>
  );
}
