import { execFileSync } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from './commands/demo.ts';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

function post(url: string, body: unknown): Promise<{ status: number; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, setCookie: response.headers['set-cookie'] ?? [] }),
        );
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

describe('alcove serve on a network', () => {
  it('refuses a network address without HTTPS', async () => {
    const io = captureIo();
    expect(await main(['serve', '--data', tempDir(), '--host', '0.0.0.0', '--no-web'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('over HTTPS only');
  });

  it('serves HTTPS with its own certificate, and marks the session cookie Secure and __Host-', async () => {
    const dir = tempDir('alcove-tls-');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      {
        stdio: 'ignore',
      },
    );
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const io = captureIo({ ALCOVE_KEY_FILE: `${dataDir}.key` });
    const running = main(
      ['serve', '--data', dataDir, '--port', '0', '--no-web', '--tls-cert', cert, '--tls-key', key],
      io,
    );
    let url: string | undefined;
    for (let i = 0; i < 400 && url === undefined; i += 1) {
      url = io.stdout.join('\n').match(/running at (https:\/\/\S+) /)?.[1];
      if (url === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    expect(url).toMatch(/^https:/);
    const signIn = await post(`${url}/api/v1/auth/sign-in`, {
      email: DEMO_ACCOUNTS[0].email,
      password: DEMO_PASSWORD,
    });
    expect(signIn.status).toBe(200);
    expect(signIn.setCookie.join(';')).toMatch(/Secure/);
    // Over TLS: the __Host- name, and a session cookie (no Max-Age or Expires: never on disk).
    expect(signIn.setCookie[0]).toMatch(/^__Host-alcove_session=als_[^;]*; Path=\/;/);
    expect(signIn.setCookie.join(';')).not.toMatch(/Domain=|Max-Age=|Expires=/i);
    io.stop();
    expect(await running).toBe(0);
  });
});
