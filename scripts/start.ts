// `npm start`: builds the web app if its sources changed, makes sure the fictional demo
// practice exists, and serves it. Honours ALCOVE_DATA (default: .alcove-demo in this
// folder, unlocked by .alcove-demo.key beside it), DATABASE_URL, HOST and PORT.
import fs from 'node:fs';
import path from 'node:path';
import { main, terminalIo } from '@alcove/cli';
import { build } from 'vite';

const root = path.resolve(import.meta.dirname, '..');
const web = path.join(root, 'packages', 'web');
const builtIndex = path.join(web, 'dist', 'index.html');

function newestChange(entries: string[]): number {
  let newest = 0;
  for (const entry of entries) {
    if (!fs.existsSync(entry)) continue;
    const stat = fs.statSync(entry);
    if (stat.isDirectory()) {
      const children = fs.readdirSync(entry).map((name) => path.join(entry, name));
      newest = Math.max(newest, newestChange(children));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  }
  return newest;
}

const sources = [
  path.join(web, 'src'),
  path.join(web, 'index.html'),
  path.join(web, 'vite.config.ts'),
  path.join(root, 'packages', 'core', 'src'),
  path.join(root, 'package-lock.json'),
];
const builtAt = fs.existsSync(builtIndex) ? fs.statSync(builtIndex).mtimeMs : 0;
if (newestChange(sources) > builtAt) {
  process.stdout.write('Building the web app...\n');
  await build({ configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });
}

const dataDir = process.env.ALCOVE_DATA?.trim() || path.join(root, '.alcove-demo');
const io = terminalIo({
  ...process.env,
  ALCOVE_DATA: dataDir,
  ALCOVE_KEY_FILE: process.env.ALCOVE_KEY_FILE?.trim() || `${path.resolve(dataDir)}.key`,
});
const demo = await main(['demo'], io);
process.exitCode = demo === 0 ? await main(['serve'], io) : demo;
