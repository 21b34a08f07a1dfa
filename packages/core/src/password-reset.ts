import { z } from 'zod';

/** Resetting a forgotten password (issue 16, ASVS V6.4.3). */
export const passwordResetRequestSchema = z.strictObject({ email: z.email().max(320) });

/** The one answer to a request, whether or not the address has an account. */
export const passwordResetRequestedSchema = z.strictObject({ message: z.string() });

export const PASSWORD_RESET_REQUESTED =
  'If an account has this address and the practice sends e-mail, a link is on its way; otherwise ask your practice’s administrator.';

export const passwordResetTokenSchema = z.strictObject({ token: z.string().min(20).max(200) });

export const passwordResetPreviewSchema = z.strictObject({ expiresAt: z.iso.datetime() });

export const passwordResetSchema = z.strictObject({
  token: z.string().min(20).max(200),
  password: z.string().min(1).max(1024),
});

/** An administrator's reset of a staff member's password: e-mailed, or the link shown once. */
export const issuedPasswordResetSchema = z.strictObject({
  delivery: z.enum(['sent', 'shown-once']),
  link: z.string().nullable(),
  expiresAt: z.iso.datetime(),
});
