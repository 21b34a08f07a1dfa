export * from './api.ts';
export * from './dates.ts';
export * from './ids.ts';
export * from './problem.ts';
