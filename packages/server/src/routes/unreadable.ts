import type { ClientIdentity, Confidential, Unreadable } from '@alcove/core';
import { type Opened, unreadableOf } from '@alcove/store';

/**
 * A client's name as a case shows it (store/sealed.ts): null with `unreadable` saying why,
 * "tampered" (it failed its integrity check; never shown) or "shredded" (its key was
 * destroyed; an identity not found reads so too). Never a byte of what failed.
 */
export function presentName(identity: Opened<Confidential<ClientIdentity>> | undefined): {
  name: string | null;
  unreadable: Unreadable | null;
} {
  if (identity === undefined) return { name: null, unreadable: 'shredded' };
  return { name: identity.ok ? identity.value.reveal().name : null, unreadable: unreadableOf(identity) };
}
