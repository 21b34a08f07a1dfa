// Test helper: takes a data folder's lock in its own process and waits to be killed.
import { lockDataFolder } from '../lock.ts';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: hold-lock.ts DATA_DIR');
lockDataFolder(dataDir);
process.stdout.write('locked\n');
setInterval(() => {}, 60_000);
