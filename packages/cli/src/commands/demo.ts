import { createPractice, describeStore, listPractices, migrateToLatest, openStore } from '@alcove/store';
import { CliError, type CliIo, storeConfigFor } from '../context.ts';

/** Clearly fictional: nobody should mistake the demo for a real practice. */
export const DEMO_PRACTICE_NAME = 'Juniper Lane Therapy (demo, fictional)';

/**
 * Creates the demo practice, or leaves an existing demo as it is. Never touches a
 * database that holds a real practice: demo data must not mix with real records.
 */
export async function demoCommand(io: CliIo, options: { data?: string }): Promise<void> {
  const config = storeConfigFor(io, options.data);
  const store = await openStore(config);
  try {
    await migrateToLatest(store.db);
    const practices = await listPractices(store.db);
    if (practices.some((p) => !p.demo)) {
      throw new CliError(
        `This database holds a real practice (${describeStore(config)}); the demo is never added to real records. Use another --data folder.`,
      );
    }
    if (practices.length > 0) {
      io.out(`The demo practice is already here: ${describeStore(config)}.`);
      return;
    }
    const practice = await createPractice(store.db, { name: DEMO_PRACTICE_NAME, demo: true });
    io.out(`Created the demo practice "${practice.name}" in ${describeStore(config)}.`);
  } finally {
    await store.close();
  }
}
