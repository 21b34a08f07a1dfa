import { describeStore, openStore } from '@alcove/store';
import { type CliIo, storeConfigFor } from '../context.ts';
import { MIGRATION_STOP_NOTICE, migrateForCommand, StopRequests } from '../stopping.ts';

export async function migrateCommand(io: CliIo, options: { data?: string }): Promise<void> {
  const config = storeConfigFor(io, options.data);
  const store = await openStore(config);
  const stops = new StopRequests(io, MIGRATION_STOP_NOTICE);
  try {
    const report = await migrateForCommand(store.db, stops, 'Run alcove migrate again to apply the rest.');
    io.out(
      report.applied.length === 0
        ? `The database is up to date (${report.current ?? 'no migrations'}): ${describeStore(config)}.`
        : `Applied ${report.applied.length} migration(s): ${report.applied.join(', ')}. ${describeStore(config)}.`,
    );
  } finally {
    stops.dispose();
    await store.close();
  }
}
