import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Whom an outbox message is for (its client, or the kind of staff recipient), without
 * opening it: what decides who may see or retry it. Undefined when the practice has no
 * such message.
 */
export async function outboxMessageRecipient(db: Kysely<Database>, practiceId: string, messageId: string) {
  return db
    .selectFrom('outbox_message')
    .select(['client_id', 'recipient_kind', 'recipient_user_id'])
    .where('practice_id', '=', practiceId)
    .where('id', '=', messageId)
    .executeTakeFirst();
}
