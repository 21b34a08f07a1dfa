import { tempDir } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';
import {
  type Installation,
  type Server,
  type SignedIn,
  signIn,
  startServer,
  stopServer,
} from './testing/served.ts';

/**
 * A whole spawned server put in British Summer Time: the process in Europe/London and its
 * clock (ALCOVE_TEST_NOW) at 00:30 BST on 14 August, which is still 13 August in UTC. Every
 * day it works out must be the London day, and day arithmetic must not lose a day to the
 * hour between them (the defect of issue 14: a request received on 14 August fell due on
 * "13 September").
 */
const SUMMER = { TZ: 'Europe/London', ALCOVE_TEST_NOW: '2026-08-14T00:30:00+01:00' };

describe('a spawned server in British Summer Time', () => {
  const dataDir = tempDir();
  const inst: Installation = { dataDir, keyFile: `${dataDir}.key` };
  let server: Server;
  let auth: SignedIn;

  beforeAll(async () => {
    const io = captureIo(SUMMER);
    if ((await main(['demo', '--data', dataDir], io)) !== 0)
      throw new Error(`demo failed: ${io.stderr.join(' ')}`);
    server = await startServer(inst, SUMMER);
    auth = await signIn(server, inst, SUMMER);
  }, 120_000);

  afterAll(async () => {
    if (server !== undefined) await stopServer(server);
  });

  const get = async (path: string) => {
    const response = await fetch(`${server.url}/api/v1${path}`, { headers: { cookie: auth.cookie } });
    expect(response.status).toBe(200);
    return response.json() as Promise<Record<string, unknown>>;
  };

  it('says today is the London day, 14 August, not the UTC day', async () => {
    const compliance = (await get('/compliance')) as {
      today: string;
      cpd: { year: { start: string; end: string } };
    };
    expect(compliance.today).toBe('2026-08-14');
    // The CPD year ends the day before the next one starts (31 March for an April year), not a day early.
    const { start, end } = compliance.cpd.year;
    const nextStart = `${Number(start.slice(0, 4)) + 1}${start.slice(4)}`;
    expect(end < nextStart).toBe(true);
    expect(new Set(['03-31', '12-31', '08-31'])).toContain(end.slice(5));
  });

  it('makes a subject access request received today due on the same day next month', async () => {
    const { clients } = (await get('/clients')) as { clients: { id: string }[] };
    const clientId = clients[0]?.id;
    expect(clientId).toBeDefined();
    const created = await fetch(`${server.url}/api/v1/release-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: auth.cookie, 'x-csrf-token': auth.csrf },
      body: JSON.stringify({ clientId, basis: 'subject-access', receivedOn: '2026-08-14' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const { requests } = (await get('/release-requests')) as {
      requests: { id: string; receivedOn: string; dueOn: string | null; overdue: boolean }[];
    };
    const request = requests.find((r) => r.id === id);
    expect(request).toMatchObject({ receivedOn: '2026-08-14', dueOn: '2026-09-14', overdue: false });
  });

  it('refuses a request received tomorrow in London (15 August), though the UTC clock says 13 August', async () => {
    const { clients } = (await get('/clients')) as { clients: { id: string }[] };
    const response = await fetch(`${server.url}/api/v1/release-requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: auth.cookie, 'x-csrf-token': auth.csrf },
      body: JSON.stringify({ clientId: clients[0]?.id, basis: 'subject-access', receivedOn: '2026-08-15' }),
    });
    expect(response.status).toBe(400);
  });
});
