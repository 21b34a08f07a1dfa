import type { Unreadable } from '@alcove/core';
import { type Binding, open, TamperedError } from './crypto/aead.ts';
import { TamperedKey } from './keyring.ts';

/**
 * A sealed field, opened. Reading a record opens many fields; one that cannot be opened
 * must not take the others down, and the reader must know why it could not be:
 * - its key was destroyed: `shredded`, as crypto-shredding intends;
 * - it failed authentication (AES-GCM): `tampered`, with where it is (ids only), so the
 *   reader can audit it and raise a finding (`integrity.ts`).
 * Anything else (the database failed, a query was refused) is thrown, never one of these:
 * a transient failure must not read as "destroyed" or "tampered".
 */
export type Opened<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: 'shredded' }
  | { readonly ok: false; readonly reason: 'tampered'; readonly place: SealedPlace };

/** Where a sealed field is: its record's type and id and the field. Never its content. */
export interface SealedPlace {
  readonly recordType: string;
  readonly recordId: string;
  readonly field: string;
}

export const SHREDDED: Opened<never> = Object.freeze({ ok: false, reason: 'shredded' });

export function placeOf(binding: Binding): SealedPlace {
  const slash = binding.record.indexOf('/');
  return {
    recordType: slash < 0 ? binding.record : binding.record.slice(0, slash),
    recordId: slash < 0 ? '' : binding.record.slice(slash + 1),
    field: binding.field,
  };
}

export function tampered(binding: Binding): Opened<never> {
  return { ok: false, reason: 'tampered', place: placeOf(binding) };
}

/**
 * Opens one sealed field with its data key (undefined: the key was destroyed; a
 * TamperedKey: the key's wrap failed its check, and the field is `tampered` at the key)
 * and turns the plaintext into a value. Only an authentication failure becomes
 * `tampered`; what `decode` throws on an authenticated plaintext is a fault, and is thrown.
 */
export function openSealed<T>(
  key: Buffer | TamperedKey | undefined,
  sealed: string,
  binding: Binding,
  decode: (plaintext: Buffer) => T,
): Opened<T> {
  if (key === undefined) return SHREDDED;
  if (key instanceof TamperedKey) return tampered(key.binding);
  let plaintext: Buffer;
  try {
    plaintext = open(key, sealed, binding);
  } catch (error) {
    if (error instanceof TamperedError) return tampered(binding);
    throw error;
  }
  return { ok: true, value: decode(plaintext) };
}

/** `openSealed` for a text field. */
export function openSealedText<T>(
  key: Buffer | TamperedKey | undefined,
  sealed: string,
  binding: Binding,
  decode: (text: string) => T,
): Opened<T> {
  return openSealed(key, sealed, binding, (plaintext) => decode(plaintext.toString('utf8')));
}

/** Why it could not be read, or null when it was: the `unreadable` of an answer. */
export function unreadableOf(opened: Opened<unknown>): Unreadable | null {
  return opened.ok ? null : opened.reason;
}

/** Every tampered field among these, by where it is. */
export function tamperedPlaces(opened: Iterable<Opened<unknown> | null | undefined>): SealedPlace[] {
  const places: SealedPlace[] = [];
  for (const o of opened) if (o?.ok === false && o.reason === 'tampered') places.push(o.place);
  return places;
}

/**
 * The value for a caller that cannot go on without it (a release, a letter, a signing
 * screen): a tampered field is refused (TamperedError, as before it was modelled), a
 * shredded one is undefined.
 */
export function readableOrThrow<T>(opened: Opened<T>): T | undefined {
  if (opened.ok) return opened.value;
  if (opened.reason === 'tampered') {
    throw new TamperedError({
      record: `${opened.place.recordType}/${opened.place.recordId}`,
      field: opened.place.field,
    });
  }
  return undefined;
}
