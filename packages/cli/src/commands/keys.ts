import { appendAuditEvent, listPractices } from '@alcove/store';
import type { CliIo } from '../context.ts';
import { type UnlockOptions, withUnlockedStore } from '../unlock.ts';

/**
 * `alcove keys rotate`: a new key for every practice, re-wrapping its data keys in one
 * transaction each. No record is re-encrypted; nothing needs to stop.
 */
export async function rotateKeysCommand(
  io: CliIo,
  options: UnlockOptions & { data?: string },
): Promise<void> {
  await withUnlockedStore(io, options, { lock: true }, async (store, keyring) => {
    for (const practice of await listPractices(store.db)) {
      const result = await store.db.transaction().execute(async (trx) => {
        const rotated = await keyring.rotatePracticeKey(trx, practice.id);
        await appendAuditEvent(trx, {
          practiceId: practice.id,
          action: 'practice.key-rotated',
          outcome: 'ok',
          recordType: 'practice',
          recordId: practice.id,
          purpose: 'security',
        });
        return rotated;
      });
      io.out(
        `${practice.name}: practice key version ${result.version}, ${result.rewrapped} data keys re-wrapped.`,
      );
    }
  });
}
