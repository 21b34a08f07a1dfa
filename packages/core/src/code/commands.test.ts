import { describe, expect } from 'vitest';
import { emptyProfile, type Profile, type ProfileDetails } from '../profile.ts';
import { clause } from '../testing.ts';
import { updateDetailsCommand } from './commands.ts';
import { gate } from './pipeline.ts';

const details = emptyProfile.details;
const refusalsForDetails = (next: ProfileDetails, profile: Profile, overrides: ReadonlySet<string>) =>
  gate(updateDetailsCommand, { next, profile }, overrides).refusals;

describe('saving the practitioner’s details', () => {
  clause('GT-88', 'refuses advertising accreditation that is pending (GT-88, not overridable)', () => {
    const next = {
      ...details,
      membership: { category: 'Member', accreditation: 'pending' as const, advertisesAccreditation: true },
    };
    const refusals = refusalsForDetails(next, emptyProfile, new Set(['GT-88']));
    expect(refusals).toMatchObject([
      { rule: 'refuse-pending-accreditation', overridable: false, clause: { id: 'GT-88', duty: 'must' } },
    ]);
    expect(
      refusalsForDetails(
        { ...next, membership: { ...next.membership, accreditation: 'accredited' } },
        emptyProfile,
        new Set(),
      ),
    ).toEqual([]);
  });

  clause('GT-92', 'refuses online work without training unless overridden with a reason (GT-92)', () => {
    const next = { ...details, worksWith: { ...details.worksWith, online: true } };
    expect(refusalsForDetails(next, emptyProfile, new Set())).toMatchObject([
      { rule: 'refuse-online-without-training', overridable: true, clause: { id: 'GT-92', duty: 'should' } },
    ]);
    expect(refusalsForDetails(next, emptyProfile, new Set(['GT-92']))).toEqual([]);
    const trained = {
      ...emptyProfile,
      training: [
        {
          id: '00000000-0000-4000-8000-000000000001',
          kind: 'online-work' as const,
          title: 'T',
          completedOn: '2025-01-01',
        },
      ],
    };
    expect(refusalsForDetails(next, trained, new Set())).toEqual([]);
  });
});
