import { practiceNameSchema } from '@alcove/core';
import { createPractice, describeStore, listPractices, migrateToLatest, openStore } from '@alcove/store';
import { CliError, type CliIo, storeConfigFor } from '../context.ts';

export async function initCommand(
  io: CliIo,
  options: { data?: string; practiceName: string },
): Promise<void> {
  const name = practiceNameSchema.safeParse(options.practiceName);
  if (!name.success) {
    throw new CliError(`--practice-name: ${name.error.issues[0]?.message ?? 'not valid'}.`, 2);
  }
  const config = storeConfigFor(io, options.data);
  const store = await openStore(config);
  try {
    await migrateToLatest(store.db);
    if ((await listPractices(store.db)).length > 0) {
      throw new CliError(
        `This database already holds a practice (${describeStore(config)}). Nothing was changed.`,
      );
    }
    const practice = await createPractice(store.db, { name: name.data });
    io.out(`Created the practice "${practice.name}" in ${describeStore(config)}.`);
    io.out('Start it with: alcove serve');
  } finally {
    await store.close();
  }
}
