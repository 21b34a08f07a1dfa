import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';

/**
 * The audit witness: signed checkpoints kept outside the database they vouch for.
 *
 * Checkpoints live in the database beside the events they sign, so whoever can write the
 * database file can cut the log's tail, rewrite its head and delete the newer checkpoints.
 * As Certificate Transparency (RFC 6962) hands signed tree heads to parties outside the
 * log, Alcove appends every checkpoint to a witness file outside the data folder: one JSON
 * line per checkpoint, signed with the keyring's audit-signing key (HMAC-SHA256, as the
 * checkpoints are) and chained to the line before it by that line's SHA-256. A changed
 * line fails its signature; a removed one leaves the next line pointing at nothing.
 *
 * A line is appended with one write to a file opened with O_APPEND and synced, so several
 * servers of one installation (on PostgreSQL) may share a witness: each line lands whole.
 * Two servers appending at the same moment may chain their lines to the same earlier line,
 * so a line's predecessor may be any earlier line, not only the one just above it.
 *
 * A restore appends a "restored" line: the log was legitimately put back to event N. The
 * lines since the newest such line are what the log must agree with.
 */
export const WITNESS_GENESIS = '0'.repeat(64);

export type WitnessKind = 'checkpoint' | 'restored';

export interface WitnessEntry {
  readonly v: 1;
  /** A checkpoint signed at event `seq`, or a restore that put the log back to event `seq`. */
  readonly kind: WitnessKind;
  readonly seq: number;
  /** The hash of event `seq` (the chain's head then). */
  readonly head: string;
  /** When the checkpoint was signed, or when the restore was made. */
  readonly at: string;
  /** The SHA-256 of the line this one follows, or WITNESS_GENESIS for the first. */
  readonly prev: string;
  readonly sig: string;
}

type Unsigned = Omit<WitnessEntry, 'sig'>;

function signed(key: Buffer, entry: Unsigned): string {
  // The first element keeps a witness line's signature from ever being a checkpoint's.
  return createHmac('sha256', key)
    .update(
      JSON.stringify(['alcove-witness', entry.v, entry.kind, entry.seq, entry.head, entry.at, entry.prev]),
    )
    .digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** True when the entry was signed with this key (and is shaped as an entry at all). */
export function witnessEntryIsSigned(key: Buffer, entry: WitnessEntry): boolean {
  return (
    entry !== null &&
    typeof entry === 'object' &&
    entry.v === 1 &&
    (entry.kind === 'checkpoint' || entry.kind === 'restored') &&
    Number.isInteger(entry.seq) &&
    entry.seq >= 0 &&
    typeof entry.head === 'string' &&
    typeof entry.at === 'string' &&
    typeof entry.prev === 'string' &&
    typeof entry.sig === 'string' &&
    sameHex(entry.sig, signed(key, entry))
  );
}

function lineHash(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** The key that signs witness lines: the keyring's audit-signing secret, as for checkpoints. */
export function witnessKey(db: Kysely<Database>, keyring: Keyring): Promise<Buffer> {
  return keyring.secret(db, 'audit-signing');
}

/**
 * The default witness file's name: the same for every copy of one installation (its
 * restores too) and different for another, so witnesses of several installations can sit
 * in one folder. Derived from the signing key; it reveals nothing of it.
 */
export function witnessFileName(key: Buffer): string {
  return `alcove-audit-witness-${createHmac('sha256', key).update('alcove/witness/name').digest('hex').slice(0, 16)}`;
}

/** The last complete line of a file and whether the file ends with a newline. */
function tail(file: string): { last: string | undefined; endsClean: boolean } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { last: undefined, endsClean: true };
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return { last: undefined, endsClean: true };
    // Lines are a few hundred bytes; read back until a whole one is in hand.
    for (let span = 4096; ; span *= 2) {
      const start = Math.max(0, size - span);
      const buffer = Buffer.alloc(size - start);
      fs.readSync(fd, buffer, 0, buffer.length, start);
      const text = buffer.toString('utf8');
      const endsClean = text.endsWith('\n');
      const lines = text.split('\n');
      lines.pop(); // after the final newline: empty, or a torn write
      const whole = start === 0 ? lines : lines.slice(1);
      const last = whole.filter((l) => l !== '').at(-1);
      if (last !== undefined || start === 0) return { last, endsClean };
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The newest line of a witness, parsed (its signature is not checked), if it has one. */
export function lastWitnessEntry(file: string): WitnessEntry | undefined {
  const { last } = tail(file);
  if (last === undefined) return undefined;
  try {
    return JSON.parse(last) as WitnessEntry;
  } catch {
    return undefined;
  }
}

/**
 * Appends one signed line to the witness, chained to its last line: one write, O_APPEND,
 * then fsync (and the folder's, when the file is new).
 */
export function appendWitnessEntry(
  file: string,
  key: Buffer,
  entry: { kind: WitnessKind; seq: number; head: string; at: string },
): WitnessEntry {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const existed = fs.existsSync(file);
  const { last, endsClean } = tail(file);
  const unsigned: Unsigned = {
    v: 1,
    kind: entry.kind,
    seq: entry.seq,
    head: entry.head,
    at: entry.at,
    prev: last === undefined ? WITNESS_GENESIS : lineHash(last),
  };
  const full: WitnessEntry = { ...unsigned, sig: signed(key, unsigned) };
  // A write torn by a crash left no newline: this line starts on a line of its own.
  const text = `${endsClean ? '' : '\n'}${JSON.stringify(full)}\n`;
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (!existed) syncDir(dir);
  return full;
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some systems cannot sync a folder; the file itself is synced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export interface WitnessReading {
  readonly file: string;
  readonly exists: boolean;
  /** Every line, in order, that is signed and follows a line that is there. */
  readonly entries: readonly WitnessEntry[];
  /**
   * What the log must agree with: the lines since (and with) the newest "restored" line.
   * Before a restore, all of them.
   */
  readonly current: readonly WitnessEntry[];
  /** The entry of `current` at the highest event: what the log must reach. */
  readonly newest: WitnessEntry | undefined;
  /** Lines that were changed, removed or damaged. */
  readonly problems: readonly string[];
}

/** Reads a witness and checks every line's signature and chain. A missing file is not an error. */
export function readWitness(file: string, key: Buffer): WitnessReading {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { file, exists: false, entries: [], current: [], newest: undefined, problems: [] };
    // A failed read (EISDIR: a folder in its place) names no file: name the witness.
    (error as NodeJS.ErrnoException).path ??= file;
    throw error;
  }
  const problems: string[] = [];
  const entries: WitnessEntry[] = [];
  const seen = new Set<string>([WITNESS_GENESIS]);
  // The newest "restored" line that was written as the newest line of the witness.
  let restoredAt = -1;
  let previousHash = WITNESS_GENESIS;
  let latest = '';
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, index) => {
    const number = index + 1;
    if (line === '') return;
    const hash = lineHash(line);
    if (seen.has(hash)) {
      // Alcove never writes the same line twice: a copy of an older line was added.
      problems.push(`line ${number} of the witness repeats an earlier line: a line was copied into it`);
      return;
    }
    let entry: WitnessEntry;
    try {
      entry = JSON.parse(line) as WitnessEntry;
    } catch {
      problems.push(`line ${number} of the witness is damaged`);
      return;
    }
    if (!witnessEntryIsSigned(key, entry)) {
      problems.push(
        `line ${number} of the witness is not signed by this Alcove's audit key: it has been changed`,
      );
      return;
    }
    if (!seen.has(entry.prev)) {
      problems.push(
        `line ${number} of the witness follows a line that is no longer there: a line was removed`,
      );
    }
    if (entry.kind === 'restored') {
      // A restore is appended as the newest line, with no server writing beside it: it
      // follows the line just above it and is no older than any line before it. One that
      // does not (moved, or copied from elsewhere) does not count as a restore.
      if (entry.prev === previousHash && entry.at >= latest) restoredAt = entries.length;
      else
        problems.push(
          `line ${number} of the witness is a restore that was not written as the newest line: it was moved or copied`,
        );
    }
    seen.add(hash);
    previousHash = hash;
    if (entry.at > latest) latest = entry.at;
    entries.push(entry);
  });
  const current = restoredAt < 0 ? entries : entries.slice(restoredAt);
  let newest: WitnessEntry | undefined;
  for (const entry of current) if (newest === undefined || entry.seq >= newest.seq) newest = entry;
  return { file, exists: true, entries, current, newest, problems };
}

/**
 * After a restore: appends "restored to event N" (the restored log's head), so that the
 * log, put back legitimately, verifies against the witness, while the same database put
 * back silently does not.
 */
export async function witnessRestore(
  db: Kysely<Database>,
  keyring: Keyring,
  file: string,
  now = new Date().toISOString(),
): Promise<WitnessEntry> {
  const key = await witnessKey(db, keyring);
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  return appendWitnessEntry(file, key, { kind: 'restored', seq: head.seq, head: head.hash, at: now });
}
