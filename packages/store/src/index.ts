export * from './config.ts';
export * from './errors.ts';
export { LOCK_FILE, lockDataFolder, PID_FILE } from './lock.ts';
export * from './migrate.ts';
export * from './practices.ts';
export type { Database } from './schema.ts';
export * from './store.ts';
