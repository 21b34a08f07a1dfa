export * from './app.ts';
export { hashPassword, PASSWORD_MIN_LENGTH, passwordProblem } from './auth/passwords.ts';
export { sha256Hex } from './auth/secrets.ts';
export { currentTotp, newTotpSecret } from './auth/totp.ts';
export { loggableError } from './problems.ts';
export { findNonStrictObjects } from './strict-schemas.ts';
export { ALCOVE_VERSION } from './version.ts';
