import type { ClientIdentity } from './records.ts';

/**
 * Whether Alcove may e-mail a client, decided before anything is queued. Messages never
 * carry clinical content or anything about another client; this decides only the channel.
 *
 * - No address: nothing to send to.
 * - The client marked e-mail unsafe (a shared inbox): never.
 * - A safety flag (coercive control, abuse) on the client or on anyone who shares the
 *   address: only an e-mail channel the client has marked safe, and never an address
 *   shared with another client of theirs.
 */
export type ContactDecision =
  | { readonly ok: true; readonly address: string }
  | { readonly ok: false; readonly reason: WithheldReason };

export const withheldReasons = {
  'no-address': 'The client has no e-mail address on their record.',
  'channel-unsafe': 'The client has marked e-mail as unsafe to use.',
  'safety-flag-unconfirmed':
    'A safety flag is raised and the client has not confirmed e-mail as safe: contact them another way.',
  'safety-flag-shared':
    'A safety flag is raised and this address is shared with another client: contact them another way.',
  'safety-flag-adult':
    'A safety flag is raised on the client: invite their appropriate adult in person, not by e-mail.',
} as const;
export type WithheldReason = keyof typeof withheldReasons;

type Contactable = Pick<ClientIdentity, 'email' | 'contactChannels' | 'safetyFlag'>;

function normalise(address: string): string {
  return address.trim().toLowerCase();
}

/**
 * @param recipient the client Alcove would write to
 * @param others the other clients in any case with the recipient
 */
export function emailDecision(recipient: Contactable, others: readonly Contactable[]): ContactDecision {
  if (recipient.email === undefined) return { ok: false, reason: 'no-address' };
  const channel = recipient.contactChannels?.find((c) => c.channel === 'email');
  if (channel !== undefined && !channel.safe) return { ok: false, reason: 'channel-unsafe' };
  const address = normalise(recipient.email);
  const sharers = others.filter((o) => o.email !== undefined && normalise(o.email) === address);
  const flagged = recipient.safetyFlag === true || sharers.some((o) => o.safetyFlag === true);
  if (flagged) {
    if (sharers.length > 0) return { ok: false, reason: 'safety-flag-shared' };
    if (channel === undefined) return { ok: false, reason: 'safety-flag-unconfirmed' };
  }
  return { ok: true, address: recipient.email.trim() };
}
