import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { SQLITE_FILE } from '@alcove/store';
import Database from 'better-sqlite3';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from '../commands/demo.ts';
import { main } from '../main.ts';
import { captureIo } from './io.ts';

/**
 * The crash harness (issue 8): a real `alcove serve` process on a demo folder, driven with
 * note saves and signatures over HTTP, killed with SIGKILL at random moments and restarted.
 * At the end, every write the server acknowledged must be there and decrypt, the database
 * must pass SQLite's integrity check, and the audit chain must verify.
 */
const bin = path.join(import.meta.dirname, '..', 'bin.ts');

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
}

async function startServer(dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, [bin, 'serve', '--data', dataDir, '--port', '0', '--no-web'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ALCOVE_DATA: '', DATABASE_URL: '', ALCOVE_KEY_FILE: `${dataDir}.key` },
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = Date.now();
  for (;;) {
    const match = out.match(/running at (http:\/\/\S+) /);
    if (match?.[1] !== undefined) return { child, url: match[1], exited };
    if (child.exitCode !== null) throw new Error(`serve exited: ${err}`);
    if (Date.now() - started > 30_000) throw new Error('serve did not start');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface CrashReport {
  readonly kills: number;
  readonly acknowledged: number;
  readonly lost: readonly string[];
  readonly integrity: string;
  readonly auditVerified: boolean;
}

export async function runCrashHarness(options: {
  dataDir: string;
  kills: number;
  progress?: (done: number, total: number) => void;
}): Promise<CrashReport> {
  const { dataDir } = options;
  if ((await main(['demo', '--data', dataDir], captureIo())) !== 0) throw new Error('demo failed');
  let server = await startServer(dataDir);

  // Sign in once (password and authenticator code), and work with an API token from then on.
  const signIn = await fetch(`${server.url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO_ACCOUNTS[0].email, password: DEMO_PASSWORD }),
  });
  let cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  let csrf = ((await signIn.json()) as { csrfToken: string }).csrfToken;
  const codeIo = captureIo();
  await main(['demo', 'code', '--data', dataDir], codeIo);
  const code = codeIo.stdout.join('').trim();
  const challenge = await fetch(`${server.url}/api/v1/auth/mfa/challenge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
    body: JSON.stringify({ code }),
  });
  if (!challenge.ok) throw new Error(`sign-in failed: ${challenge.status}`);
  cookie = (challenge.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  csrf = ((await challenge.json()) as { csrfToken: string }).csrfToken;
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
  for (let kill = 0; kill < options.kills; kill += 1) {
    let alive = true;
    const killAt = 50 + Math.floor(Math.random() * 400);
    const timer = setTimeout(() => {
      alive = false;
      server.child.kill('SIGKILL');
    }, killAt);
    while (alive) {
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
        // The server died mid-request: that write was never acknowledged.
      }
    }
    clearTimeout(timer);
    await server.exited;
    server = await startServer(dataDir);
    options.progress?.(kill + 1, options.kills);
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
  db.close();
  const auditVerified =
    (await main(['audit', 'verify', '--data', dataDir], captureIo({ ALCOVE_KEY_FILE: `${dataDir}.key` }))) ===
    0;
  return { kills: options.kills, acknowledged: acknowledged.size, lost, integrity, auditVerified };
}
