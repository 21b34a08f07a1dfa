export * from './access.ts';
export * from './api.ts';
export * from './confidential.ts';
export * from './dates.ts';
export * from './ids.ts';
export * from './problem.ts';
export * from './records.ts';
