import { nameTokens } from '../identifiers.ts';
import { type CatalogueEntry, clause } from './catalogue.ts';

/**
 * The contract gate (GT-36): no therapy session on a case without an agreed contract
 * ("must", never overridable); a contract not yet signed by every party refuses it too
 * ("should", GT-36a: overridable with a recorded reason, such as agreement by phone).
 * Assessment sessions pass: GT-36 speaks of "before starting therapy".
 */
export type SessionKind = 'assessment' | 'therapy';

export interface ContractState {
  /** Any contract version exists for the case. */
  readonly exists: boolean;
  /** The current version is signed by every client of the case and the practitioner. */
  readonly signedByAll: boolean;
}

export interface GateRefusal {
  readonly rule: string;
  readonly clause: CatalogueEntry;
  readonly overridable: boolean;
  readonly detail: string;
}

function entry(id: string): CatalogueEntry {
  const found = clause(id);
  if (found === undefined) throw new Error(`unknown clause ${id}`);
  return found;
}

export interface SessionFormat {
  readonly online: boolean;
  /** The practitioner's record holds training for online work (GT-92). */
  readonly onlineTrained: boolean;
}

export function sessionGate(
  kind: SessionKind,
  contract: ContractState,
  overrides: ReadonlySet<string>,
  format: SessionFormat = { online: false, onlineTrained: true },
): GateRefusal[] {
  // GT-92 is a "should": online work without training goes ahead only with a recorded reason.
  if (format.online && !format.onlineTrained && !overrides.has('GT-92')) {
    return [
      {
        rule: 'online-session-without-training',
        clause: entry('GT-92'),
        overridable: true,
        detail:
          'Your professional record holds no training for online work. Record it, or give your reason for going ahead.',
      },
    ];
  }
  if (kind === 'assessment') return [];
  if (!contract.exists) {
    return [
      {
        rule: 'contract-before-therapy',
        clause: entry('GT-36'),
        overridable: false,
        detail:
          'Agree a contract with the client before therapy starts. An assessment session can be recorded now.',
      },
    ];
  }
  if (!contract.signedByAll && !overrides.has('GT-36a')) {
    return [
      {
        rule: 'contract-signed-by-all',
        clause: entry('GT-36a'),
        overridable: true,
        detail:
          'The contract is not yet signed by every party. Wait for the signatures, or record why therapy goes ahead now.',
      },
    ];
  }
  return [];
}

/**
 * GT-36d: where the organisation is responsible for the contract, the client signs only
 * having been shown its conditions and acknowledged them. A "must": never overridable.
 */
export function signatureGate(input: {
  readonly signerKind: 'client' | 'practitioner';
  readonly conditions: boolean;
  readonly acknowledged: boolean;
}): GateRefusal[] {
  if (input.signerKind !== 'client' || !input.conditions || input.acknowledged) return [];
  return [
    {
      rule: 'organisation-conditions-acknowledged',
      clause: entry('GT-36d'),
      overridable: false,
      detail:
        'The organisation holds this contract: the client reads its conditions and acknowledges them before signing.',
    },
  ];
}

/**
 * GT-36b, GT-36c: a contract template keeps the sections the Code asks a contract to
 * cover (see contract-template.ts); a template without one is refused, naming its clause.
 */
export function templateGate(missing: readonly { heading: string; clause: string }[]): GateRefusal[] {
  return missing.map((m) => ({
    rule: 'contract-template-sections',
    clause: entry(m.clause),
    overridable: false,
    detail: `The template has no “${m.heading}” section. Add it as a heading on a line of its own.`,
  }));
}

/**
 * GT-38: records are made at the same time as the events or as soon as possible
 * afterwards, and must be accurate: a note for a session that has not yet happened is
 * refused.
 */
export function noteGate(input: { readonly sessionStartsAt: string; readonly now: string }): GateRefusal[] {
  if (Date.parse(input.sessionStartsAt) <= Date.parse(input.now)) return [];
  return [
    {
      rule: 'note-after-the-session',
      clause: entry('GT-38'),
      overridable: false,
      detail: 'This session has not happened yet: write its note once it has taken place.',
    },
  ];
}

/**
 * PG5-5: client confidentiality is maintained in supervision. A case goes to supervision
 * under its pseudonym; material that names a client of the case (a name outside brackets,
 * an e-mail address or a phone number on their record) is refused before it is stored.
 */
export function presentationGate(
  material: string,
  clients: readonly {
    name: string;
    preferredName?: string | undefined;
    email?: string | undefined;
    phone?: string | undefined;
  }[],
): GateRefusal[] {
  const text = material.replace(/<[^>]*>/g, ' ').toLowerCase();
  const words = new Set(text.split(/[^\p{L}\p{N}'’-]+/u).filter((w) => w !== ''));
  const digits = text.replace(/\D/g, '');
  const named = clients.some((c) => {
    const tokens = nameTokens(c);
    const phone = c.phone?.replace(/\D/g, '') ?? '';
    return (
      tokens.some((t) => words.has(t)) ||
      (c.email !== undefined && text.includes(c.email.toLowerCase())) ||
      (phone.length >= 6 && digits.includes(phone))
    );
  });
  if (!named) return [];
  return [
    {
      rule: 'presentation-without-identity',
      clause: entry('PG5-5'),
      overridable: false,
      detail:
        'The material names a client of this case (a name, an e-mail address or a phone number). Supervision sees the case’s pseudonym only: refer to the clients as Partner A, Partner B or the client.',
    },
  ];
}

/**
 * PG5-1, GT-21c: a referral letter releases a client's information to another
 * practitioner, so it is written only with that client's own consent to release to a third
 * party, in force today. One partner's consent never covers the other.
 */
export function referralGate(consentInForce: boolean): GateRefusal[] {
  if (consentInForce) return [];
  return [
    {
      rule: 'referral-with-consent',
      clause: entry('PG5-1'),
      overridable: false,
      detail:
        'Record the client’s consent to release their information to a third party (a consent of their own, in force today) before writing the referral.',
    },
  ];
}

/** GT-64: supervision is logged with the experienced, qualified supervisor the record names. */
export function supervisionLogGate(supervisorNamed: boolean): GateRefusal[] {
  if (supervisorNamed) return [];
  return [
    {
      rule: 'supervision-with-named-supervisor',
      clause: entry('GT-64'),
      overridable: false,
      detail: 'Name your supervisor in your professional record before logging supervision with them.',
    },
  ];
}
