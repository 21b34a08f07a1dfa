import type { Profile, ProfileDetails } from '../profile.ts';
import { defineCommand } from './pipeline.ts';

/**
 * Saving the practitioner's own details: advertising accreditation COSRT has not granted
 * (GT-88, a "must"), and taking on online work without its training (GT-92, a "should":
 * a recorded reason answers it).
 */
export interface DetailsFacts {
  readonly next: ProfileDetails;
  readonly profile: Profile;
}

export const updateDetailsCommand = defineCommand<DetailsFacts>({
  name: 'profile.update-details',
  summary: 'Save the practitioner’s details',
  rules: [
    {
      id: 'refuse-pending-accreditation',
      clause: 'GT-88',
      check: ({ next }) =>
        next.membership.advertisesAccreditation && next.membership.accreditation !== 'accredited'
          ? 'Accreditation cannot be advertised until COSRT has granted it.'
          : undefined,
    },
    {
      id: 'refuse-online-without-training',
      clause: 'GT-92',
      check: ({ next, profile }) =>
        next.worksWith.online &&
        !profile.details.worksWith.online &&
        !profile.training.some((t) => t.kind === 'online-work')
          ? 'Record your training for online work first, or give your reason for going ahead without it.'
          : undefined,
    },
  ],
});
