import { z } from 'zod';
import { API_TOKEN_MAX_DAYS, apiTokenScopes } from './api-tokens.ts';
import { daySchema } from './days.ts';

/**
 * Response schemas shared by the server (validation, OpenAPI) and the web app (parsing).
 * Request schemas are strict objects: unknown fields are refused, never dropped.
 */

export const engineSchema = z.enum(['sqlite', 'postgres']);
export type Engine = z.infer<typeof engineSchema>;

export const healthSchema = z.strictObject({
  status: z.literal('ok'),
  version: z.string(),
  engine: engineSchema,
  schemaVersion: z.string().describe('Name of the newest migration applied'),
});
export type Health = z.infer<typeof healthSchema>;

export const practiceSummarySchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  demo: z.boolean(),
});
export type PracticeSummary = z.infer<typeof practiceSummarySchema>;

/** A practice name: shown in the header and on documents; never clinical. */
export const practiceNameSchema = z
  .string()
  .trim()
  .min(1, 'Give the practice a name')
  .max(120, 'A practice name has at most 120 characters');

// ---------------------------------------------------------------- signing in

export const signInSchema = z.strictObject({
  email: z.email().max(320),
  password: z.string().min(1).max(1024),
});

export const sessionStageSchema = z.enum(['mfa-enrol', 'mfa-challenge', 'active']);
export type SessionStage = z.infer<typeof sessionStageSchema>;

export const signInResultSchema = z.strictObject({
  stage: sessionStageSchema,
  csrfToken: z.string(),
});

export const totpCodeSchema = z.strictObject({ code: z.string().regex(/^\d{6}$/, 'Six digits') });

export const mfaChallengeSchema = z.union([
  z.strictObject({ code: z.string().regex(/^\d{6}$/, 'Six digits') }),
  z.strictObject({ recoveryCode: z.string().min(10).max(40) }),
]);

export const mfaEnrolmentSchema = z.strictObject({
  otpauthUri: z.string(),
  secret: z.string(),
  qrSvg: z.string(),
});

export const recoveryCodesSchema = z.strictObject({ recoveryCodes: z.array(z.string()) });

/**
 * A session handed to a client to sign one contract in the room: until the practitioner
 * ends it with their password and authenticator code, it reaches that contract and nothing else.
 */
export const kioskSchema = z.strictObject({
  caseId: z.string(),
  clientId: z.string(),
  contractId: z.string(),
});
export type Kiosk = z.infer<typeof kioskSchema>;

export const startKioskSchema = z.strictObject({
  caseId: z.uuid(),
  clientId: z.uuid(),
  contractId: z.uuid(),
});

export const kioskSignatureSchema = z.strictObject({
  textHash: z.string().regex(/^[0-9a-f]{64}$/, 'The SHA-256 of the text shown'),
  /** The client read the organisation's conditions and acknowledged them (GT-36d). */
  acknowledgedConditions: z.boolean().optional(),
});

export const endKioskSchema = z.strictObject({
  password: z.string().min(1).max(1024),
  code: z.string().regex(/^\d{6}$/, 'Six digits'),
});

/** What the signing screen shows: the contract, and the signer's own label and name. Nothing else. */
export const kioskContractSchema = z.strictObject({
  signer: z.strictObject({ clientId: z.string(), label: z.string(), name: z.string().nullable() }),
  contract: z.strictObject({
    id: z.string(),
    version: z.number().int(),
    text: z.string(),
    textHash: z.string(),
    /** The organisation's conditions, acknowledged before signing (GT-36d). */
    conditions: z.string().nullable(),
  }),
  /** This signer has signed this version. */
  signed: z.boolean(),
});

export const sessionInfoSchema = z.strictObject({
  stage: sessionStageSchema,
  csrfToken: z.string(),
  /** Set while the session is a signing kiosk: every page shows only that signing screen. */
  kiosk: kioskSchema.nullable(),
  user: z.strictObject({ id: z.string(), name: z.string() }),
  practice: z.strictObject({ id: z.string(), name: z.string(), demo: z.boolean() }).nullable(),
  roles: z.array(z.string()),
  idleTimeoutSeconds: z.number().int(),
  expiresAt: z.iso.datetime(),
  recoveryCodesLeft: z.number().int(),
  /**
   * The session has no practice yet: the account is active in several, and chooses one
   * (POST /auth/practice) before anything that needs a practice (issue 16).
   */
  choosePractice: z.boolean(),
  /** The practices the account is active in, with its roles in each: for choosing and switching. */
  practices: z.array(z.strictObject({ id: z.string(), name: z.string(), roles: z.array(z.string()) })),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const changePasswordSchema = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: z.string().min(1).max(1024),
});

/** Proving who you are again: the password and a current authenticator code, both. */
export const reauthenticateSchema = z.strictObject({
  password: z.string().min(1).max(1024),
  code: z.string().regex(/^\d{6}$/, 'Six digits'),
});
/** Re-authenticated: the session has a new id (cookie) and CSRF token, and may do the guarded steps until then. */
export const reauthenticatedSchema = z.strictObject({
  csrfToken: z.string(),
  reauthenticatedUntil: z.iso.datetime(),
});

export const apiTokenScopeSchema = z.enum(apiTokenScopes);

export const apiTokenSummarySchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  scope: apiTokenScopeSchema,
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  /** The instant it stops working, and the last (London) day it works. */
  expiresAt: z.iso.datetime(),
  lastDay: daySchema,
});
/** A token for a script: how long it lasts is a number of days or a last day, not both (default 90 days). */
export const newApiTokenSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(80),
    scope: apiTokenScopeSchema.default('read-write'),
    days: z.number().int().min(1).max(API_TOKEN_MAX_DAYS).optional(),
    lastDay: daySchema.optional(),
  })
  .refine((body) => body.days === undefined || body.lastDay === undefined, {
    message: 'Give a number of days or a last day, not both',
    path: ['lastDay'],
  });
/** A new token: its summary, and the secret, shown this once. */
export const createdApiTokenSchema = apiTokenSummarySchema.extend({ token: z.string() });

// ---------------------------------------------------------------- consents

/** Every kind of consent, each a person's own (one partner's never covers the other). */
export const consentTypes = [
  'team-sharing', // PG5-3
  'explicit-material', // GT-37
  'publication', // PG5-4
  'training', // PG5-4
  'research', // PG5-4, GT-113–GT-115
  'third-party-release', // PG5-1
  'joint-material-release', // PG5-1: the couple's joint material to the other partner
  'appropriate-adult', // GT-27
  'share-with-appropriate-adult', // GT-27: a competent young person lets their appropriate adult see their portal
  'physical-examination', // GT-25
] as const;
export const consentTypeSchema = z.enum(consentTypes);

export const newConsentSchema = z.strictObject({
  type: consentTypeSchema,
  caseId: z.uuid().optional(),
  /** Who it releases to, where the type names someone (third-party release). */
  recipient: z.string().trim().min(1).max(300).optional(),
  givenOn: daySchema,
  givenBy: z.enum(['client', 'appropriate-adult']),
  mode: z.enum(['written-in-person', 'written-by-post', 'portal']),
});

export const withdrawConsentSchema = z.strictObject({ withdrawnOn: daySchema });

export const newGillickAssessmentSchema = z.strictObject({
  caseId: z.uuid(),
  assessedOn: daySchema,
  competent: z.boolean(),
  notes: z.string().trim().min(1).max(5000),
});

// ---------------------------------------------------------------- e-mail

const mailCommon = {
  /** The sender address messages come from. */
  from: z.email().max(320),
  /** This Alcove's address as clients reach it; links in messages start with it (never taken from a request). */
  siteUrl: z.url({ protocol: /^https?$/ }).max(500),
};

/**
 * How e-mail leaves Alcove: through the practice's SMTP server, or captured (kept in the
 * outbox and shown there, never sent), for the demo and for trying Alcove out.
 */
export const mailSettingsSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('capture'), ...mailCommon }),
  z.strictObject({
    mode: z.literal('smtp'),
    ...mailCommon,
    host: z.string().trim().min(1).max(255),
    port: z.number().int().min(1).max(65_535),
    /** true: TLS from the start (port 465); false: STARTTLS, required unless the host is this machine. */
    secure: z.boolean(),
    username: z.string().max(320).optional(),
    password: z.string().max(1024).optional(),
  }),
]);
export type MailSettings = z.infer<typeof mailSettingsSchema>;
