import { londonDay } from '../dates.ts';
import type { Finding } from './rules.ts';
import { ruleRan } from './trace.ts';

/**
 * What the daily check of the audit log against its witness found (issue 15): the same
 * comparison as `alcove audit verify` (store/audit-verify.ts `verifyAuditLog` with the witness).
 *
 * - `ok`: the log reaches and agrees with every checkpoint witnessed outside the database;
 * - `tampered`: it does not (it ends before the newest witnessed checkpoint, or disagrees
 *   with one), an event or checkpoint was changed, or a witness line was changed or removed;
 * - `witness-missing`: the database holds signed checkpoints but the witness file is gone;
 * - `witness-behind`: the witness ends before the database's newest checkpoint.
 *
 * A missing or stale witness is not proof of anything (a moved witness or a new machine
 * looks the same), but someone who cut the log may have cut the witness too.
 */
export const auditWitnessResults = ['ok', 'tampered', 'witness-missing', 'witness-behind'] as const;
export type AuditWitnessResult = (typeof auditWitnessResults)[number];

/** The rule id the clause catalogue names for this check (GT-39). */
export const AUDIT_WITNESS_RULE = 'audit-witness';

/** The newest check one server made, as it is kept (store/audit-witness-check.ts). */
export interface AuditWitnessCheck {
  /** Which witness (one per server keeping its own): a random-looking id, never a path. */
  readonly id: string;
  readonly result: AuditWitnessResult;
  /** Where that server keeps its witness, to say where to look. */
  readonly witnessFile: string;
  /** When it was checked (an instant). */
  readonly checkedAt: string;
  /** When this result was first found (an instant): a problem's "since". */
  readonly since: string;
}

const KEEP =
  'Keep the witness file with the key file, outside the data folder and out of its backups, and keep the daily audit digests if they are turned on.';

/**
 * The finding on the obligations page for a check that found a problem; none for `ok`.
 * It names the witness file, never a client or anything in the records.
 */
export function auditWitnessFinding(check: AuditWitnessCheck): Finding | undefined {
  ruleRan(AUDIT_WITNESS_RULE, check.result === 'ok' ? [] : ['GT-39']);
  if (check.result === 'ok') return undefined;
  const common = {
    key: `${AUDIT_WITNESS_RULE}:${check.id}:${check.result}`,
    rule: AUDIT_WITNESS_RULE,
    clause: 'GT-39',
    since: londonDay(check.since),
    section: 'audit-log' as const,
  };
  switch (check.result) {
    case 'tampered':
      return {
        ...common,
        severity: 'high',
        title: 'The audit log has been cut or changed since it was witnessed',
        action: `Alcove compared the audit log with its witness (${check.witnessFile}) and they disagree: events were removed, changed or rolled back, or the witness itself was changed. Run alcove audit verify on the server to see where. Restore the practice from a backup taken before the change (alcove restore), and find out who could write the database. ${KEEP}`,
      };
    case 'witness-missing':
      return {
        ...common,
        severity: 'medium',
        title: 'The audit log’s witness is missing',
        action: `There is no witness at ${check.witnessFile}, though the database holds signed checkpoints, so the log could not be compared with a copy kept outside it. If the file was moved, put it back (or give its place with --witness); if it was deleted, run alcove audit verify and compare the log with your newest backup or audit digest. ${KEEP}`,
      };
    case 'witness-behind':
      return {
        ...common,
        severity: 'medium',
        title: 'The audit log’s witness is older than the log',
        action: `The witness at ${check.witnessFile} ends before the database’s newest checkpoint: it was cut short, put back from an older copy, or the checkpoints were witnessed by another server. Run alcove audit verify where the witness is kept, and restore the witness file if it was replaced. ${KEEP}`,
      };
  }
}
