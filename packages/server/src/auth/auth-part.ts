import type { Vault } from '@alcove/store';
import type { AuthFailures } from './failures.ts';
import type { SessionSteps } from './session-steps.ts';

/**
 * What each part of the account service (second factor, account security, the signing
 * kiosk's exit) works with: the vault, the clock, the session steps and the failure counts.
 */
export abstract class AuthPart {
  protected readonly vault: Vault;
  protected readonly now: () => Date;
  protected readonly steps: SessionSteps;
  protected readonly failures: AuthFailures;

  constructor(steps: SessionSteps) {
    this.vault = steps.vault;
    this.now = steps.now;
    this.steps = steps;
    this.failures = steps.failures;
  }

  /** Now, as an ISO instant. */
  protected iso(): string {
    return this.now().toISOString();
  }
}
