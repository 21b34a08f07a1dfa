import fs from 'node:fs';
import path from 'node:path';
import { appendAuditEvent, openStore, SQLITE_FILE } from '@alcove/store';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

/** Events an attacker-free Alcove would write: sign-ins, read beside the running server. */
async function appendEvents(dataDir: string, n: number): Promise<void> {
  const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
  try {
    for (let i = 0; i < n; i += 1)
      await store.db
        .transaction()
        .execute((trx) =>
          appendAuditEvent(trx, { action: 'session.sign-in', outcome: 'ok', purpose: 'security' }),
        );
  } finally {
    await store.close();
  }
}

async function headSeq(dataDir: string): Promise<number> {
  const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
  try {
    return (await store.db.selectFrom('audit_head').select('seq').executeTakeFirstOrThrow()).seq;
  } finally {
    await store.close();
  }
}

/** A demo practice whose key file sits alone in a folder of its own: the witness goes beside it. */
async function demo(): Promise<{ dataDir: string; env: Record<string, string>; keyDir: string }> {
  const dataDir = path.join(tempDir(), 'data');
  const keyDir = tempDir('alcove-keys-');
  const keyFile = path.join(keyDir, 'alcove.key');
  expect(await main(['demo', '--data', dataDir, '--key-file', keyFile], captureIo())).toBe(0);
  return { dataDir, env: { ALCOVE_KEY_FILE: keyFile }, keyDir };
}

function witnessIn(keyDir: string): string {
  const names = fs.readdirSync(keyDir).filter((n) => n.startsWith('alcove-audit-witness-'));
  expect(names).toHaveLength(1);
  return path.join(keyDir, names[0] ?? '');
}

async function checkpoint(dataDir: string, env: Record<string, string>): Promise<void> {
  expect(await main(['audit', 'checkpoint', '--data', dataDir], captureIo(env))).toBe(0);
}

async function verify(dataDir: string, env: Record<string, string>, extra: string[] = []) {
  const io = captureIo(env);
  const code = await main(['audit', 'verify', '--data', dataDir, ...extra], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

describe('the audit witness, from the command line', () => {
  it('witnesses checkpoints beside the key file; detects a log cut short with its head rewritten and its newer checkpoints deleted (exit 3, naming the witness)', async () => {
    const { dataDir, env, keyDir } = await demo();
    await checkpoint(dataDir, env);
    const cut = await headSeq(dataDir);
    await appendEvents(dataDir, 12);
    await checkpoint(dataDir, env);
    const witness = witnessIn(keyDir);
    const intact = await verify(dataDir, env);
    expect(intact.code).toBe(0);
    expect(intact.out).toContain(
      `Compared with the witness ${witness}: its newest entry is the checkpoint at event ${cut + 12}.`,
    );

    const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
    const event = await store.db
      .selectFrom('audit_event')
      .select('hash')
      .where('seq', '=', cut)
      .executeTakeFirstOrThrow();
    await store.db.deleteFrom('audit_event').where('seq', '>', cut).execute();
    await store.db.deleteFrom('audit_checkpoint').where('seq', '>', cut).execute();
    await store.db
      .updateTable('audit_head')
      .set({ seq: cut, hash: event.hash })
      .where('id', '=', 1)
      .execute();
    await store.close();

    const result = await verify(dataDir, env);
    expect(result.code).toBe(3);
    expect(result.err).toContain(
      `the log ends at event ${cut}, before the checkpoint witnessed at event ${cut + 12} in the witness ${witness}`,
    );
    expect(result.err).toContain(`Compared with the witness ${witness}`);
  });

  it('detects an edited witness line by its signature (exit 3), and warns of a witness cut short or deleted', async () => {
    const { dataDir, env, keyDir } = await demo();
    await checkpoint(dataDir, env);
    await appendEvents(dataDir, 3);
    await checkpoint(dataDir, env);
    const witness = witnessIn(keyDir);
    const lines = fs.readFileSync(witness, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);

    fs.writeFileSync(
      witness,
      `${lines[0]?.replace(/"at":"[^"]+"/, '"at":"2026-01-01T00:00:00.000Z"')}\n${lines[1]}\n`,
    );
    const edited = await verify(dataDir, env);
    expect(edited.code).toBe(3);
    expect(edited.err).toContain("line 1 of the witness is not signed by this Alcove's audit key");

    fs.writeFileSync(witness, `${lines[0]}\n`);
    const cut = await verify(dataDir, env);
    expect(cut.code).toBe(0);
    expect(cut.err).toMatch(
      /Warning: the witness .* ends at event \d+, older than the database's newest checkpoint/,
    );

    fs.rmSync(witness);
    const missing = await verify(dataDir, env);
    expect(missing.code).toBe(0);
    expect(missing.err).toContain(`Warning: there is no witness at ${witness}`);
  });

  it('detects a silent rollback (the database file replaced by an older copy), and --witness / ALCOVE_WITNESS name the witness', async () => {
    const { dataDir, env } = await demo();
    const witness = path.join(tempDir('alcove-elsewhere-'), 'witness.log');
    const withWitness = { ...env, ALCOVE_WITNESS: witness };
    await checkpoint(dataDir, withWitness);
    const older = tempDir('alcove-older-copy-');
    for (const name of fs.readdirSync(dataDir).filter((n) => n.startsWith(SQLITE_FILE)))
      fs.copyFileSync(path.join(dataDir, name), path.join(older, name));
    await appendEvents(dataDir, 5);
    await checkpoint(dataDir, withWitness);
    expect((await verify(dataDir, withWitness)).code).toBe(0);

    for (const name of fs.readdirSync(dataDir).filter((n) => n.startsWith(SQLITE_FILE)))
      fs.rmSync(path.join(dataDir, name));
    for (const name of fs.readdirSync(older))
      fs.copyFileSync(path.join(older, name), path.join(dataDir, name));
    // The copy is a perfectly good log on its own…
    const alone = await verify(dataDir, env, ['--witness', path.join(tempDir(), 'none')]);
    expect(alone.code).toBe(0);
    // …that ends before what was witnessed.
    const rolledBack = await verify(dataDir, env, ['--witness', witness]);
    expect(rolledBack.code).toBe(3);
    expect(rolledBack.err).toContain(`in the witness ${witness}: it has been cut short or rolled back`);
    expect((await verify(dataDir, withWitness)).code).toBe(3);

    const inside = await verify(dataDir, env, ['--witness', path.join(dataDir, 'witness')]);
    expect(inside.code).toBe(2);
    expect(inside.err).toContain('outside the data folder');
  });

  it('refuses a witness in the data folder reached through a symbolic link or named "..witness"', async () => {
    const { dataDir, env } = await demo();
    const linkDir = tempDir('alcove-link-');
    fs.symlinkSync(dataDir, path.join(linkDir, 'data'));
    const linked = await verify(dataDir, env, ['--witness', path.join(linkDir, 'data', 'witness')]);
    expect(linked.code).toBe(2);
    expect(linked.err).toContain('outside the data folder');
    const fileLink = path.join(linkDir, 'witness');
    fs.writeFileSync(path.join(dataDir, 'witness'), '');
    fs.symlinkSync(path.join(dataDir, 'witness'), fileLink);
    const linkedFile = await verify(dataDir, env, ['--witness', fileLink]);
    expect(linkedFile.code).toBe(2);
    expect(linkedFile.err).toContain('outside the data folder');
    const dotted = await verify(dataDir, env, ['--witness', path.join(dataDir, '..witness')]);
    expect(dotted.code).toBe(2);
    expect(dotted.err).toContain('outside the data folder');
    // Beside the data folder is outside it.
    expect((await verify(dataDir, env, ['--witness', path.join(dataDir, '..', 'witness')])).code).toBe(0);
  });

  it('reports a witness that cannot be read (a folder in its place) with its path, exit 3', async () => {
    const { dataDir, env, keyDir } = await demo();
    await checkpoint(dataDir, env);
    const witness = witnessIn(keyDir);
    fs.rmSync(witness);
    fs.mkdirSync(witness);
    const result = await verify(dataDir, env);
    expect(result.code).toBe(3);
    expect(result.err).toContain(`Cannot read the audit witness at ${witness} (EISDIR)`);
  });

  it('a restore of an older backup appends "restored to event N", and the restored folder verifies', async () => {
    const { dataDir, env, keyDir } = await demo();
    await checkpoint(dataDir, env);
    const backup = path.join(tempDir('alcove-backups-'), 'older.alcove');
    expect(await main(['backup', '--data', dataDir, '--out', backup], captureIo(env))).toBe(0);
    const backedUp = await headSeq(dataDir);
    await appendEvents(dataDir, 7);
    await checkpoint(dataDir, env);

    const into = path.join(tempDir('alcove-restore-'), 'restored');
    const restore = captureIo(env);
    expect(await main(['restore', backup, '--into', into], restore)).toBe(0);
    const witness = witnessIn(keyDir);
    expect(restore.stdout.join('\n')).toContain(
      `Appended "restored to event ${backedUp}" to the audit witness ${witness}.`,
    );
    const restored = await verify(into, env);
    expect(restored.code).toBe(0);
    expect(restored.out).toContain(`its newest entry is a restore to event ${backedUp}`);
    expect(restored.err).toBe('');
  });
});
