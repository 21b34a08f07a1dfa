import { describeStore, migrateToLatest, openStore } from '@alcove/store';
import { type CliIo, storeConfigFor } from '../context.ts';

export async function migrateCommand(io: CliIo, options: { data?: string }): Promise<void> {
  const config = storeConfigFor(io, options.data);
  const store = await openStore(config);
  try {
    const report = await migrateToLatest(store.db);
    io.out(
      report.applied.length === 0
        ? `The database is up to date (${report.current ?? 'no migrations'}): ${describeStore(config)}.`
        : `Applied ${report.applied.length} migration(s): ${report.applied.join(', ')}. ${describeStore(config)}.`,
    );
  } finally {
    await store.close();
  }
}
