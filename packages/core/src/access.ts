import { ruleRan } from './code/trace.ts';

/**
 * One access decision for the whole of Alcove: a pure function, deny by default, shared
 * by the server and the browser. Storage is reached only through a context that asks it
 * (packages/server/src/context-base.ts); a record the caller may not see is "not found".
 *
 * Roles and what they must never see come from PRODUCT.md ("Who uses it").
 */
export const roles = [
  'practitioner',
  'administrator',
  'supervisor',
  'executor',
  'client',
  'appropriate-adult',
] as const;
export type Role = (typeof roles)[number];
export const staffRoles: readonly Role[] = ['practitioner', 'administrator', 'supervisor', 'executor'];

export interface Actor {
  readonly userId: string;
  readonly practiceId: string;
  readonly roles: readonly Role[];
  /** For the client role: the client record that is theirs; for an appropriate adult, the young person's. */
  readonly clientId?: string | undefined;
}

/** What an action is done to. Every field is an id or a relation, never content. */
export type Resource =
  | { readonly type: 'practice'; readonly practiceId: string }
  | {
      readonly type: 'client';
      readonly practiceId: string;
      readonly clientId: string;
      /** The practitioner who took the client on, and those responsible for any of their cases. */
      readonly treatingPractitionerIds: readonly string[];
      /**
       * For an appropriate adult: whether they may see this young person's record
       * (appropriateAdultMaySee). Absent means no.
       */
      readonly appropriateAdultMaySee?: boolean;
    }
  | {
      readonly type: 'case';
      readonly practiceId: string;
      readonly caseId: string;
      readonly practitionerId: string;
      /** The clients of the case. */
      readonly clientIds: readonly string[];
    }
  | { readonly type: 'account'; readonly userId: string };

export const actions = [
  'practice.read',
  'client.create',
  'client.list',
  'client.read-identity',
  'client.read-clinical',
  'client.read-access-history',
  'case.open',
  'case.read',
  'entry.create',
  'case.manage',
  'consent.record',
  'client.invite',
  'client.update-contact',
  'portal.use',
  'contract.sign-own',
  'outbox.read',
  'outbox.retry',
  'template.write',
  'supervision.read',
  'account.manage',
  'profile.manage',
  'settings.read',
  'settings.write',
  'people.manage',
] as const;
export type Action = (typeof actions)[number];

function has(actor: Actor, role: Role): boolean {
  return actor.roles.includes(role);
}

function treats(actor: Actor, resource: { treatingPractitionerIds: readonly string[] }): boolean {
  return has(actor, 'practitioner') && resource.treatingPractitionerIds.includes(actor.userId);
}

/**
 * GT-27: an appropriate adult sees a young person's record only while the young person has
 * not been found competent to consent, or has agreed to it (a consent of their own, in force).
 */
export function appropriateAdultMaySee(youngPerson: { competent: boolean; agrees: boolean }): boolean {
  return !youngPerson.competent || youngPerson.agrees;
}

/** Deny unless a rule below allows; a denial is reported to trace.ts as the safeguard acting. */
export function can(actor: Actor, action: Action, resource: Resource): boolean {
  const allowed = decide(actor, action, resource);
  ruleRan('access.can', allowed ? [] : ['*']);
  return allowed;
}

function decide(actor: Actor, action: Action, resource: Resource): boolean {
  if (resource.type === 'account') {
    if (resource.userId !== actor.userId) return false;
    if (action === 'account.manage') return true;
    // The professional record (GT-15, GT-45, …) is a practitioner's own.
    return action === 'profile.manage' && has(actor, 'practitioner');
  }
  // Another practice's records do not exist for this actor.
  if (resource.practiceId !== actor.practiceId) return false;

  switch (resource.type) {
    case 'practice':
      if (action === 'practice.read') return actor.roles.length > 0;
      if (action === 'client.create') return has(actor, 'practitioner');
      if (action === 'client.list') return has(actor, 'practitioner') || has(actor, 'administrator');
      if (action === 'case.open') return has(actor, 'practitioner');
      if (action === 'settings.read') return has(actor, 'practitioner') || has(actor, 'administrator');
      if (action === 'settings.write') return has(actor, 'administrator');
      // The practice's people (staff accounts, their sessions and tokens): administrators.
      if (action === 'people.manage') return has(actor, 'administrator');
      // Messages carry no clinical content: the practitioner sees those to their own
      // clients, an administrator all (the context filters by client).
      if (action === 'outbox.read' || action === 'outbox.retry')
        return has(actor, 'practitioner') || has(actor, 'administrator');
      if (action === 'template.write') return has(actor, 'practitioner') || has(actor, 'administrator');
      // The presentations made to them, by pseudonym: never a client's record (PG5-5).
      if (action === 'supervision.read') return has(actor, 'supervisor');
      return false;

    case 'client':
      switch (action) {
        // Identity and contact details: the treating practitioner, the practice's
        // administrators (diary, invoices), and the client themself. Never a supervisor:
        // supervision works on pseudonyms (PG5-5).
        case 'client.read-identity':
          return (
            treats(actor, resource) ||
            has(actor, 'administrator') ||
            (has(actor, 'client') && actor.clientId === resource.clientId)
          );
        // Clinical material and who has read it: the treating practitioner only.
        case 'client.read-clinical':
        case 'client.read-access-history':
          return treats(actor, resource);
        case 'case.open':
        case 'consent.record':
        case 'client.invite':
        case 'client.update-contact':
          return treats(actor, resource);
        // The client portal: a client acts for themself, and only for themself. One
        // partner's account never reaches the other partner's record.
        case 'portal.use':
          if (actor.clientId !== resource.clientId) return false;
          return (
            has(actor, 'client') ||
            (has(actor, 'appropriate-adult') && resource.appropriateAdultMaySee === true)
          );
        default:
          return false;
      }

    case 'case':
      if (action === 'case.read' || action === 'entry.create' || action === 'case.manage') {
        return has(actor, 'practitioner') && resource.practitionerId === actor.userId;
      }
      if (action === 'contract.sign-own') {
        return (
          has(actor, 'client') && actor.clientId !== undefined && resource.clientIds.includes(actor.clientId)
        );
      }
      return false;
  }
}
