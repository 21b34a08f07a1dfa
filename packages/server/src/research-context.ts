import { randomInt } from 'node:crypto';
import {
  AlcoveError,
  ageOn,
  anonymise,
  dayOf,
  type ExportRow,
  exportResearchCommand,
  type ResearchRecord,
  type researchPurposes,
  ruleRan,
  shiftDay,
} from '@alcove/core';
import {
  allClientIds,
  appendAuditEvent,
  consentsOf,
  listSessions,
  readClientCases,
  readClientIdentities,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';

/**
 * De-identified exports (PG5-4, GT-113–GT-115): only the practitioner's own clients whose
 * written consent to that use is in force today; structured fields only; k-anonymous or
 * nothing.
 */
export class ResearchContext extends ContextBase {
  async export(input: { purpose: (typeof researchPurposes)[number]; k: number }): Promise<{
    rows: readonly ExportRow[];
    level: number;
    included: number;
    excluded: number;
  }> {
    await this.require('case.open', this.practiceResource(), 'practice', this.actor.practiceId);
    const today = this.today();
    const all = await allClientIds(this.vault.db, this.actor.practiceId);
    const allowed = await this.clientsAllowed('client.read-clinical', all);
    const mine = all.filter((id) => allowed.has(id));
    return this.runCommand({
      command: exportResearchCommand,
      record: { type: 'practice', id: this.actor.practiceId },
      scope: { practiceId: this.actor.practiceId, clientIds: mine },
      facts: async () => {
        const identities = await readClientIdentities(this.vault, this.actor.practiceId, mine);
        const records: ResearchRecord[] = [];
        let excluded = 0;
        for (const clientId of mine) {
          const consented = (
            await consentsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, clientId, today)
          ).some((c) => c.type === input.purpose);
          ruleRan('research-consent', consented ? [] : ['*']);
          if (!consented) {
            excluded += 1;
            continue;
          }
          const dob = identities.get(clientId)?.reveal().dateOfBirth;
          // Each client's dates move by their own random number of days before they are generalised.
          const shift = randomInt(-30, 31);
          for (const c of await readClientCases(this.vault, this.actor.practiceId, clientId)) {
            const sessions = await listSessions(
              this.vault.db,
              this.vault.keyring,
              this.actor.practiceId,
              c.id,
            );
            const first = sessions[0] === undefined ? undefined : dayOf(sessions[0].startsAt);
            records.push({
              caseKind: c.kind,
              ageAtStart: dob === undefined || first === undefined ? undefined : ageOn(dob, first),
              firstSession: first === undefined ? undefined : shiftDay(first, shift),
              sessions: sessions.length,
              attended: sessions.filter((s) => s.attendance === 'attended').length,
              didNotAttend: sessions.filter((s) => s.attendance === 'did-not-attend').length,
              cancelled: sessions.filter((s) => s.attendance.startsWith('cancelled')).length,
            });
          }
        }
        const result = anonymise(records, input.k);
        return {
          anonymous: result.ok,
          smallestGroup: result.ok ? input.k : result.smallestGroup,
          records: records.length,
          k: input.k,
          result,
          excluded,
        };
      },
      work: async (trx, _answered, { result, records, excluded }) => {
        if (!result.ok) throw new AlcoveError('conflict');
        await appendAuditEvent(
          trx,
          this.event(`research.export:${input.purpose}`, 'practice', this.actor.practiceId),
        );
        return { rows: result.rows, level: result.level, included: records, excluded };
      },
    });
  }
}
