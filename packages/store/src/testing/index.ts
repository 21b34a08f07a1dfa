export * from './engines.ts';
export * from './vault.ts';
