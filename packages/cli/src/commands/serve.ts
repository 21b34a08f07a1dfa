import fs from 'node:fs';
import { systemClock } from '@alcove/core';
import { buildApp, DEFAULT_WEB_ROOT } from '@alcove/server';
import { describeStore, listPractices, openStore, unlockKeyring, writeCheckpoint } from '@alcove/store';
import { CliError, type CliIo, clockFor, storeConfigFor } from '../context.ts';
import { MIGRATION_STOP_NOTICE, migrateForCommand, StopRequests } from '../stopping.ts';
import { type UnlockOptions, unlockSource } from '../unlock.ts';
import { type WitnessOptions, witnessFileFor } from '../witness.ts';
import { dataFolderOf } from './audit.ts';

export interface ServeOptions extends UnlockOptions, WitnessOptions {
  data?: string;
  host?: string;
  port?: string;
  /** false with --no-web: the API only. */
  web?: boolean;
  webRoot?: string;
  tlsCert?: string;
  tlsKey?: string;
  behindProxy?: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** How often the audit log's head is signed while Alcove runs (and once more when it stops). */
export const CHECKPOINT_INTERVAL_MS = 10_000;
/** How often the outbox is sent; anything queued by a request is sent at once as well. */
export const MAIL_INTERVAL_MS = 15_000;

export async function serveCommand(io: CliIo, options: ServeOptions): Promise<void> {
  const host = options.host ?? io.env.HOST?.trim() ?? '127.0.0.1';
  const port = parsePort(options.port ?? io.env.PORT?.trim() ?? '8080');
  const tls = tlsFiles(io, options);
  if (!LOOPBACK.has(host) && tls === undefined) {
    throw new CliError(
      `Alcove serves a network (${host}) over HTTPS only: give --tls-cert and --tls-key, or keep it on 127.0.0.1 behind an HTTPS reverse proxy (see the README).`,
      2,
    );
  }
  const config = storeConfigFor(io, options.data);
  const store = await openStore(config);
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Ctrl+C or SIGTERM during the migrations stops Alcove between two of them.
  const stops = new StopRequests(io, MIGRATION_STOP_NOTICE);
  try {
    const report = await migrateForCommand(
      store.db,
      stops,
      'Start Alcove again (or run alcove migrate) to apply the rest.',
    );
    stops.dispose();
    if (report.applied.length > 0) io.out(`Applied migration(s): ${report.applied.join(', ')}.`);
    if (stops.signal !== undefined) {
      throw stops.error(
        `The database is at ${report.current ?? 'no migration'}, up to date; Alcove did not start.`,
      );
    }
    const keyring = await unlockKeyring(store.db, await unlockSource(io, options));
    const benchRoutes = io.env.ALCOVE_BENCH_ROUTES === '1';
    if (benchRoutes && (await listPractices(store.db)).some((p) => !p.demo)) {
      throw new CliError(
        'ALCOVE_BENCH_ROUTES is for benchmarks on a demo practice, never on real records.',
        2,
      );
    }
    const now = clockFor(io);
    if (now !== systemClock)
      io.err(`ALCOVE_TEST_NOW is set: the clock reads ${now().toISOString()} (for tests only).`);
    const witness = await witnessFileFor(io, options, store, keyring, dataFolderOf(config));
    app = await buildApp({
      store,
      keyring,
      now,
      witness,
      webRoot: options.web === false ? undefined : (options.webRoot ?? DEFAULT_WEB_ROOT),
      logger: { level: io.env.LOG_LEVEL?.trim() || 'warn' },
      ...(tls === undefined ? {} : { https: tls }),
      behindProxy: options.behindProxy === true || io.env.ALCOVE_BEHIND_PROXY === '1',
      mailIntervalMs: MAIL_INTERVAL_MS,
      benchRoutes,
    });
    // Every checkpoint is appended to the witness outside the data folder (store/witness.ts).
    // The log compared with the witness before anything is appended to it (appending would
    // re-create a deleted witness): a finding on the obligations page when they disagree.
    await app.alcove.auditWatch.check('quick').catch(() => {
      io.err(`Could not compare the audit log with the witness ${witness}.`);
    });
    // Once now, so that a witness that cannot be written stops Alcove before it serves.
    try {
      await writeCheckpoint(store.db, keyring, undefined, witness);
    } catch (error) {
      throw new CliError(
        `Cannot write the audit witness at ${witness} (${(error as NodeJS.ErrnoException).code ?? 'error'}): give a file Alcove can append to with --witness or ALCOVE_WITNESS.`,
      );
    }
    // Then the whole log once a day, and the daily digest (server/src/audit-watch.ts).
    app.alcove.auditWatch.start();
    const address = await app.listen({ host, port });
    let witnessFailing = false;
    timer = setInterval(() => {
      writeCheckpoint(store.db, keyring, undefined, witness).then(
        () => {
          witnessFailing = false;
        },
        () => {
          if (!witnessFailing) io.err(`Could not sign a checkpoint or append it to the witness ${witness}.`);
          witnessFailing = true;
        },
      );
    }, CHECKPOINT_INTERVAL_MS);
    // Listening for Ctrl+C before saying so: a signal sent on seeing the line is never missed.
    const stopped = io.stopSignal();
    io.out(`Alcove is running at ${displayUrl(address, host)} (${describeStore(config)}).`);
    io.out('Press Ctrl+C to stop.');
    // A commit that fails (a full or failing disk) stops the store; Alcove stops with it, so
    // nothing read from the failed batch is ever shown (see store/group-commit.ts).
    const failed = new Promise<'storage-failed'>((resolve) =>
      store.onFailure(() => resolve('storage-failed')),
    );
    const signal = await Promise.race([stopped, failed]);
    clearInterval(timer);
    if (signal === 'storage-failed') {
      await app.close();
      throw new CliError(
        'Alcove stopped: the database could not commit (the disk may be full or failing). Nothing that was not confirmed was saved. Make room on the disk or check it, then start Alcove again.',
        1,
      );
    }
    io.out(`Stopping (${signal})...`);
    await app.close();
    try {
      await writeCheckpoint(store.db, keyring, undefined, witness);
    } catch (error) {
      // Stopping still stops: the last checkpoint is in the database, only the witness missed it.
      io.err(
        `Could not append the last checkpoint to the audit witness at ${witness} (${(error as NodeJS.ErrnoException).code ?? 'error'}): check that file, then run \`alcove audit verify\`.`,
      );
    }
  } finally {
    stops.dispose();
    clearInterval(timer);
    await app?.close();
    await store.close();
  }
}

function tlsFiles(io: CliIo, options: ServeOptions): { cert: Buffer; key: Buffer } | undefined {
  const certFile = options.tlsCert ?? io.env.ALCOVE_TLS_CERT?.trim();
  const keyFile = options.tlsKey ?? io.env.ALCOVE_TLS_KEY?.trim();
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new CliError('HTTPS needs both --tls-cert and --tls-key.', 2);
  try {
    return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
  } catch {
    throw new CliError('Cannot read the certificate or its key.', 2);
  }
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError('The port must be a whole number from 0 to 65535.', 2);
  }
  return port;
}

function displayUrl(address: string, host: string): string {
  // Fastify reports the address it bound; show the host the user asked for when it is a name.
  const url = new URL(address);
  if (host === 'localhost') url.hostname = 'localhost';
  return url.toString().replace(/\/$/, '');
}
