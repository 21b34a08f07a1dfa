import {
  Confidential,
  DEFAULT_CPD_REQUIREMENT,
  emptyProfile,
  type Role,
  STANDARD_TEMPLATE,
} from '@alcove/core';
import { clause } from '@alcove/core/testing';
import {
  addEntry,
  addMembership,
  clientFacts,
  createClient,
  createContractVersion,
  createUser,
  insertPractice,
  openCase,
  recordSession,
  registerRequest,
  setMailSettings,
} from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { signInAndEnrol } from './testing/browser-session.ts';
import { contractText } from './testing/contracts.ts';

/**
 * Every route × every role × own record / a colleague's / another practice's, generated
 * from the app's own route table. A route that is not described here fails this test;
 * an allow that is not expected fails it too.
 */
type Target = 'own' | 'colleague' | 'other-practice';
type Who = 'anonymous' | Role;
const whos: readonly Who[] = [
  'anonymous',
  'practitioner',
  'administrator',
  'supervisor',
  'executor',
  'client',
  'appropriate-adult',
];
const targets: readonly Target[] = ['own', 'colleague', 'other-practice'];

interface World {
  client: Record<Target, string>;
  caseId: Record<Target, string>;
  participant: Record<Target, string>;
  /** A second case per target, for writing new contract versions without disturbing the first. */
  spareCase: Record<Target, string>;
  contract: Record<Target, { id: string; textHash: string }>;
  /** A third case per target with a version offered and unsigned, for withdrawing it. */
  offered: Record<Target, { caseId: string; contractId: string }>;
  /** A session in the past, and notes on it: drafts to save, discard and sign, and a signed one. */
  session: Record<Target, string>;
  notes: Record<Target, { draft: string; discard: string; toSign: string; signed: string }>;
  supervisorId: string;
  /** Requests for records: one to preview, one to issue. */
  requests: Record<Target, { preview: string; issue: string }>;
  /**
   * Staff accounts no request is made as, for routes that act on a person (ending their
   * sessions): two in this practice ('own', 'colleague'), one in the other practice.
   */
  person: Record<Target, string>;
}

interface RouteRule {
  /** 'public': anyone; 'browser': a browser session only (tokens get 401); else who may, on which target. */
  readonly kind: 'public' | 'browser' | 'records';
  readonly request: (world: World, target: Target) => { url: string; payload?: unknown };
  readonly allowed?: (who: Role, target: Target) => boolean;
  /** Routes about the caller's own account or practice have no target. */
  readonly untargeted?: boolean;
  /** Where an allowed caller is refused on the content of the request, with this status. */
  readonly contentRefusal?: (who: Role) => number | undefined;
  /** Answered on a session locked to a signing screen (the kiosk); every other route refuses it. */
  readonly kiosk?: true;
}

const everyone = () => true;
const captureMail = {
  mode: 'capture',
  from: 'practice@example.test',
  siteUrl: 'https://alcove.example.test',
} as const;
const practitionerOwn = (who: Role, target: Target) => who === 'practitioner' && target === 'own';

const rules: Record<string, RouteRule> = {
  'GET /api/v1/health': { kind: 'public', request: () => ({ url: '/api/v1/health' }) },
  'GET /api/v1/openapi.json': { kind: 'public', request: () => ({ url: '/api/v1/openapi.json' }) },
  'POST /api/v1/auth/sign-in': {
    kind: 'public',
    request: () => ({
      url: '/api/v1/auth/sign-in',
      payload: { email: 'matrix@example.test', password: 'not it' },
    }),
  },
  'GET /api/v1/auth/session': {
    kind: 'browser',
    kiosk: true,
    request: () => ({ url: '/api/v1/auth/session' }),
  },
  'GET /api/v1/auth/mfa/enrolment': {
    kind: 'browser',
    request: () => ({ url: '/api/v1/auth/mfa/enrolment' }),
  },
  'POST /api/v1/auth/mfa/enrol': {
    kind: 'browser',
    request: () => ({ url: '/api/v1/auth/mfa/enrol', payload: { code: '123456' } }),
  },
  'POST /api/v1/auth/mfa/challenge': {
    kind: 'browser',
    request: () => ({ url: '/api/v1/auth/mfa/challenge', payload: { code: '123456' } }),
  },
  'POST /api/v1/auth/sign-out': {
    kind: 'browser',
    kiosk: true,
    request: () => ({ url: '/api/v1/auth/sign-out', payload: {} }),
  },
  // The signing kiosk is a browser session's: a script's token has no screen to hand over.
  'POST /api/v1/session/kiosk': {
    kind: 'browser',
    request: (w, t) => ({
      url: '/api/v1/session/kiosk',
      payload: { caseId: w.caseId[t], clientId: w.client[t], contractId: w.contract[t].id },
    }),
  },
  'GET /api/v1/session/kiosk': {
    kind: 'browser',
    kiosk: true,
    request: () => ({ url: '/api/v1/session/kiosk' }),
  },
  'POST /api/v1/session/kiosk/signature': {
    kind: 'browser',
    kiosk: true,
    // Not the text of any contract: on a kiosk session, a 400 and nothing signed.
    request: () => ({ url: '/api/v1/session/kiosk/signature', payload: { textHash: 'a'.repeat(64) } }),
  },
  'POST /api/v1/session/kiosk/end': {
    kind: 'browser',
    kiosk: true,
    request: () => ({ url: '/api/v1/session/kiosk/end', payload: { password: 'not it', code: '123456' } }),
  },
  'GET /api/v1/practices': {
    kind: 'records',
    untargeted: true,
    allowed: everyone,
    request: () => ({ url: '/api/v1/practices' }),
  },
  // A password is changed in a browser session only: an API token never changes who can sign in.
  'POST /api/v1/account/password': {
    kind: 'browser',
    request: () => ({
      url: '/api/v1/account/password',
      payload: { currentPassword: 'wrong', newPassword: 'whatever long enough' },
    }),
  },
  // Proving who you are again is a browser session's; an API token never can (issue 16).
  'POST /api/v1/account/reauthenticate': {
    kind: 'browser',
    request: () => ({
      url: '/api/v1/account/reauthenticate',
      payload: { password: 'not it', code: '123456' },
    }),
  },
  // New recovery codes and new tokens need a browser session re-authenticated just now:
  // a token gets 401 (reauthentication.test.ts covers the sessions and the roles).
  'POST /api/v1/account/recovery-codes': {
    kind: 'browser',
    request: () => ({ url: '/api/v1/account/recovery-codes', payload: {} }),
  },
  'GET /api/v1/account/tokens': {
    kind: 'records',
    untargeted: true,
    allowed: everyone,
    request: () => ({ url: '/api/v1/account/tokens' }),
  },
  'POST /api/v1/account/tokens': {
    kind: 'browser',
    request: () => ({ url: '/api/v1/account/tokens', payload: { name: 'matrix' } }),
  },
  // Ending a token, a session or all the others needs a browser session re-authenticated
  // just now (V7.5.2): another token gets 401 (a token may end only itself, auth.test.ts;
  // sessions.test.ts covers the sessions, the re-authentication and another person's ids).
  'DELETE /api/v1/account/tokens/:tokenId': {
    kind: 'browser',
    request: () => ({ url: '/api/v1/account/tokens/6f1c2a4e-0000-4000-8000-000000000000' }),
  },
  'GET /api/v1/account/sessions': {
    kind: 'records',
    untargeted: true,
    allowed: everyone,
    request: () => ({ url: '/api/v1/account/sessions' }),
  },
  'DELETE /api/v1/account/sessions/:sessionId': {
    kind: 'browser',
    request: () => ({ url: `/api/v1/account/sessions/${'0a'.repeat(16)}` }),
  },
  'POST /api/v1/account/sessions/end-others': {
    kind: 'browser',
    request: () => ({ url: '/api/v1/account/sessions/end-others', payload: { tokens: false } }),
  },
  // An administrator ends a staff member's sessions and tokens in their own practice only.
  'POST /api/v1/people/:userId/sessions/end': {
    kind: 'records',
    allowed: (who, target) => who === 'administrator' && target !== 'other-practice',
    request: (w, t) => ({ url: `/api/v1/people/${w.person[t]}/sessions/end`, payload: {} }),
  },
  // The practice's people (issue 16): administrators of this practice only; people.test.ts
  // covers each change's effects. Suspending and removing take a random id, so that the
  // matrix's own accounts stay as they are: "not found" for everyone.
  'GET /api/v1/people': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'administrator',
    request: () => ({ url: '/api/v1/people' }),
  },
  'POST /api/v1/people/invitations': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'administrator',
    request: () => ({
      url: '/api/v1/people/invitations',
      payload: {
        email: 'matrix-invitee@example.test',
        name: 'Matrix Invitee (fictional)',
        roles: ['supervisor'],
      },
    }),
  },
  'DELETE /api/v1/people/invitations/:invitationId': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({ url: '/api/v1/people/invitations/6f1c2a4e-0000-4000-8000-000000000000' }),
  },
  'POST /api/v1/people/join/preview': {
    kind: 'public',
    request: () => ({ url: '/api/v1/people/join/preview', payload: { token: 'm'.repeat(43) } }),
  },
  'POST /api/v1/people/join': {
    kind: 'public',
    request: () => ({ url: '/api/v1/people/join', payload: { token: 'm'.repeat(43), password: 'not it' } }),
  },
  'PUT /api/v1/people/:userId/roles': {
    kind: 'records',
    // The roles the person has already: allowed, and nothing changes but their sessions.
    allowed: (who, target) => who === 'administrator' && target !== 'other-practice',
    request: (w, t) => ({ url: `/api/v1/people/${w.person[t]}/roles`, payload: { roles: ['practitioner'] } }),
  },
  'POST /api/v1/people/:userId/reinstate': {
    kind: 'records',
    allowed: (who, target) => who === 'administrator' && target !== 'other-practice',
    request: (w, t) => ({ url: `/api/v1/people/${w.person[t]}/reinstate`, payload: {} }),
  },
  'POST /api/v1/people/:userId/suspend': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({ url: '/api/v1/people/6f1c2a4e-0000-4000-8000-000000000000/suspend', payload: {} }),
  },
  'DELETE /api/v1/people/:userId': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({ url: '/api/v1/people/6f1c2a4e-0000-4000-8000-000000000000' }),
  },
  // Resetting a forgotten password (V6.4.3): asked for and used by anyone with the address
  // or the link; issued by an administrator for their own practice's staff only.
  'POST /api/v1/auth/password-reset/request': {
    kind: 'public',
    request: () => ({
      url: '/api/v1/auth/password-reset/request',
      payload: { email: 'matrix@example.test' },
    }),
  },
  'POST /api/v1/auth/password-reset/preview': {
    kind: 'public',
    request: () => ({ url: '/api/v1/auth/password-reset/preview', payload: { token: 'r'.repeat(43) } }),
  },
  'POST /api/v1/auth/password-reset': {
    kind: 'public',
    request: () => ({
      url: '/api/v1/auth/password-reset',
      payload: { token: 'r'.repeat(43), password: 'not it' },
    }),
  },
  'POST /api/v1/people/:userId/password-reset': {
    kind: 'records',
    allowed: (who, target) => who === 'administrator' && target !== 'other-practice',
    request: (w, t) => ({ url: `/api/v1/people/${w.person[t]}/password-reset`, payload: {} }),
  },
  // Choosing a practice is a browser session's (a token belongs to one practice).
  'GET /api/v1/auth/practices': {
    kind: 'browser',
    request: () => ({ url: '/api/v1/auth/practices' }),
  },
  'POST /api/v1/auth/practice': {
    kind: 'browser',
    request: () => ({
      url: '/api/v1/auth/practice',
      payload: { practiceId: '6f1c2a4e-0000-4000-8000-000000000000' },
    }),
  },
  'GET /api/v1/clauses': { kind: 'public', request: () => ({ url: '/api/v1/clauses' }) },
  'GET /api/v1/profile': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    request: () => ({ url: '/api/v1/profile' }),
  },
  'GET /api/v1/compliance': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    request: () => ({ url: '/api/v1/compliance' }),
  },
  'POST /api/v1/profile/items': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    request: () => ({
      url: '/api/v1/profile/items',
      payload: {
        section: 'cpd',
        item: {
          date: '2026-11-01',
          title: 'Matrix CPD (fictional)',
          hours: 1,
          sexAndRelationship: true,
          faceToFace: false,
        },
      },
    }),
  },
  'DELETE /api/v1/profile/items/:itemId': {
    kind: 'records',
    untargeted: true,
    // A random id is in nobody's record.
    allowed: () => false,
    request: () => ({ url: '/api/v1/profile/items/6f1c2a4e-0000-4000-8000-000000000000' }),
  },
  'POST /api/v1/profile/notifications/:itemId/notified': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({
      url: '/api/v1/profile/notifications/6f1c2a4e-0000-4000-8000-000000000000/notified',
      payload: { notifiedOn: '2026-11-01' },
    }),
  },
  'PUT /api/v1/profile/details': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    request: () => ({ url: '/api/v1/profile/details', payload: { details: emptyProfile.details } }),
  },
  'GET /api/v1/settings/cpd': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/settings/cpd' }),
  },
  'PUT /api/v1/settings/cpd': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'administrator',
    request: () => ({ url: '/api/v1/settings/cpd', payload: DEFAULT_CPD_REQUIREMENT }),
  },
  'GET /api/v1/profile/connections': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    request: () => ({ url: '/api/v1/profile/connections' }),
  },
  'POST /api/v1/profile/connections': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    request: () => ({
      url: '/api/v1/profile/connections',
      payload: { relation: 'friend', name: 'Matrix Friend (fictional)' },
    }),
  },
  'DELETE /api/v1/profile/connections/:connectionId': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({ url: '/api/v1/profile/connections/6f1c2a4e-0000-4000-8000-000000000000' }),
  },
  'GET /api/v1/cases/:caseId': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/cases/${w.caseId[t]}` }),
  },
  'POST /api/v1/cases/:caseId/contracts': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.spareCase[t]}/contracts`,
      payload: { text: contractText('A matrix contract of twenty characters or more (fictional).') },
    }),
  },
  'POST /api/v1/cases/:caseId/contracts/:contractId/withdrawal': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.offered[t].caseId}/contracts/${w.offered[t].contractId}/withdrawal`,
      payload: {},
    }),
  },
  'POST /api/v1/cases/:caseId/contracts/:contractId/signatures': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.caseId[t]}/contracts/${w.contract[t].id}/signatures`,
      payload: { signer: { kind: 'practitioner' }, textHash: w.contract[t].textHash },
    }),
  },
  'POST /api/v1/cases/:caseId/sessions': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.caseId[t]}/sessions`,
      payload: {
        kind: 'assessment',
        format: 'in-person',
        startsAt: '2026-11-20T10:00:00Z',
        minutes: 50,
        attendance: 'attended',
      },
    }),
  },
  'GET /api/v1/clients/:clientId/consents': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/clients/${w.client[t]}/consents` }),
  },
  'POST /api/v1/clients/:clientId/consents': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/clients/${w.client[t]}/consents`,
      payload: { type: 'research', givenOn: '2026-11-01', givenBy: 'client', mode: 'written-in-person' },
    }),
  },
  'POST /api/v1/clients/:clientId/consents/:consentId/withdraw': {
    kind: 'records',
    // A random consent id is nobody's.
    allowed: () => false,
    request: (w, t) => ({
      url: `/api/v1/clients/${w.client[t]}/consents/6f1c2a4e-0000-4000-8000-000000000000/withdraw`,
      payload: { withdrawnOn: '2026-11-02' },
    }),
  },
  'POST /api/v1/clients/:clientId/gillick-assessments': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/clients/${w.client[t]}/gillick-assessments`,
      payload: {
        caseId: w.caseId[t],
        assessedOn: '2026-11-01',
        // Not competent: the appropriate adult below keeps seeing the portal (GT-27).
        competent: false,
        notes: 'Matrix assessment (fictional)',
      },
    }),
  },
  'GET /api/v1/cases/:caseId/contract-draft': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/cases/${w.caseId[t]}/contract-draft?templateId=standard` }),
  },
  'POST /api/v1/cases/:caseId/send-contract': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/cases/${w.caseId[t]}/send-contract`, payload: {} }),
  },
  'GET /api/v1/cases/:caseId/contracts/:contractId/pdf': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/cases/${w.caseId[t]}/contracts/${w.contract[t].id}/pdf` }),
  },
  'POST /api/v1/cases/:caseId/status': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/cases/${w.spareCase[t]}/status`, payload: { status: 'assessment' } }),
  },
  'POST /api/v1/portal/join': {
    kind: 'public',
    request: () => ({
      url: '/api/v1/portal/join',
      payload: { token: 'not-a-real-invitation-token-at-all', password: 'whatever long enough' },
    }),
  },
  'GET /api/v1/portal': {
    kind: 'records',
    untargeted: true,
    // The appropriate adult of a young person not found competent sees their portal (GT-27).
    allowed: (who) => who === 'client' || who === 'appropriate-adult',
    request: () => ({ url: '/api/v1/portal' }),
  },
  'POST /api/v1/portal/cases/:caseId/signatures': {
    kind: 'records',
    // A client signs only in a case they are in.
    allowed: (who, target) => who === 'client' && target === 'own',
    request: (w, t) => ({
      url: `/api/v1/portal/cases/${w.caseId[t]}/signatures`,
      payload: {
        contractId: w.contract[t].id,
        textHash: w.contract[t].textHash,
        acknowledgedConditions: false,
      },
    }),
  },
  'GET /api/v1/portal/cases/:caseId/contract.pdf': {
    kind: 'records',
    allowed: (who, target) => (who === 'client' || who === 'appropriate-adult') && target === 'own',
    request: (w, t) => ({ url: `/api/v1/portal/cases/${w.caseId[t]}/contract.pdf` }),
  },
  'GET /api/v1/portal/consents': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'client' || who === 'appropriate-adult',
    request: () => ({ url: '/api/v1/portal/consents' }),
  },
  'POST /api/v1/portal/consents': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'client' || who === 'appropriate-adult',
    // An appropriate adult gives their own consent only, not the client's research consent.
    contentRefusal: (who) => (who === 'appropriate-adult' ? 400 : undefined),
    request: () => ({ url: '/api/v1/portal/consents', payload: { type: 'research' } }),
  },
  'POST /api/v1/portal/consents/:consentId/withdraw': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({
      url: '/api/v1/portal/consents/6f1c2a4e-0000-4000-8000-000000000000/withdraw',
      payload: {},
    }),
  },
  'PUT /api/v1/portal/contact-channels': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'client',
    request: () => ({
      url: '/api/v1/portal/contact-channels',
      payload: { contactChannels: [{ channel: 'email', safe: true }] },
    }),
  },
  'GET /api/v1/settings/mail': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/settings/mail' }),
  },
  'PUT /api/v1/settings/mail': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'administrator',
    request: () => ({ url: '/api/v1/settings/mail', payload: captureMail }),
  },
  'GET /api/v1/settings/organisation-conditions': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/settings/organisation-conditions' }),
  },
  'PUT /api/v1/settings/organisation-conditions': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'administrator',
    request: () => ({ url: '/api/v1/settings/organisation-conditions', payload: { conditions: null } }),
  },
  'GET /api/v1/settings/contract-templates': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/settings/contract-templates' }),
  },
  'POST /api/v1/settings/contract-templates': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({
      url: '/api/v1/settings/contract-templates',
      payload: { name: 'Matrix template (fictional)', body: STANDARD_TEMPLATE },
    }),
  },
  'GET /api/v1/outbox': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/outbox' }),
  },
  'POST /api/v1/outbox/:messageId/retry': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({ url: '/api/v1/outbox/6f1c2a4e-0000-4000-8000-000000000000/retry', payload: {} }),
  },
  'GET /api/v1/clients/:clientId/portal': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/clients/${w.client[t]}/portal` }),
  },
  'POST /api/v1/clients/:clientId/appropriate-adult-invitations': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/clients/${w.client[t]}/appropriate-adult-invitations`,
      payload: { name: 'Matrix Parent (fictional)', email: 'parent@example.test' },
    }),
  },
  'PUT /api/v1/clients/:clientId/contact-safety': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/clients/${w.client[t]}/contact-safety`,
      payload: { contactChannels: [{ channel: 'email', safe: true }], safetyFlag: false },
    }),
  },
  'GET /api/v1/cases/:caseId/notes': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/cases/${w.caseId[t]}/notes` }),
  },
  'POST /api/v1/cases/:caseId/notes': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.caseId[t]}/notes`,
      payload: {
        sessionId: w.session[t],
        passages: [{ section: 'findings', html: '<p>Matrix note (fictional)</p>', attribution: [] }],
      },
    }),
  },
  'POST /api/v1/cases/:caseId/structured-entries': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.caseId[t]}/structured-entries`,
      payload: {
        kind: 'risk',
        attribution: [],
        fields: { level: 'Low (fictional)', concerns: 'None (fictional)', steps: 'Reviewed (fictional)' },
      },
    }),
  },
  'PUT /api/v1/notes/:noteId': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/notes/${w.notes[t].draft}`,
      payload: {
        passages: [{ section: 'findings', html: '<p>Saved again (fictional)</p>', attribution: [] }],
      },
    }),
  },
  'DELETE /api/v1/notes/:noteId': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/notes/${w.notes[t].discard}` }),
  },
  'POST /api/v1/notes/:noteId/sign': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/notes/${w.notes[t].toSign}/sign`, payload: {} }),
  },
  'POST /api/v1/notes/:noteId/addenda': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/notes/${w.notes[t].signed}/addenda`,
      payload: {
        reason: 'Matrix correction (fictional)',
        passages: [{ section: 'findings', html: '<p>Corrected (fictional)</p>', attribution: [] }],
      },
    }),
  },
  'POST /api/v1/supervision/sessions': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    // The matrix's practitioner names no supervisor in their record: refused under GT-64.
    contentRefusal: () => 422,
    request: () => ({ url: '/api/v1/supervision/sessions', payload: { heldOn: '2026-11-02', minutes: 60 } }),
  },
  'GET /api/v1/supervision/sessions': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    request: () => ({ url: '/api/v1/supervision/sessions' }),
  },
  'GET /api/v1/supervision/supervisors': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    request: () => ({ url: '/api/v1/supervision/supervisors' }),
  },
  'POST /api/v1/cases/:caseId/presentations': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.caseId[t]}/presentations`,
      payload: {
        supervisorId: w.supervisorId,
        presentedOn: '2026-11-03',
        material: '<p>Partner A withdraws when stressed (fictional).</p>',
      },
    }),
  },
  'GET /api/v1/cases/:caseId/presentations': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/cases/${w.caseId[t]}/presentations` }),
  },
  'GET /api/v1/supervision/presentations': {
    kind: 'records',
    untargeted: true,
    // The presentations made to them, by pseudonym, and nothing else (PG5-5).
    allowed: (who) => who === 'supervisor',
    request: () => ({ url: '/api/v1/supervision/presentations' }),
  },
  'GET /api/v1/settings/audit-digest': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/settings/audit-digest' }),
  },
  'PUT /api/v1/settings/audit-digest': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'administrator',
    request: () => ({ url: '/api/v1/settings/audit-digest', payload: { enabled: false } }),
  },
  'GET /api/v1/settings/late-entry': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/settings/late-entry' }),
  },
  'PUT /api/v1/settings/late-entry': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'administrator',
    request: () => ({ url: '/api/v1/settings/late-entry', payload: { hours: 24 } }),
  },
  'GET /api/v1/settings/legal-bases': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/settings/legal-bases' }),
  },
  'PUT /api/v1/settings/legal-bases': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'administrator',
    request: () => ({
      url: '/api/v1/settings/legal-bases',
      payload: { bases: [{ id: 'serious-harm', label: 'Serious risk of harm (public interest)' }] },
    }),
  },
  'POST /api/v1/cases/:caseId/disclosures': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.caseId[t]}/disclosures`,
      payload: {
        clientId: w.client[t],
        disclosedOn: '2026-11-03',
        recipient: 'Matrix duty team (fictional)',
        what: 'A risk of harm (fictional)',
        legalBasis: 'serious-harm',
        whyNoConsent: 'Urgent (fictional)',
        justification: 'Serious harm (fictional)',
        withholdFromClient: false,
      },
    }),
  },
  'GET /api/v1/cases/:caseId/disclosures': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/cases/${w.caseId[t]}/disclosures` }),
  },
  'GET /api/v1/portal/disclosures': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'client' || who === 'appropriate-adult',
    request: () => ({ url: '/api/v1/portal/disclosures' }),
  },
  'POST /api/v1/cases/:caseId/referrals': {
    kind: 'records',
    // The matrix's clients have given no consent to release: the practitioner is refused by
    // the Code (422), everyone else finds nothing.
    allowed: practitionerOwn,
    contentRefusal: () => 422,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.caseId[t]}/referrals`,
      payload: { clientId: w.client[t], to: 'Dr Matrix (fictional)', reason: 'Matrix referral (fictional)' },
    }),
  },
  'GET /api/v1/cases/:caseId/referrals': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/cases/${w.caseId[t]}/referrals` }),
  },
  'GET /api/v1/cases/:caseId/referrals/:referralId/pdf': {
    kind: 'records',
    // A random referral id is nobody's.
    allowed: () => false,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.caseId[t]}/referrals/6f1c2a4e-0000-4000-8000-000000000000/pdf`,
    }),
  },
  'POST /api/v1/cases/:caseId/dual-relationships': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.spareCase[t]}/dual-relationships`,
      payload: {
        declaredOn: '2026-11-04',
        description: 'Met at a neighbour’s party (fictional).',
        supervisorId: w.supervisorId,
      },
    }),
  },
  'GET /api/v1/cases/:caseId/dual-relationships': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/cases/${w.caseId[t]}/dual-relationships` }),
  },
  'POST /api/v1/release-requests': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: '/api/v1/release-requests',
      payload: { clientId: w.client[t], basis: 'subject-access', receivedOn: '2026-11-02' },
    }),
  },
  'GET /api/v1/release-requests': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/release-requests' }),
  },
  'POST /api/v1/release-requests/:requestId/preview': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/release-requests/${w.requests[t].preview}/preview`, payload: {} }),
  },
  'POST /api/v1/release-requests/:requestId/issue': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/release-requests/${w.requests[t].issue}/issue`, payload: {} }),
  },
  'GET /api/v1/releases/:releaseId/pdf': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({ url: '/api/v1/releases/6f1c2a4e-0000-4000-8000-000000000000/pdf' }),
  },
  'GET /api/v1/releases/:releaseId/fhir': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({ url: '/api/v1/releases/6f1c2a4e-0000-4000-8000-000000000000/fhir' }),
  },
  'GET /api/v1/portal/releases/:releaseId/fhir': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({ url: '/api/v1/portal/releases/6f1c2a4e-0000-4000-8000-000000000000/fhir' }),
  },
  'POST /api/v1/research-exports': {
    kind: 'records',
    untargeted: true,
    // The matrix's clients have given no research consent: the export fails rather than leak.
    allowed: (who) => who === 'practitioner',
    contentRefusal: () => 422,
    request: () => ({ url: '/api/v1/research-exports', payload: { purpose: 'research', k: 5 } }),
  },
  'POST /api/v1/research-exports/csv': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    contentRefusal: () => 422,
    request: () => ({ url: '/api/v1/research-exports/csv', payload: { purpose: 'research', k: 5 } }),
  },
  'POST /api/v1/portal/release-requests': {
    kind: 'records',
    untargeted: true,
    // The client's own right; an appropriate adult does not make it for them.
    allowed: (who) => who === 'client',
    request: () => ({ url: '/api/v1/portal/release-requests', payload: {} }),
  },
  'GET /api/v1/portal/releases': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'client' || who === 'appropriate-adult',
    request: () => ({ url: '/api/v1/portal/releases' }),
  },
  'GET /api/v1/portal/releases/:releaseId/pdf': {
    kind: 'records',
    untargeted: true,
    allowed: () => false,
    request: () => ({ url: '/api/v1/portal/releases/6f1c2a4e-0000-4000-8000-000000000000/pdf' }),
  },
  'GET /api/v1/clients': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/clients' }),
  },
  // The search by name: in the body, never the URL (issue 16, finding 10).
  'POST /api/v1/clients/search': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner' || who === 'administrator',
    request: () => ({ url: '/api/v1/clients/search', payload: { name: 'Matrix Person (fictional)' } }),
  },
  'POST /api/v1/clients': {
    kind: 'records',
    untargeted: true,
    allowed: (who) => who === 'practitioner',
    request: () => ({ url: '/api/v1/clients', payload: { identity: { name: 'Matrix Person (fictional)' } } }),
  },
  'GET /api/v1/clients/:clientId': {
    kind: 'records',
    allowed: (who, target) =>
      target !== 'other-practice' &&
      ((who === 'practitioner' && target === 'own') ||
        who === 'administrator' ||
        (who === 'client' && target === 'own')),
    request: (w, t) => ({ url: `/api/v1/clients/${w.client[t]}` }),
  },
  'GET /api/v1/clients/:clientId/record': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/clients/${w.client[t]}/record` }),
  },
  'GET /api/v1/clients/:clientId/access': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: `/api/v1/clients/${w.client[t]}/access` }),
  },
  'POST /api/v1/cases': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({ url: '/api/v1/cases', payload: { kind: 'individual', clientIds: [w.client[t]] } }),
  },
  'POST /api/v1/cases/:caseId/entries': {
    kind: 'records',
    allowed: practitionerOwn,
    request: (w, t) => ({
      url: `/api/v1/cases/${w.caseId[t]}/entries`,
      payload: {
        kind: 'session-note',
        occurredAt: '2026-11-20T10:00:00Z',
        passages: [{ text: 'Matrix note (fictional)', attribution: [w.participant[t]] }],
      },
    }),
  },
};

const engine = testEngines[0];
if (engine === undefined) throw new Error('no engine');

describe('the authorisation matrix', () => {
  let t: TestApp;
  let world: World;
  const staff = new Map<Role, TestStaff>();

  beforeAll(async () => {
    t = await startTestApp(engine);
    const v = t.vault;
    const me = await addStaff(v, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    const colleague = await addStaff(v, {
      email: 'colleague@example.test',
      name: 'Colleague (fictional)',
      roles: ['practitioner'],
    });
    staff.set('practitioner', me);
    staff.set(
      'administrator',
      await addStaff(v, { email: 'admin@example.test', name: 'Admin (fictional)', roles: ['administrator'] }),
    );
    staff.set(
      'supervisor',
      await addStaff(v, { email: 'sup@example.test', name: 'Sup (fictional)', roles: ['supervisor'] }),
    );
    staff.set(
      'executor',
      await addStaff(v, { email: 'exec@example.test', name: 'Exec (fictional)', roles: ['executor'] }),
    );

    const make = async (practiceId: string, practitionerId: string, name: string) =>
      v.db.transaction().execute(async (trx) => {
        // Vulnerable adults, so that an appropriate adult may be invited for them.
        const identity = new Confidential({ name, vulnerableAdult: true });
        const client = await createClient(trx, v.keyring, {
          practiceId,
          createdBy: practitionerId,
          identity,
        });
        const cases = { practiceId, practitionerId, kind: 'individual' as const, clientIds: [client.id] };
        const opened = await openCase(trx, v.keyring, cases);
        const spare = await openCase(trx, v.keyring, cases);
        const third = await openCase(trx, v.keyring, cases);
        const offered = await createContractVersion(trx, v.keyring, {
          practiceId,
          caseId: third.caseId,
          text: new Confidential(contractText('A matrix contract to withdraw (fictional).')),
          userId: practitionerId,
          now: new Date().toISOString(),
        });
        const contract = await createContractVersion(trx, v.keyring, {
          practiceId,
          caseId: opened.caseId,
          text: new Confidential('A matrix contract (fictional), long enough.'),
          userId: practitionerId,
          now: new Date().toISOString(),
        });
        const participantId = opened.participants[0]?.id ?? '';
        const session = await recordSession(trx, v.keyring, {
          practiceId,
          caseId: opened.caseId,
          kind: 'assessment',
          format: 'in-person',
          startsAt: '2026-11-02T10:00:00Z',
          minutes: 50,
          attendance: 'attended',
          userId: practitionerId,
          now: new Date().toISOString(),
        });
        const note = async (status: 'draft' | 'signed') =>
          (
            await addEntry(trx, v.keyring, {
              practiceId,
              theCase: opened,
              authorId: practitionerId,
              kind: 'session-note',
              occurredAt: '2026-11-02T10:00:00Z',
              sessionId: session.id,
              status,
              passages: [
                { text: new Confidential('<p>Matrix (fictional)</p>'), attribution: [], section: 'findings' },
              ],
            })
          ).id;
        const notes = {
          draft: await note('draft'),
          discard: await note('draft'),
          toSign: await note('draft'),
          signed: await note('signed'),
        };
        const request = async () =>
          (
            await registerRequest(trx, v.keyring, {
              practiceId,
              clientId: client.id,
              basis: 'subject-access',
              receivedOn: '2026-11-02',
              dueOn: '2026-12-02',
              viaPortal: false,
              createdBy: practitionerId,
              now: new Date().toISOString(),
            })
          ).id;
        const requests = { preview: await request(), issue: await request() };
        return {
          requests,
          session: session.id,
          notes,
          clientId: client.id,
          caseId: opened.caseId,
          participantId,
          spareCase: spare.caseId,
          contract,
          offered: { caseId: third.caseId, contractId: offered.id },
        };
      });
    const other = await v.db.transaction().execute(async (trx) => {
      const practice = await insertPractice(trx, { name: 'Other Practice (fictional)' }, v.keyring);
      const { id } = await createUser(trx, v.keyring, {
        email: 'other@example.test',
        name: 'Other (fictional)',
        passwordHash: 'x',
      });
      await addMembership(trx, { userId: id, practiceId: practice.id, role: 'practitioner' });
      return { practiceId: practice.id, userId: id };
    });
    const person = async (email: string, practiceId: string) =>
      (await addStaff(v, { email, name: 'Person (fictional)', roles: ['practitioner'], practiceId })).userId;
    await v.db.transaction().execute((trx) =>
      setMailSettings(trx, v.keyring, {
        practiceId: v.practice.id,
        settings: captureMail,
        userId: me.userId,
        now: new Date().toISOString(),
      }),
    );
    const own = await make(v.practice.id, me.userId, 'Own Client (fictional)');
    const theirs = await make(v.practice.id, colleague.userId, 'Colleague Client (fictional)');
    const elsewhere = await make(other.practiceId, other.userId, 'Elsewhere Client (fictional)');
    staff.set(
      'client',
      await addStaff(v, {
        email: 'client@example.test',
        name: 'Client (fictional)',
        roles: ['client'],
        clientId: own.clientId,
      }),
    );
    staff.set(
      'appropriate-adult',
      await addStaff(v, {
        email: 'parent@example.test',
        name: 'Parent (fictional)',
        roles: ['appropriate-adult'],
        clientId: own.clientId,
      }),
    );
    world = {
      client: { own: own.clientId, colleague: theirs.clientId, 'other-practice': elsewhere.clientId },
      caseId: { own: own.caseId, colleague: theirs.caseId, 'other-practice': elsewhere.caseId },
      participant: {
        own: own.participantId,
        colleague: theirs.participantId,
        'other-practice': elsewhere.participantId,
      },
      spareCase: { own: own.spareCase, colleague: theirs.spareCase, 'other-practice': elsewhere.spareCase },
      contract: { own: own.contract, colleague: theirs.contract, 'other-practice': elsewhere.contract },
      offered: { own: own.offered, colleague: theirs.offered, 'other-practice': elsewhere.offered },
      session: { own: own.session, colleague: theirs.session, 'other-practice': elsewhere.session },
      notes: { own: own.notes, colleague: theirs.notes, 'other-practice': elsewhere.notes },
      supervisorId: staff.get('supervisor')?.userId ?? '',
      requests: { own: own.requests, colleague: theirs.requests, 'other-practice': elsewhere.requests },
      person: {
        own: await person('person-own@example.test', v.practice.id),
        colleague: await person('person-colleague@example.test', v.practice.id),
        'other-practice': await person('person-other@example.test', other.practiceId),
      },
    };
    expect(
      (await clientFacts(v.db, v.practice.id, [own.clientId])).get(own.clientId)?.treatingPractitionerIds,
    ).toEqual([me.userId]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('describes every route the app has', () => {
    const missing = t.app.alcove.routes
      .map((r) => `${r.method} ${r.url}`)
      .filter((key) => rules[key] === undefined);
    expect(missing).toEqual([]);
  });

  clause(
    ['GT-39', 'GT-74', 'PG5-3', 'PG5-5'],
    'allows exactly what the rules allow, for every route, role and record',
    async () => {
      const unexpected: string[] = [];
      let checked = 0;
      for (const route of t.app.alcove.routes) {
        const key = `${route.method} ${route.url}`;
        const rule = rules[key];
        if (rule === undefined) continue;
        for (const who of whos) {
          for (const target of rule.untargeted || rule.kind !== 'records' ? (['own'] as const) : targets) {
            const { url, payload } = rule.request(world, target);
            const member = who === 'anonymous' ? undefined : staff.get(who);
            const response = await t.app.inject({
              method: route.method as 'GET',
              url,
              headers: member === undefined ? {} : bearer(member),
              ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
            });
            checked += 1;
            const status = response.statusCode;
            const label = `${key} as ${who} on ${target}: ${status}`;
            expect(status, label).toBeLessThan(500);
            if (rule.kind === 'public') continue;
            if (who === 'anonymous' || rule.kind === 'browser') {
              if (status !== 401) unexpected.push(label);
              continue;
            }
            const allowed = rule.allowed?.(who, target) ?? false;
            if (!allowed && status !== 404) unexpected.push(`${label} (expected 404)`);
            const refusal = rule.contentRefusal?.(who);
            if (allowed && refusal !== undefined) {
              if (status !== refusal) unexpected.push(`${label} (expected ${refusal})`);
              continue;
            }
            if (allowed && status >= 400) unexpected.push(`${label} (expected success)`);
          }
        }
      }
      expect(unexpected).toEqual([]);
      expect(checked).toBeGreaterThan(100);
    },
  );

  it('refuses a session locked to a signing screen every route but the kiosk’s own, whatever it asks for', async () => {
    const me = staff.get('practitioner');
    if (me === undefined) throw new Error('no practitioner');
    const written = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${world.spareCase.own}/contracts`,
      headers: bearer(me),
      payload: { text: contractText('A contract for the kiosk (fictional), long enough.') },
    });
    expect(written.statusCode).toBe(201);
    const browser = await signInAndEnrol(t.app, me.email, Date.now);
    const headers = { cookie: browser.cookie, 'x-csrf-token': browser.csrfToken };
    const handed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/session/kiosk',
      headers,
      payload: { caseId: world.spareCase.own, clientId: world.client.own, contractId: written.json().id },
    });
    expect(handed.statusCode).toBe(204);
    const unexpected: string[] = [];
    for (const route of t.app.alcove.routes) {
      const key = `${route.method} ${route.url}`;
      const rule = rules[key];
      if (rule === undefined || !route.url.startsWith('/api/')) continue;
      // Both end the kiosk (kiosk.test.ts covers them); the loop needs it to go on.
      if (key === 'POST /api/v1/auth/sign-out' || key === 'POST /api/v1/session/kiosk/end') continue;
      const { url, payload } = rule.request(world, 'own');
      const response = await t.app.inject({
        method: route.method as 'GET',
        url,
        headers,
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
      const refused = response.statusCode === 403 && response.json().code === 'kiosk-locked';
      if (refused === (rule.kiosk === true)) unexpected.push(`${key}: ${response.statusCode}`);
      if (rule.kiosk === true && response.statusCode >= 500)
        unexpected.push(`${key}: ${response.statusCode}`);
    }
    expect(unexpected).toEqual([]);
  });
});
