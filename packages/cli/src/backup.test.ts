import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

describe('alcove backup and restore', () => {
  it('backs up a running Alcove, restores into a new folder and verifies it; refuses a damaged backup leaving nothing', async () => {
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const env = { ALCOVE_KEY_FILE: `${dataDir}.key` };

    // Alcove is running (and holds the folder's lock) while the backup is taken.
    const server = captureIo(env);
    const running = main(['serve', '--data', dataDir, '--port', '0', '--no-web'], server);
    for (let i = 0; i < 400 && !server.stdout.join('\n').includes('running at'); i += 1)
      await new Promise((r) => setTimeout(r, 25));
    const out = path.join(tempDir('alcove-backups-'), 'demo.alcove');
    const backup = captureIo(env);
    expect(await main(['backup', '--data', dataDir, '--out', out], backup)).toBe(0);
    expect(backup.stdout.join('\n')).toContain('encrypted');
    server.stop();
    expect(await running).toBe(0);

    const bytes = fs.readFileSync(out);
    for (const needle of ['Alex Demo-Rivers', 'pursue', 'practitioner@demo.alcove.invalid'])
      expect(bytes.includes(Buffer.from(needle))).toBe(false);
    const again = captureIo(env);
    expect(await main(['backup', '--data', dataDir, '--out', out], again)).toBe(2);
    expect(again.stderr.join('\n')).toContain('never overwrites');

    const into = path.join(tempDir('alcove-restore-'), 'restored');
    const restore = captureIo(env);
    expect(await main(['restore', out, '--into', into], restore)).toBe(0);
    expect(restore.stdout.join('\n')).toMatch(/verified: \d+ encrypted fields and keys open/);
    const verify = captureIo(env);
    expect(await main(['audit', 'verify', '--data', into], verify)).toBe(0);

    const damaged = `${out}.damaged`;
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    // Change one character for certain: to a different one than is there.
    const part = lines[1] ?? '';
    lines[1] = `${part.slice(0, 10)}${part[10] === 'A' ? 'B' : 'A'}${part.slice(11)}`;
    fs.writeFileSync(damaged, lines.join('\n'));
    const target = path.join(tempDir('alcove-restore-'), 'never');
    const refused = captureIo(env);
    expect(await main(['restore', damaged, '--into', target], refused)).toBe(3);
    expect(refused.stderr.join('\n')).toContain('cannot be restored');
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(path.dirname(target))).toEqual([]);

    const notEmpty = captureIo(env);
    expect(await main(['restore', out, '--into', into], notEmpty)).toBe(2);
    expect(notEmpty.stderr.join('\n')).toContain('is not empty');
  });
});
