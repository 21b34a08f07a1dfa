import { migrateToLatest, openStore, type Store } from '@alcove/store';
import type { TestDatabase, TestEngine } from '@alcove/store/testing';
import { type AlcoveApp, type AppOptions, buildApp } from '../app.ts';

export interface TestApp {
  readonly app: AlcoveApp;
  readonly store: Store;
  close(): Promise<void>;
}

/**
 * The real app, in-process, on a fresh real database of the given engine. `extend` runs
 * before the app is ready, so a test can register routes that inherit every setting.
 */
export async function startTestApp(
  engine: TestEngine,
  options: Omit<AppOptions, 'store'> & { extend?: (app: AlcoveApp) => Promise<void> | void } = {},
): Promise<TestApp> {
  const database: TestDatabase = await engine.create();
  const store = await openStore(database.config);
  await migrateToLatest(store.db);
  const { extend, ...appOptions } = options;
  let app: AlcoveApp | undefined;
  try {
    app = await buildApp({ store, ...appOptions });
    await extend?.(app);
    await app.ready();
  } catch (error) {
    await app?.close();
    await store.close();
    await database.dispose();
    throw error;
  }
  return {
    app,
    store,
    async close() {
      await app.close();
      await store.close();
      await database.dispose();
    },
  };
}
