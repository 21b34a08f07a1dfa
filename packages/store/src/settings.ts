import { type MailSettings, mailSettingsSchema } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { openText, sealText } from './crypto/aead.ts';
import { deriveKey } from './crypto/kdf.ts';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';

/**
 * Practice settings kept as one row per key: the organisation's conditions for contracts
 * (GT-36d) and how e-mail leaves Alcove. The SMTP password is sealed.
 */
const CONDITIONS_KEY = 'organisation-conditions';
const LATE_ENTRY_KEY = 'late-entry-hours';
/** The setting that holds how e-mail leaves Alcove; a practice without it sends nothing yet. */
export const MAIL_SETTING = 'mail';

async function readSetting(
  db: Kysely<Database>,
  practiceId: string,
  key: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('practice_setting')
    .select('value')
    .where('practice_id', '=', practiceId)
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

async function writeSetting(
  trx: Transaction<Database>,
  input: { practiceId: string; key: string; value: string | null; userId: string; now: string },
): Promise<void> {
  await trx
    .deleteFrom('practice_setting')
    .where('practice_id', '=', input.practiceId)
    .where('key', '=', input.key)
    .execute();
  if (input.value === null) return;
  await trx
    .insertInto('practice_setting')
    .values({
      practice_id: input.practiceId,
      key: input.key,
      value: input.value,
      updated_at: input.now,
      updated_by: input.userId,
    })
    .execute();
}

/** The conditions under which the organisation delivers therapy, when it holds the contract. */
export async function organisationConditionsOf(
  db: Kysely<Database>,
  practiceId: string,
): Promise<string | null> {
  return (await readSetting(db, practiceId, CONDITIONS_KEY)) ?? null;
}

export async function setOrganisationConditions(
  trx: Transaction<Database>,
  input: { practiceId: string; conditions: string | null; userId: string; now: string },
): Promise<void> {
  await writeSetting(trx, { ...input, key: CONDITIONS_KEY, value: input.conditions });
}

/** Hours after a session ends beyond which a note is marked late (GT-38); undefined: Alcove's default. */
export async function lateEntryHoursOf(
  db: Kysely<Database>,
  practiceId: string,
): Promise<number | undefined> {
  const value = await readSetting(db, practiceId, LATE_ENTRY_KEY);
  return value === undefined ? undefined : Number(value);
}

export async function setLateEntryHours(
  trx: Transaction<Database>,
  input: { practiceId: string; hours: number; userId: string; now: string },
): Promise<void> {
  await writeSetting(trx, { ...input, key: LATE_ENTRY_KEY, value: String(input.hours) });
}

async function mailKey(db: Kysely<Database>, keyring: Keyring): Promise<Buffer> {
  return deriveKey(await keyring.secret(db, 'accounts'), Buffer.alloc(0), 'alcove/mail-settings/v1');
}

/** Mail settings with the password opened, for the sender; undefined until configured. */
export async function mailSettingsOf(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
): Promise<MailSettings | undefined> {
  const value = await readSetting(db, practiceId, MAIL_SETTING);
  if (value === undefined) return undefined;
  const stored = JSON.parse(value) as MailSettings & { passwordSealed?: string };
  const { passwordSealed, ...rest } = stored;
  const password =
    passwordSealed === undefined
      ? undefined
      : openText(await mailKey(db, keyring), passwordSealed, {
          practiceId,
          record: `settings/${MAIL_SETTING}`,
          field: 'password',
          keyId: 'accounts',
        });
  return mailSettingsSchema.parse({ ...rest, ...(password === undefined ? {} : { password }) });
}

export async function setMailSettings(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: { practiceId: string; settings: MailSettings; userId: string; now: string },
): Promise<void> {
  const { password, ...rest } = input.settings as MailSettings & { password?: string };
  const stored =
    password === undefined
      ? rest
      : {
          ...rest,
          passwordSealed: sealText(await mailKey(trx, keyring), password, {
            practiceId: input.practiceId,
            record: `settings/${MAIL_SETTING}`,
            field: 'password',
            keyId: 'accounts',
          }),
        };
  await writeSetting(trx, { ...input, key: MAIL_SETTING, value: JSON.stringify(stored) });
}
