// npm run bench [-- --scale organisation] [--duration 10] [--engines sqlite,postgres]
//
// Every figure is measured in one run beside the ceiling that bounds it on this machine, and
// printed with the ratio: note saves over HTTP against a bare durable-insert route and the
// health route under the same load; opening a client's whole record; a subject access release
// for a couple case; audit verification against SHA-256 over the same rows; cold start and
// memory. With --scale organisation both datasets are measured and the growth printed.
// Figures are never asserted by a test. Writes bench/results.json as well as the tables.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventHash, openStore, resolveStoreConfig, unlockKeyring, verifyAuditLog } from '@alcove/store';
import autocannon from 'autocannon';
import pg from 'pg';
import { SCALES, type ScaleName } from '../packages/cli/src/commands/demo-scale.ts';
import { main } from '../packages/cli/src/main.ts';
import { terminalIo } from '../packages/cli/src/terminal.ts';
import { captureIo } from '../packages/cli/src/testing/io.ts';
import {
  type Installation,
  installationEnv,
  killStrayServers,
  type Server,
  type SignedIn,
  signIn,
  startServer,
  stopServer,
} from '../packages/cli/src/testing/served.ts';
import { readKeyFile } from '../packages/cli/src/unlock.ts';

// ------------------------------------------------------------ options
function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}
const scaleOption = option('scale') ?? 'solo';
if (scaleOption !== 'solo' && scaleOption !== 'organisation') {
  process.stderr.write(
    'usage: npm run bench [-- --scale solo|organisation] [--duration S] [--engines sqlite,postgres]\n',
  );
  process.exit(2);
}
const scales: ScaleName[] = scaleOption === 'organisation' ? ['solo', 'organisation'] : ['solo'];
const duration = Number(option('duration') ?? '10');
const pgUrl = process.env.ALCOVE_BENCH_DATABASE_URL ?? process.env.ALCOVE_TEST_DATABASE_URL;
const engines = (option('engines') ?? (pgUrl === undefined ? 'sqlite' : 'sqlite,postgres')).split(',');
if (engines.includes('postgres') && pgUrl === undefined) {
  process.stderr.write('PostgreSQL needs ALCOVE_BENCH_DATABASE_URL (or ALCOVE_TEST_DATABASE_URL).\n');
  process.exit(2);
}
const CONNECTIONS = 8;
const say = (line: string) => process.stderr.write(`· ${line}\n`);

// ------------------------------------------------------------ figures
interface Figure {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** The ceiling it is compared to, measured in the same run. */
  readonly ceiling?: { readonly label: string; readonly value: number };
  /** value ÷ ceiling for rates; ceiling ÷ value for times: 1 is the ceiling itself. */
  readonly ratio?: number;
  /** Extra facts: latency percentiles, failures. */
  readonly note?: string;
}
interface Run {
  readonly engine: string;
  readonly scale: ScaleName;
  readonly generatedSeconds: number;
  readonly figures: Figure[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}
function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? Number.NaN);
  return kb / 1024;
}

// ------------------------------------------------------------ datasets
async function prepare(engine: string, scale: ScaleName): Promise<{ inst: Installation; seconds: number }> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `alcove-bench-${scale}-`));
  let inst: Installation;
  if (engine === 'sqlite') {
    inst = { dataDir: path.join(base, 'data'), keyFile: path.join(base, 'demo.key') };
  } else {
    const name = `alcove_bench_${scale}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(pgUrl ?? '');
    url.pathname = `/${name}`;
    inst = { databaseUrl: url.toString(), keyFile: path.join(base, 'demo.key') };
  }
  say(`generating the ${scale} dataset on ${engine}`);
  const progress = terminalIo().progress;
  const io = { ...captureIo(installationEnv(inst)), ...(progress === undefined ? {} : { progress }) };
  const args = ['demo', '--scale', scale, '--key-file', inst.keyFile];
  if (inst.dataDir !== undefined) args.push('--data', inst.dataDir);
  const { ms, value: code } = await timed(() => main(args, io));
  if (code !== 0) throw new Error(`demo --scale failed: ${io.stderr.join(' ')}`);
  await settleOnDisk(inst);
  return { inst, seconds: ms / 1000 };
}

/**
 * Puts the freshly generated dataset on disk before anything is measured: otherwise the first
 * commits measured pay for flushing gigabytes the generator left in the page cache.
 */
async function settleOnDisk(inst: Installation): Promise<void> {
  if (inst.databaseUrl === undefined) {
    execFileSync('sync');
    return;
  }
  const client = new pg.Client({ connectionString: inst.databaseUrl });
  await client.connect();
  try {
    await client.query('checkpoint');
  } catch {
    // CHECKPOINT needs a superuser (or pg_checkpoint): without it, the server flushes in its own time.
  } finally {
    await client.end();
  }
}

/** The benchmarks' cases (the generator's first two), found by their pseudonyms. */
async function fixtures(inst: Installation) {
  const store = await openStore(
    resolveStoreConfig({ DATABASE_URL: inst.databaseUrl, ALCOVE_DATA: inst.dataDir }, { defaultDataDir: '' }),
    { lock: false },
  );
  try {
    const rows = await store.db
      .selectFrom('care_case')
      .innerJoin('participant', 'participant.case_id', 'care_case.id')
      .select(['care_case.id as caseId', 'care_case.pseudonym', 'participant.client_id as clientId'])
      .where('care_case.pseudonym', 'in', ['Case G000001', 'Case G000002', 'Case G000003'])
      .orderBy('participant.label')
      .execute();
    const record = rows.find((r) => r.pseudonym === 'Case G000001');
    const couple = rows.find((r) => r.pseudonym === 'Case G000002');
    // Notes are saved to another case, so the drafts they leave never weigh on the record opened.
    const saves = rows.find((r) => r.pseudonym === 'Case G000003');
    if (record === undefined || couple === undefined || saves === undefined)
      throw new Error('the generated benchmark cases are missing');
    const session = await store.db
      .selectFrom('therapy_session')
      .select('id')
      .where('case_id', '=', saves.caseId)
      .orderBy('starts_at')
      .limit(1)
      .executeTakeFirstOrThrow();
    return { record, couple, saves, sessionId: session.id };
  } finally {
    await store.close();
  }
}

/** Batches group commit has committed in the server, and the transactions they held. */
async function commitCount(server: Server): Promise<{ batches: number; transactions: number }> {
  const r = await fetch(`${server.url}/api/v1/bench/commits`);
  return (await r.json()) as { batches: number; transactions: number };
}

// ------------------------------------------------------------ load
async function load(
  server: Server,
  request: { path: string; method?: 'GET' | 'POST'; body?: string; auth?: SignedIn; connections?: number },
  onTick?: () => void,
) {
  const headers: Record<string, string> = {};
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.auth !== undefined) {
    headers.cookie = request.auth.cookie;
    headers['x-csrf-token'] = request.auth.csrf;
  }
  const sampler = onTick === undefined ? undefined : setInterval(onTick, 100);
  const result = await autocannon({
    url: `${server.url}${request.path}`,
    method: request.method ?? 'GET',
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    connections: request.connections ?? CONNECTIONS,
    duration,
  });
  clearInterval(sampler);
  return {
    perSecond: result.requests.total / duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
    total: result.requests.total,
  };
}

function londonToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
}

// ------------------------------------------------------------ one dataset
async function measure(engine: string, scale: ScaleName): Promise<Run> {
  const { inst, seconds } = await prepare(engine, scale);
  const figures: Figure[] = [];
  const fx = await fixtures(inst);

  // Cold start: from spawning `alcove serve` to its first answer, three times.
  say('cold start');
  const starts: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const server = await startServer(inst);
    for (;;) {
      const ok = await fetch(`${server.url}/api/v1/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
    }
    starts.push(performance.now() - server.spawnedAt);
    await stopServer(server);
  }
  figures.push({ id: 'cold-start', label: 'cold start to first answer', value: median(starts), unit: 'ms' });

  const server = await startServer(inst, { ALCOVE_BENCH_ROUTES: '1' });
  try {
    const auth = await signIn(server, inst);
    const api = (p: string, init: { method?: string; body?: unknown } = {}) =>
      fetch(`${server.url}/api/v1${p}`, {
        method: init.method ?? 'GET',
        headers: {
          cookie: auth.cookie,
          'x-csrf-token': auth.csrf,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = rssMiB(server.child.pid);

    // A session note as the editor saves it: three sections of about 600 characters.
    const paragraph = `<p>${'Talked about the week at home and what got in the way (fictional). '.repeat(9)}</p>`;
    const noteBody = JSON.stringify({
      sessionId: fx.sessionId,
      passages: ['findings', 'decisions', 'information'].map((section) => ({
        section,
        html: paragraph,
        attribution: [],
      })),
    });
    const insertBody = JSON.stringify({ body: 'x'.repeat(noteBody.length) });

    say(`health route, ${CONNECTIONS} connections, ${duration} s`);
    const health = await load(server, { path: '/api/v1/health' });
    say('durable-insert route');
    const insert = await load(server, {
      path: '/api/v1/bench/durable-insert',
      method: 'POST',
      body: insertBody,
    });
    say('note saves');
    let peak = idle;
    const commitsBefore = await commitCount(server);
    const notes = await load(
      server,
      { path: `/api/v1/cases/${fx.saves.caseId}/notes`, method: 'POST', body: noteBody, auth },
      () => {
        peak = Math.max(peak, rssMiB(server.child.pid));
      },
    );
    const commitsAfter = await commitCount(server);
    const perCommit =
      (commitsAfter.transactions - commitsBefore.transactions) /
      Math.max(1, commitsAfter.batches - commitsBefore.batches);
    figures.push(
      {
        id: 'note-save',
        label: 'note save over HTTP (session, access, encryption, audit, commit)',
        value: notes.perSecond,
        unit: 'req/s',
        ceiling: { label: 'durable insert of the same size', value: insert.perSecond },
        ratio: notes.perSecond / insert.perSecond,
        note: `p50 ${notes.p50} ms, p99 ${notes.p99} ms, ${perCommit.toFixed(1)} transactions a commit${notes.failed > 0 ? `, ${notes.failed} FAILED` : ''}`,
      },
      {
        id: 'durable-insert',
        label: 'durable-insert route (storage ceiling)',
        value: insert.perSecond,
        unit: 'req/s',
        ceiling: { label: 'health route (HTTP ceiling)', value: health.perSecond },
        ratio: insert.perSecond / health.perSecond,
        note: `p50 ${insert.p50} ms, p99 ${insert.p99} ms${insert.failed > 0 ? `, ${insert.failed} FAILED` : ''}`,
      },
      {
        id: 'health',
        label: 'health route (HTTP ceiling)',
        value: health.perSecond,
        unit: 'req/s',
        note: `p50 ${health.p50} ms, p99 ${health.p99} ms`,
      },
    );

    say('opening a record of 200 notes');
    const recordPath = `/api/v1/clients/${fx.record.clientId}/record`;
    const recordBytes = (await api(`/clients/${fx.record.clientId}/record`).then((r) => r.arrayBuffer()))
      .byteLength;
    const record = await load(server, { path: recordPath, auth }, () => {
      peak = Math.max(peak, rssMiB(server.child.pid));
    });
    say('the same bytes from a bare route (transfer ceiling)');
    const bytes = await load(server, { path: `/api/v1/bench/bytes/${recordBytes}` });
    say('opening the record from one connection');
    const single = await load(server, { path: recordPath, auth, connections: 1 });
    const kib = `${Math.round(recordBytes / 1024)} KiB`;
    figures.push(
      {
        id: 'record-open-p50',
        label: 'record open, 200 notes, p50 at 8 connections',
        value: record.p50,
        unit: 'ms',
        ceiling: { label: `the same ${kib} from a bare route, p50`, value: bytes.p50 },
        ratio: bytes.p50 / Math.max(record.p50, 0.5),
        note: `${record.perSecond.toFixed(0)} req/s (bare route ${bytes.perSecond.toFixed(0)} req/s)${record.failed > 0 ? `, ${record.failed} FAILED` : ''}`,
      },
      {
        id: 'record-open-p99',
        label: 'record open, 200 notes, p99 at 8 connections',
        value: record.p99,
        unit: 'ms',
        ceiling: { label: `the same ${kib} from a bare route, p99`, value: bytes.p99 },
        ratio: bytes.p99 / Math.max(record.p99, 0.5),
      },
      {
        id: 'record-open-single',
        label: 'record open, 200 notes, p99 from one connection at a time',
        value: single.p99,
        unit: 'ms',
        note: `p50 ${single.p50} ms, ${single.perSecond.toFixed(0)} req/s`,
      },
    );

    // A subject access release for one partner of the 500-entry couple case.
    say('subject access release, 500 entries');
    const partner = fx.couple.clientId;
    const newRequest = async () => {
      const r = await api('/release-requests', {
        method: 'POST',
        body: { clientId: partner, basis: 'subject-access', receivedOn: londonToday() },
      });
      if (r.status !== 201) throw new Error(`release request: ${r.status}`);
      return ((await r.json()) as { id: string }).id;
    };
    const requestId = await newRequest();
    const previews: number[] = [];
    const issues: number[] = [];
    const reads: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const read = await timed(() => api(`/clients/${partner}/record`).then((r) => r.arrayBuffer()));
      reads.push(read.ms);
      const preview = await timed(() =>
        api(`/release-requests/${requestId}/preview`, { method: 'POST', body: {} }).then((r) =>
          r.arrayBuffer(),
        ),
      );
      previews.push(preview.ms);
    }
    for (let i = 0; i < 3; i += 1) {
      const id = await newRequest();
      const issued = await timed(() => api(`/release-requests/${id}/issue`, { method: 'POST', body: {} }));
      if (issued.value.status !== 201) throw new Error(`release issue: ${issued.value.status}`);
      issues.push(issued.ms);
    }
    const readMs = median(reads);
    figures.push(
      {
        id: 'sar-json',
        label: 'subject access release, 500 entries, assembled (JSON preview)',
        value: median(previews),
        unit: 'ms',
        ceiling: { label: "reading the client's record (same entries, decrypted)", value: readMs },
        ratio: readMs / median(previews),
      },
      {
        id: 'sar-pdf',
        label: 'subject access release, 500 entries, issued (PDF + FHIR, sealed)',
        value: median(issues),
        unit: 'ms',
        ceiling: { label: "reading the client's record", value: readMs },
        ratio: readMs / median(issues),
      },
    );
    figures.push(
      { id: 'rss-idle', label: 'resident memory at idle', value: idle, unit: 'MiB' },
      { id: 'rss-load', label: 'resident memory under load (peak)', value: peak, unit: 'MiB' },
    );
  } finally {
    await stopServer(server);
  }

  // Audit verification against SHA-256 over the same rows, already in memory.
  say('audit verification');
  const store = await openStore(
    resolveStoreConfig({ DATABASE_URL: inst.databaseUrl, ALCOVE_DATA: inst.dataDir }, { defaultDataDir: '' }),
    { lock: false },
  );
  try {
    const keyring = await unlockKeyring(store.db, {
      method: 'key-file',
      key: readKeyFile(inst.keyFile, 'key file'),
    });
    const verifies: number[] = [];
    let events = 0;
    for (let i = 0; i < 3; i += 1) {
      const run = await timed(() => verifyAuditLog(store.db, keyring));
      if (!run.value.ok) throw new Error(`audit: ${run.value.problems.join('; ')}`);
      events = run.value.events;
      verifies.push(run.ms);
    }
    const rows = await store.db.selectFrom('audit_event').selectAll().orderBy('seq').execute();
    const hashes: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const started = performance.now();
      for (const row of rows) eventHash(row.prev_hash, row);
      hashes.push(performance.now() - started);
    }
    const verifyRate = events / (median(verifies) / 1000);
    const hashRate = rows.length / (median(hashes) / 1000);
    figures.push({
      id: 'audit-verify',
      label: 'alcove audit verify',
      value: verifyRate,
      unit: 'events/s',
      ceiling: { label: 'SHA-256 row by row, rows in memory', value: hashRate },
      ratio: verifyRate / hashRate,
      note: `${events.toLocaleString('en-GB')} events`,
    });
  } finally {
    await store.close();
  }
  if (inst.dataDir !== undefined) fs.rmSync(path.dirname(inst.dataDir), { recursive: true, force: true });
  return { engine, scale, generatedSeconds: seconds, figures };
}

// ------------------------------------------------------------ the run
const runs: Run[] = [];
try {
  for (const scale of scales) for (const engine of engines) runs.push(await measure(engine, scale));
} finally {
  killStrayServers();
}

const fmt = (x: number) =>
  Number.isNaN(x)
    ? '–'
    : x >= 100
      ? Math.round(x).toLocaleString('en-GB')
      : x >= 10
        ? x.toFixed(1)
        : x.toFixed(2);
const lines: string[] = [];
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
lines.push(
  `Node ${process.version}, ${os.cpus().length} cores (${cpu}), ${duration} s per load, ${CONNECTIONS} connections`,
);
for (const run of runs) {
  const plan = SCALES[run.scale];
  lines.push('');
  lines.push(
    `${run.engine === 'sqlite' ? 'SQLite (WAL, synchronous=FULL)' : 'PostgreSQL'} — ${run.scale}: ${plan.practitioners.toLocaleString('en-GB')} practitioner(s), ${plan.clients.toLocaleString('en-GB')} clients, ${plan.notes.toLocaleString('en-GB')} notes (generated in ${run.generatedSeconds.toFixed(0)} s)`,
  );
  lines.push('');
  lines.push('| figure | value | ceiling | ratio | |');
  lines.push('| --- | ---: | --- | ---: | --- |');
  for (const f of run.figures) {
    lines.push(
      `| ${f.label} | ${fmt(f.value)} ${f.unit} | ${f.ceiling === undefined ? '' : `${f.ceiling.label}: ${fmt(f.ceiling.value)} ${f.unit}`} | ${f.ratio === undefined ? '' : f.ratio.toFixed(2)} | ${f.note ?? ''} |`,
    );
  }
}
const growth: {
  engine: string;
  id: string;
  label: string;
  solo: number;
  organisation: number;
  ratio: number;
}[] = [];
if (scales.length === 2) {
  for (const engine of engines) {
    const solo = runs.find((r) => r.engine === engine && r.scale === 'solo');
    const org = runs.find((r) => r.engine === engine && r.scale === 'organisation');
    if (solo === undefined || org === undefined) continue;
    lines.push('');
    lines.push(
      `Growth from solo to organisation, ${engine} (cost: a time, or 1 ÷ a rate; 1.00 is no growth)`,
    );
    lines.push('');
    lines.push('| figure | solo | organisation | growth |');
    lines.push('| --- | ---: | ---: | ---: |');
    for (const f of solo.figures) {
      const o = org.figures.find((x) => x.id === f.id);
      if (o === undefined) continue;
      const isRate = f.unit.endsWith('/s');
      const ratio = isRate ? f.value / o.value : o.value / f.value;
      growth.push({ engine, id: f.id, label: f.label, solo: f.value, organisation: o.value, ratio });
      lines.push(
        `| ${f.label} | ${fmt(f.value)} ${f.unit} | ${fmt(o.value)} ${o.unit} | ${ratio.toFixed(2)}× |`,
      );
    }
  }
}
// ------------------------------------------------------------ the goals (README), never asserted by a test
/** Figures that may grow with the data: memory (caches sized by what is read), the generator. */
const MAY_GROW = new Set(['rss-idle', 'rss-load']);
const goals: { goal: string; where: string; measured: string; met: boolean | 'reported' }[] = [];
const figure = (run: Run, id: string) => run.figures.find((f) => f.id === id);
for (const run of runs) {
  const where = `${run.engine}, ${run.scale}`;
  const note = figure(run, 'note-save');
  const insert = figure(run, 'durable-insert');
  if (note?.ratio !== undefined) {
    goals.push({
      goal: 'note save ≥ 0.5 × the durable-insert route',
      where,
      measured: `${note.ratio.toFixed(2)} ×`,
      met: note.ratio >= 0.5,
    });
  }
  const p99 = figure(run, 'record-open-p99');
  if (p99 !== undefined && run.scale === 'organisation') {
    goals.push({
      goal: 'record open p99 < 20 ms at 8 connections, organisation scale',
      where,
      measured: `${fmt(p99.value)} ms`,
      met: p99.value < 20,
    });
  }
  const verify = figure(run, 'audit-verify');
  if (verify?.ratio !== undefined) {
    goals.push({
      goal: 'audit verify ≥ 0.5 × SHA-256 row by row',
      where,
      measured: `${verify.ratio.toFixed(2)} ×`,
      met: run.engine === 'sqlite' ? verify.ratio >= 0.5 : 'reported',
    });
  }
  if (note !== undefined && insert !== undefined) {
    goals.push({
      goal: 'stretch: note saves beat the serial-commit ceiling',
      where,
      measured: `${fmt(note.value)} against ${fmt(insert.value)} req/s`,
      met: note.value > insert.value,
    });
  }
}
for (const g of growth) {
  if (MAY_GROW.has(g.id)) continue;
  goals.push({
    goal: `grows ≤ 1.5× from solo to organisation: ${g.label}`,
    where: g.engine,
    measured: `${g.ratio.toFixed(2)} ×`,
    met: g.ratio <= 1.5,
  });
}
lines.push('');
lines.push('Goals (benchmark goals, never tests)');
lines.push('');
lines.push('| goal | where | measured | met |');
lines.push('| --- | --- | ---: | --- |');
for (const g of goals) {
  lines.push(
    `| ${g.goal} | ${g.where} | ${g.measured} | ${g.met === 'reported' ? 'reported' : g.met ? 'yes' : 'no'} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  // Not a git checkout.
}
fs.writeFileSync(
  path.join(import.meta.dirname, 'results.json'),
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      commit,
      node: process.version,
      cores: os.cpus().length,
      cpu,
      durationSeconds: duration,
      connections: CONNECTIONS,
      runs,
      growth,
      goals,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write('\nWritten to bench/results.json.\n');
