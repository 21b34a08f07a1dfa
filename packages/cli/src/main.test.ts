import fs from 'node:fs';
import path from 'node:path';
import { listPractices, openStore, SQLITE_FILE } from '@alcove/store';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { DEMO_PRACTICE_NAME } from './commands/demo.ts';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

async function practicesIn(dataDir: string) {
  const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
  try {
    return await listPractices(store.db);
  } finally {
    await store.close();
  }
}

const initArgs = (dataDir: string, practiceName: string, keyFile: string | null = `${dataDir}.key`) => [
  'init',
  '--data',
  dataDir,
  '--practice-name',
  practiceName,
  '--email',
  'first@example.test',
  '--name',
  'First Practitioner (fictional)',
  ...(keyFile === null ? [] : ['--key-file', keyFile]),
];
const initEnv = { ALCOVE_INIT_PASSWORD: 'a long fictional passphrase' };

describe('alcove', () => {
  it('prints its version', async () => {
    const io = captureIo();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('lists its commands in --help', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    const help = io.stdout.join('\n');
    for (const command of ['init', 'serve', 'migrate', 'demo', 'audit', 'recover'])
      expect(help).toContain(command);
  });

  it('prints the coverage table of the Code, and --json lists every clause with a status', async () => {
    const table = captureIo();
    expect(await main(['clauses'], table)).toBe(0);
    expect(table.stdout.join('\n')).toMatch(/GT-45\s+must\s+checked\s+insurance-current/);
    const json = captureIo();
    expect(await main(['clauses', '--json'], json)).toBe(0);
    const clauses = JSON.parse(json.stdout.join('\n')) as { id: string; status: string; text: string }[];
    expect(clauses.map((c) => c.id)).toEqual(
      expect.arrayContaining(['GT-1', 'GT-115', 'PG5-6a', 'PG5-6b', 'PG5-8']),
    );
    expect(clauses.every((c) => c.status.length > 0 && c.text.length > 0)).toBe(true);
  });

  it('refuses an unknown command with a non-zero exit and a hint', async () => {
    const io = captureIo();
    expect(await main(['frobnicate'], io)).not.toBe(0);
    expect(io.stderr.join('\n')).toContain("unknown command 'frobnicate'");
  });

  it('init creates a practice, its key file and a recovery kit once, and refuses to create a second', async () => {
    const dataDir = tempDir();
    const io = captureIo(initEnv);
    expect(await main(initArgs(dataDir, 'Test Practice (fictional)'), io)).toBe(0);
    expect((await practicesIn(dataDir)).map((p) => p.name)).toEqual(['Test Practice (fictional)']);
    expect(io.stdout.join('\n')).toMatch(/ALCOVE-RK1 ([0-9a-f]{4}-){16}[0-9a-f]{4}/);
    expect(fs.statSync(`${dataDir}.key`).mode & 0o777).toBe(0o600);

    const again = captureIo(initEnv);
    expect(await main(initArgs(dataDir, 'Another (fictional)', `${dataDir}.second.key`), again)).toBe(1);
    expect(again.stderr.join('\n')).toContain('already holds a practice');
    expect(await practicesIn(dataDir)).toHaveLength(1);
    // The failed attempt left no key file behind.
    expect(fs.existsSync(`${dataDir}.second.key`)).toBe(false);
  });

  it('init refuses a key file inside the data folder', async () => {
    const dataDir = tempDir();
    const io = captureIo(initEnv);
    expect(
      await main(initArgs(dataDir, 'Test Practice (fictional)', path.join(dataDir, 'inside.key')), io),
    ).toBe(1);
    expect(io.stderr.join('\n')).toContain('outside the data folder');
  });

  it('init with a passphrase writes a secret-key file; the recovery kit recovers a forgotten passphrase', async () => {
    const dataDir = tempDir();
    const secretKeyFile = path.join(tempDir(), 'secret-key');
    const io = captureIo({
      ...initEnv,
      ALCOVE_PASSPHRASE: 'the first practice passphrase',
      ALCOVE_SECRET_KEY_FILE: secretKeyFile,
    });
    expect(await main(initArgs(dataDir, 'Passphrase Practice (fictional)', null), io)).toBe(0);
    expect(fs.statSync(secretKeyFile).mode & 0o777).toBe(0o600);
    const kit = io.stdout.join('\n').match(/ALCOVE-RK1 [0-9a-f-]+/)?.[0];
    if (kit === undefined) throw new Error('no recovery kit printed');

    const forgotten = captureIo({
      ALCOVE_PASSPHRASE: 'not the passphrase at all',
      ALCOVE_SECRET_KEY_FILE: secretKeyFile,
    });
    expect(await main(['audit', 'verify', '--data', dataDir], forgotten)).toBe(1);
    expect(forgotten.stderr.join('\n')).toContain('does not unlock');

    const recover = captureIo({
      ALCOVE_RECOVERY_KIT: kit,
      ALCOVE_NEW_PASSPHRASE: 'a second practice passphrase',
      ALCOVE_SECRET_KEY_FILE: secretKeyFile,
    });
    expect(await main(['recover', '--data', dataDir], recover)).toBe(0);
    const verify = captureIo({
      ALCOVE_PASSPHRASE: 'a second practice passphrase',
      ALCOVE_SECRET_KEY_FILE: secretKeyFile,
    });
    expect(await main(['audit', 'verify', '--data', dataDir], verify)).toBe(0);
    expect(verify.stdout.join('\n')).toContain('The audit log is intact');
  });

  it('init refuses a blank practice name and a common password, and writes nothing', async () => {
    const dataDir = tempDir();
    const io = captureIo(initEnv);
    expect(await main(initArgs(dataDir, '   '), io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('Give the practice a name');
    const weak = captureIo({ ALCOVE_INIT_PASSWORD: 'password1234' });
    expect(await main(initArgs(dataDir, 'Test Practice (fictional)'), weak)).toBe(2);
    expect(weak.stderr.join('\n')).toContain('exposed in data breaches');
    expect(weak.stderr.join('\n')).not.toContain('password1234');
    expect(fs.existsSync(path.join(dataDir, SQLITE_FILE))).toBe(false);
    expect(fs.existsSync(`${dataDir}.key`)).toBe(false);
  });

  it('takes the data folder from ALCOVE_DATA when --data is not given', async () => {
    const dataDir = tempDir();
    const io = captureIo({ ALCOVE_DATA: dataDir });
    expect(await main(['demo'], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain(dataDir);
    expect(await practicesIn(dataDir)).toHaveLength(1);
  });

  it('demo creates the fictional practice once and is safe to run again; demo code prints a code', async () => {
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const io = captureIo();
    expect(await main(['demo', '--data', dataDir], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('already here');
    expect(io.stdout.join('\n')).toContain('practitioner@demo.alcove.invalid');
    expect(await practicesIn(dataDir)).toEqual([
      expect.objectContaining({ name: DEMO_PRACTICE_NAME, demo: true }),
    ]);
    const code = captureIo();
    expect(await main(['demo', 'code', '--data', dataDir], code)).toBe(0);
    expect(code.stdout.join('\n')).toMatch(/^\d{6}$/);
    const verify = captureIo({ ALCOVE_KEY_FILE: `${dataDir}.key` });
    expect(await main(['audit', 'verify', '--data', dataDir], verify)).toBe(0);
  });

  it('keys rotate gives each practice a new key, and every record still opens', async () => {
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const env = { ALCOVE_KEY_FILE: `${dataDir}.key` };
    const io = captureIo(env);
    expect(await main(['keys', 'rotate', '--data', dataDir], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/practice key version 2, \d+ data keys re-wrapped/);
    const backup = path.join(tempDir(), 'after-rotation.alcove');
    expect(await main(['backup', '--data', dataDir, '--out', backup], captureIo(env))).toBe(0);
    const restore = captureIo(env);
    expect(await main(['restore', backup, '--into', path.join(tempDir(), 'restored')], restore)).toBe(0);
  });

  it('audit verify finds a changed event and exits 3', async () => {
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const env = { ALCOVE_KEY_FILE: `${dataDir}.key` };
    expect(await main(['audit', 'checkpoint', '--data', dataDir], captureIo(env))).toBe(0);
    const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
    await store.db.updateTable('audit_event').set({ action: 'client.read' }).where('seq', '=', 2).execute();
    await store.close();
    const io = captureIo(env);
    expect(await main(['audit', 'verify', '--data', dataDir], io)).toBe(3);
    expect(io.stderr.join('\n')).toContain('event 2 has been changed');
  });

  it('demo never adds fictional data beside a real practice, and demo code refuses it', async () => {
    const dataDir = tempDir();
    expect(await main(initArgs(dataDir, 'Real Practice (fictional)'), captureIo(initEnv))).toBe(0);
    const io = captureIo();
    expect(await main(['demo', '--data', dataDir, '--key-file', `${dataDir}.demo.key`], io)).toBe(1);
    expect(io.stderr.join('\n')).toContain('never added to real records');
    expect(await practicesIn(dataDir)).toHaveLength(1);
    const code = captureIo();
    expect(await main(['demo', 'code', '--data', dataDir], code)).toBe(1);
    expect(code.stderr.join('\n')).toContain('demo practice only');
  });

  it('migrate applies the migrations, then says the database is up to date', async () => {
    const dataDir = tempDir();
    const first = captureIo();
    expect(await main(['migrate', '--data', dataDir], first)).toBe(0);
    expect(first.stdout.join('\n')).toContain('0001-practice');
    const second = captureIo();
    expect(await main(['migrate', '--data', dataDir], second)).toBe(0);
    expect(second.stdout.join('\n')).toContain('up to date');
  });

  it('serve refuses a port that is not a number', async () => {
    const io = captureIo();
    expect(await main(['serve', '--data', tempDir(), '--port', 'eighty'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('port must be a whole number');
  });

  it('serve refuses to start without the key, naming no secret', async () => {
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const wrongKey = path.join(tempDir(), 'wrong.key');
    fs.writeFileSync(wrongKey, `${Buffer.alloc(32, 7).toString('base64')}\n`);
    const io = captureIo({ ALCOVE_KEY_FILE: wrongKey });
    expect(await main(['serve', '--data', dataDir, '--port', '0', '--no-web'], io)).toBe(1);
    expect(io.stderr.join('\n')).toContain('does not unlock');
  });

  it('serve answers on the port it prints, and stops cleanly when asked', async () => {
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const io = captureIo({ ALCOVE_KEY_FILE: `${dataDir}.key` });
    const running = main(['serve', '--data', dataDir, '--port', '0', '--no-web'], io);
    const url = await waitFor(() => io.stdout.join('\n').match(/running at (http:\/\/\S+) /)?.[1]);
    const health = await fetch(`${url}/api/v1/health`);
    expect(health.status).toBe(200);
    io.stop();
    expect(await running).toBe(0);
    // The lock went with it: another command can take the folder at once.
    expect(await main(['migrate', '--data', dataDir], captureIo())).toBe(0);
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
