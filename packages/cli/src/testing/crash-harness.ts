import path from 'node:path';
import { SQLITE_FILE, WRITE_CRASH_POINTS } from '@alcove/store';
import Database from 'better-sqlite3';
import { main } from '../main.ts';
import { captureIo } from './io.ts';
import { type Installation, killStrayServers, type Server, signIn, startServer } from './served.ts';

/**
 * The crash harness (issue 8): a real `alcove serve` process on a demo folder, driven with
 * note saves and signatures over HTTP, killed with SIGKILL at random moments and at each
 * named point inside a write (store/crash-points.ts), and restarted. At the end, every write
 * the server acknowledged must be there and decrypt, no write may be there in part, the
 * database must pass SQLite's integrity check, and the audit chain must verify.
 */
export interface CrashReport {
  readonly kills: number;
  /** Kills at named points inside a write, one per point. */
  readonly pointKills: number;
  /** Notes there in part: an entry without its passages or its audit event, a signature without its event. */
  readonly torn: readonly string[];
  readonly acknowledged: number;
  readonly lost: readonly string[];
  readonly integrity: string;
  readonly auditVerified: boolean;
}

export async function runCrashHarness(options: CrashOptions): Promise<CrashReport> {
  try {
    return await crashHarness(options);
  } finally {
    killStrayServers();
  }
}

interface CrashOptions {
  dataDir: string;
  kills: number;
  /** Also kill once at each named point inside a write (default true). */
  points?: boolean;
  progress?: (done: number, total: number) => void;
}

/** Clients saving notes at the same time. */
const CLIENTS = 4;

async function crashHarness(options: CrashOptions): Promise<CrashReport> {
  const { dataDir } = options;
  const inst: Installation = { dataDir, keyFile: `${dataDir}.key` };
  if ((await main(['demo', '--data', dataDir], captureIo())) !== 0) throw new Error('demo failed');
  const startedAt = new Date().toISOString();
  let server: Server = await startServer(inst);

  // Sign in once (password and authenticator code), and work with an API token from then on.
  const { cookie, csrf } = await signIn(server, inst);
  const tokenResponse = await fetch(`${server.url}/api/v1/account/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
    body: JSON.stringify({ name: 'crash harness' }),
  });
  const token = ((await tokenResponse.json()) as { token: string }).token;
  const call = async (method: string, url: string, body?: unknown) =>
    fetch(`${server.url}/api/v1${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  // A case with a held session: the demo's individual case.
  const clients = (
    (await (await call('GET', '/clients')).json()) as { clients: { id: string; name: string }[] }
  ).clients;
  const casey = clients.find((c) => c.name.startsWith('Casey'));
  const record = (await (await call('GET', `/clients/${casey?.id}/record`)).json()) as {
    cases: { id: string }[];
  };
  const caseId = record.cases[0]?.id ?? '';
  const sessions = ((await (await call('GET', `/cases/${caseId}`)).json()) as { sessions: { id: string }[] })
    .sessions;
  const sessionId = sessions[0]?.id ?? '';

  const acknowledged = new Map<string, { html: string; signed: boolean }>();
  let n = 0;
  /**
   * Saves and signs notes while `alive()`, from several clients at once so that the server's
   * group commit puts several requests' transactions in each batch; a request the server
   * died during was never acknowledged.
   */
  const drive = (alive: () => boolean) => Promise.all(Array.from({ length: CLIENTS }, () => driveOne(alive)));
  const driveOne = async (alive: () => boolean) => {
    while (alive()) {
      n += 1;
      const html = `<p>Crash harness note ${n} (fictional).</p>`;
      try {
        const created = await call('POST', `/cases/${caseId}/notes`, {
          sessionId,
          passages: [{ section: 'findings', html, attribution: [] }],
        });
        if (created.status !== 201) continue;
        const id = ((await created.json()) as { id: string }).id;
        acknowledged.set(id, { html, signed: false });
        const signed = await call('POST', `/notes/${id}/sign`, {});
        if (signed.status === 200) acknowledged.set(id, { html, signed: true });
      } catch {
        // The server died mid-request.
      }
    }
  };
  const points = options.points === false ? [] : WRITE_CRASH_POINTS;
  const total = options.kills + points.length;
  for (let kill = 0; kill < options.kills; kill += 1) {
    let alive = true;
    const timer = setTimeout(
      () => {
        alive = false;
        server.child.kill('SIGKILL');
      },
      50 + Math.floor(Math.random() * 400),
    );
    await drive(() => alive);
    clearTimeout(timer);
    await server.exited;
    server = await startServer(inst);
    options.progress?.(kill + 1, total);
  }
  // At each named point: the server kills itself the n-th time it gets there.
  for (const [i, point] of points.entries()) {
    server.child.kill('SIGTERM');
    await server.exited;
    let armed: Server;
    try {
      armed = await startServer(inst, { ALCOVE_CRASH_AT: `${point}:${1 + Math.floor(Math.random() * 3)}` });
    } catch (error) {
      // `serve` writes as it starts (its audit events, a checkpoint): it may die at the point
      // before it listens. That is a kill at the point too; it is restarted below.
      if (!String(error).includes('serve exited (SIGKILL)')) throw error;
      server = await startServer(inst);
      options.progress?.(options.kills + i + 1, total);
      continue;
    }
    server = armed;
    let alive = true;
    const current = server;
    void current.exited.then(() => {
      alive = false;
    });
    const deadline = Date.now() + 30_000;
    await drive(() => alive && Date.now() < deadline);
    if (alive) throw new Error(`the server never reached ${point}`);
    server = await startServer(inst);
    options.progress?.(options.kills + i + 1, total);
  }

  const notes = (
    (await (await call('GET', `/cases/${caseId}/notes`)).json()) as {
      notes: { id: string; status: string; passages: { html: string | null }[] }[];
    }
  ).notes;
  const lost: string[] = [];
  for (const [id, expected] of acknowledged) {
    const found = notes.find((note) => note.id === id);
    if (found === undefined || found.passages[0]?.html !== expected.html)
      lost.push(`${id}: missing or not readable`);
    else if (expected.signed && found.status !== 'signed') lost.push(`${id}: signature lost`);
  }
  server.child.kill('SIGTERM');
  await server.exited;

  const db = new Database(path.join(dataDir, SQLITE_FILE), { readonly: true });
  const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? '';
  // Whatever the moment of death, a note is all there or not there at all.
  const torn = [
    ...db
      .prepare(
        `select id from entry e where written_at >= ? and not exists (select 1 from passage p where p.entry_id = e.id)`,
      )
      .pluck()
      .all(startedAt)
      .map((id) => `${id}: an entry without its passages`),
    ...db
      .prepare(
        `select id from entry e where written_at >= ? and not exists (select 1 from audit_event a where a.record_id = e.id and a.action = 'note.draft')`,
      )
      .pluck()
      .all(startedAt)
      .map((id) => `${id}: a note without its audit event`),
    ...db
      .prepare(
        `select id from entry e where signed_at >= ? and not exists (select 1 from audit_event a where a.record_id = e.id and a.action in ('note.sign', 'note.sign-late'))`,
      )
      .pluck()
      .all(startedAt)
      .map((id) => `${id}: a signature without its audit event`),
  ];
  db.close();
  const auditVerified =
    (await main(['audit', 'verify', '--data', dataDir], captureIo({ ALCOVE_KEY_FILE: `${dataDir}.key` }))) ===
    0;
  return {
    kills: options.kills,
    pointKills: points.length,
    torn,
    acknowledged: acknowledged.size,
    lost,
    integrity,
    auditVerified,
  };
}
