import { z } from 'zod';

/**
 * The practice's people (issue 16): the schemas of the API that invites, lists, changes,
 * suspends and removes a practice's staff, and that a person uses to join. Staff roles only:
 * a client comes in through the portal, never here.
 */
export const staffRoleSchema = z.enum(['practitioner', 'administrator', 'supervisor', 'executor']);
export type StaffRoleName = z.infer<typeof staffRoleSchema>;

export const staffRolesSchema = z
  .array(staffRoleSchema)
  .min(1, 'Give at least one role')
  .max(4)
  .refine((roles) => new Set(roles).size === roles.length, 'Give each role once');

export const personSchema = z.strictObject({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  roles: z.array(staffRoleSchema),
  status: z.enum(['active', 'suspended']),
  mfaEnrolled: z.boolean(),
  lastSignInAt: z.iso.datetime().nullable(),
});
export type Person = z.infer<typeof personSchema>;

export const staffInvitationSummarySchema = z.strictObject({
  id: z.string(),
  email: z.string(),
  roles: z.array(staffRoleSchema),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});

export const peopleSchema = z.strictObject({
  people: z.array(personSchema),
  invitations: z.array(staffInvitationSummarySchema),
});

export const newStaffInvitationSchema = z.strictObject({
  email: z.email().max(320),
  name: z.string().trim().min(1).max(200),
  roles: staffRolesSchema,
});

/**
 * How an invitation or a portal link reached its person: 'sent' by e-mail, or
 * 'shown-once' (the practice's e-mail is captured or not set up): the link is in this
 * answer, to hand over in person, and is never shown again.
 */
export const deliverySchema = z.enum(['sent', 'shown-once']);

export const createdStaffInvitationSchema = z.strictObject({
  id: z.string(),
  expiresAt: z.iso.datetime(),
  delivery: deliverySchema,
  link: z.string().nullable(),
});

export const joinTokenSchema = z.strictObject({ token: z.string().min(20).max(200) });

export const joinPreviewSchema = z.strictObject({
  practiceName: z.string(),
  roles: z.array(staffRoleSchema),
  /** The address has an account already: the person proves its current password instead of choosing one. */
  existingAccount: z.boolean(),
  /** The name the inviter gave, to start from. */
  name: z.string(),
  expiresAt: z.iso.datetime(),
});

export const joinSchema = z.strictObject({
  token: z.string().min(20).max(200),
  name: z.string().trim().min(1).max(200).optional(),
  password: z.string().min(1).max(1024),
});

export const setRolesSchema = z.strictObject({ roles: staffRolesSchema });

export const choosePracticeSchema = z.strictObject({ practiceId: z.uuid() });

export const accountPracticesSchema = z.strictObject({
  practices: z.array(z.strictObject({ id: z.string(), name: z.string(), roles: z.array(z.string()) })),
});
