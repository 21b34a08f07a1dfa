export * from './app.ts';
export { loggableError } from './problems.ts';
export { findNonStrictObjects } from './strict-schemas.ts';
export { ALCOVE_VERSION } from './version.ts';
