import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * ASVS 5.0 requirements about the web app's pages (docs/security/asvs.md: V6.2.6, V6.2.7,
 * V7.4.4), checked on the web app's source: every password field, wherever it is, and every
 * page, wherever it is routed. A new field or page that breaks one fails here.
 */
const root = path.resolve(import.meta.dirname, '..');
const webSrc = path.join(root, 'packages', 'web', 'src');

function webSources(dir = webSrc, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) webSources(full, out);
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(full);
  }
  return out;
}

interface Field {
  readonly file: string;
  readonly line: number;
  readonly component: string;
  readonly props: string;
}

/** Every text-entry element (`<PasswordInput …/>`, `<TextInput …/>`, `<input …/>`) with its props. */
function inputFields(): Field[] {
  const fields: Field[] = [];
  for (const file of webSources()) {
    const source = fs.readFileSync(file, 'utf8');
    for (const match of source.matchAll(/<(PasswordInput|TextInput|input)\b([\s\S]*?)\/>/g)) {
      fields.push({
        file: path.relative(root, file),
        line: source.slice(0, match.index).split('\n').length,
        component: match[1] ?? '',
        props: match[2] ?? '',
      });
    }
  }
  return fields;
}

const isPasswordField = (field: Field) =>
  field.component === 'PasswordInput' ||
  /type="password"/.test(field.props) ||
  /autoComplete="(current|new)-password"/.test(field.props) ||
  /label="[^"]*password/i.test(field.props);

const where = (field: Field) => `${field.file}:${field.line}`;

describe('the web app and ASVS 5.0', () => {
  it('masks every password field of the web app', () => {
    const passwords = inputFields().filter(isPasswordField);
    // Sign-in, the account page (2), both invitation pages, the kiosk, the mail settings.
    expect(passwords.length).toBeGreaterThanOrEqual(7);
    const unmasked = passwords
      .filter((field) => field.component !== 'PasswordInput' && !/type="password"/.test(field.props))
      .map(where);
    expect(unmasked, 'password fields that show what is typed').toEqual([]);
  });

  it('lets a password manager fill and paste into every sign-in password field', () => {
    // Nothing anywhere stops pasting, copying or dropping text into a field.
    const blocking = webSources()
      .filter((file) =>
        /\bon(Paste|Copy|Cut|Drop)\b|addEventListener\(\s*['"](paste|copy|cut|drop)['"]/.test(
          fs.readFileSync(file, 'utf8'),
        ),
      )
      .map((file) => path.relative(root, file));
    expect(blocking, 'files that handle paste, copy, cut or drop').toEqual([]);
    // Every password field tells a password manager what it is: the current password or a new one.
    // The one exception is the signing kiosk: the device is in a client's hands, and a browser
    // that filled the practitioner's saved password there would hand the client the record.
    const KIOSK = path.join('packages', 'web', 'src', 'pages', 'signing.tsx');
    const unhinted = inputFields()
      .filter(isPasswordField)
      .filter((field) => field.file !== KIOSK)
      .filter((field) => !/autoComplete="(current|new)-password"/.test(field.props))
      .map(where);
    expect(unhinted, 'password fields without autoComplete current-password or new-password').toEqual([]);
    const signIn = fs.readFileSync(path.join(webSrc, 'pages', 'sign-in.tsx'), 'utf8');
    expect(signIn).toMatch(/autoComplete="username"/);
    expect(signIn).toMatch(/autoComplete="current-password"/);
  });

  it('shows "Sign out" in the shell around every signed-in page', () => {
    const shell = fs.readFileSync(path.join(webSrc, 'shell', 'app-shell.tsx'), 'utf8');
    expect(shell).toMatch(/onClick=\{\(\) => (void )?signOut\(\)\}>\s*Sign out\s*</);
    // Every page is inside the shell, but for those a person reaches before they are signed in
    // and the two that stand alone with their own way out.
    const routes = fs.readFileSync(path.join(webSrc, 'routes.tsx'), 'utf8');
    const shellAt = routes.indexOf('element: <Shell />');
    expect(shellAt).toBeGreaterThan(0);
    const outside = [...routes.slice(0, shellAt).matchAll(/path: '([^']+)', element: <(\w+)/g)].map((m) => ({
      path: m[1] ?? '',
      page: m[2] ?? '',
    }));
    const beforeSigningIn = [
      '/sign-in',
      '/sign-in/code',
      '/portal/join',
      '/join',
      // A forgotten password (V6.4.3): asked for and set before signing in.
      '/forgot-password',
      '/reset-password',
    ];
    const ownWayOut: Record<string, string> = {
      '/choose-practice': 'choose-practice.tsx',
      '/cases/:caseId/sign/:clientId': 'signing.tsx',
    };
    const problems: string[] = [];
    for (const { path: address, page } of outside) {
      if (beforeSigningIn.includes(address)) continue;
      const file = ownWayOut[address];
      if (file === undefined) {
        problems.push(`${address} (${page}) is a page outside the shell, with no sign-out of its own`);
        continue;
      }
      const source = fs.readFileSync(path.join(webSrc, 'pages', file), 'utf8');
      if (!/onClick=\{\(\) => (void )?signOut\(\)\}/.test(source))
        problems.push(`${address} (${file}) has no button that signs out`);
    }
    expect(problems).toEqual([]);
    expect(outside.map((o) => o.path).sort()).toEqual([...beforeSigningIn, ...Object.keys(ownWayOut)].sort());
  });
});
