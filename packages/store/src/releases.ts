import { createHash } from 'node:crypto';
import { AlcoveError, Confidential, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { open, openText, seal, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import { clientKey } from './record-keys.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText } from './sealed.ts';

/**
 * The register of release requests and the log of releases, each kept exactly as issued:
 * the PDF sealed under the client's key with its SHA-256, the consents relied on, and what
 * was withheld and why. A release is produced again from here, unchanged.
 */

export async function registerRequest(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    clientId: string;
    basis: string;
    requester?: string | undefined;
    receivedOn: string;
    dueOn: string | null;
    viaPortal: boolean;
    createdBy: string;
    now: string;
  },
): Promise<{ id: string }> {
  const id = newId();
  let requester: string | null = null;
  if (input.requester !== undefined) {
    const { keyId, key } = await clientKey(trx, keyring, input.practiceId, input.clientId);
    requester = sealText(key, input.requester, {
      practiceId: input.practiceId,
      record: `release-request/${id}`,
      field: 'requester',
      keyId,
    });
  }
  await trx
    .insertInto('release_request')
    .values({
      id,
      practice_id: input.practiceId,
      client_id: input.clientId,
      basis: input.basis,
      requester_sealed: requester,
      received_on: input.receivedOn,
      due_on: input.dueOn,
      status: 'received',
      via_portal: input.viaPortal ? 1 : 0,
      created_by: input.createdBy,
      created_at: input.now,
    })
    .execute();
  return { id };
}

export interface ReleaseRequestView {
  readonly id: string;
  readonly clientId: string;
  readonly basis: string;
  /** Who asked, where not the client, opened (sealed.ts); null when the client asked. */
  readonly requester: Opened<Confidential<string>> | null;
  readonly receivedOn: string;
  readonly dueOn: string | null;
  readonly status: 'received' | 'issued';
  readonly viaPortal: boolean;
  readonly releaseId: string | null;
  /** When its release was issued; null until it is. */
  readonly issuedAt: string | null;
}

export async function releaseRequests(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  where: { clientIds?: readonly string[]; requestId?: string } = {},
): Promise<ReleaseRequestView[]> {
  if (where.clientIds !== undefined && where.clientIds.length === 0) return [];
  let query = db
    .selectFrom('release_request as r')
    .innerJoin('client as c', 'c.id', 'r.client_id')
    .leftJoin('release as x', 'x.request_id', 'r.id')
    .select([
      'r.id',
      'r.client_id',
      'r.basis',
      'r.requester_sealed',
      'r.received_on',
      'r.due_on',
      'r.status',
      'r.via_portal',
      'x.id as release_id',
      'x.issued_at as issued_at',
      'c.key_id as client_key_id',
    ])
    .where('r.practice_id', '=', practiceId);
  if (where.clientIds !== undefined) query = query.where('r.client_id', 'in', [...where.clientIds]);
  if (where.requestId !== undefined) query = query.where('r.id', '=', where.requestId);
  const rows = await query.orderBy('r.received_on', 'desc').orderBy('r.created_at', 'desc').execute();
  const keys = await keyring.dataKeys(
    db,
    practiceId,
    rows.flatMap((r) => (r.requester_sealed === null ? [] : [r.client_key_id])),
  );
  const result: ReleaseRequestView[] = [];
  for (const r of rows) {
    result.push({
      id: r.id,
      clientId: r.client_id,
      basis: r.basis,
      requester:
        r.requester_sealed === null
          ? null
          : openSealedText(
              keys.get(r.client_key_id),
              r.requester_sealed,
              {
                practiceId,
                record: `release-request/${r.id}`,
                field: 'requester',
                keyId: r.client_key_id,
              },
              (text) => new Confidential(text),
            ),
      receivedOn: r.received_on,
      dueOn: r.due_on,
      status: r.status === 'issued' ? 'issued' : 'received',
      viaPortal: r.via_portal === 1,
      releaseId: r.release_id,
      issuedAt: r.issued_at,
    });
  }
  return result;
}

export interface WithheldItem {
  readonly what: string;
  readonly clause: string;
  readonly reason: string;
}

export async function issueRelease(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    /** The release's id, made by the caller: the FHIR bundle names it. */
    id: string;
    requestId: string;
    clientId: string;
    pdf: Buffer;
    fhir: string;
    consentsRelied: readonly string[];
    withheld: readonly WithheldItem[];
    issuedBy: string;
    now: string;
  },
): Promise<{ id: string; sha256: string; fhirSha256: string }> {
  const request = await trx
    .selectFrom('release_request')
    .select('status')
    .where('id', '=', input.requestId)
    .executeTakeFirstOrThrow();
  if (request.status === 'issued')
    throw new AlcoveError('conflict', 'This request has been answered already.');
  const id = input.id;
  const { keyId, key } = await clientKey(trx, keyring, input.practiceId, input.clientId);
  const sha256 = createHash('sha256').update(input.pdf).digest('hex');
  const fhirSha256 = createHash('sha256').update(input.fhir, 'utf8').digest('hex');
  await trx
    .insertInto('release')
    .values({
      id,
      practice_id: input.practiceId,
      request_id: input.requestId,
      client_id: input.clientId,
      pdf_sealed: seal(key, input.pdf, {
        practiceId: input.practiceId,
        record: `release/${id}`,
        field: 'pdf',
        keyId,
      }),
      pdf_sha256: sha256,
      fhir_sealed: sealText(key, input.fhir, {
        practiceId: input.practiceId,
        record: `release/${id}`,
        field: 'fhir',
        keyId,
      }),
      fhir_sha256: fhirSha256,
      consents_relied: JSON.stringify(input.consentsRelied),
      withheld: JSON.stringify(input.withheld),
      issued_by: input.issuedBy,
      issued_at: input.now,
    })
    .execute();
  await trx
    .updateTable('release_request')
    .set({ status: 'issued' })
    .where('id', '=', input.requestId)
    .execute();
  return { id, sha256, fhirSha256 };
}

export interface IssuedRelease {
  readonly id: string;
  readonly requestId: string;
  readonly clientId: string;
  readonly issuedAt: string;
  readonly sha256: string;
  readonly consentsRelied: readonly string[];
  readonly withheld: readonly WithheldItem[];
  /** The PDF as issued; its hash is checked on every read. */
  readonly pdf: Buffer;
  /** The FHIR R4 Bundle as issued (JSON), its hash checked likewise. */
  readonly fhir: string;
}

export async function readRelease(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  releaseId: string,
): Promise<IssuedRelease | undefined> {
  const row = await db
    .selectFrom('release')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('id', '=', releaseId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const { keyId, key } = await clientKey(db, keyring, practiceId, row.client_id);
  const pdf = open(key, row.pdf_sealed, { practiceId, record: `release/${row.id}`, field: 'pdf', keyId });
  const fhir = openText(key, row.fhir_sealed, {
    practiceId,
    record: `release/${row.id}`,
    field: 'fhir',
    keyId,
  });
  if (
    createHash('sha256').update(pdf).digest('hex') !== row.pdf_sha256 ||
    createHash('sha256').update(fhir, 'utf8').digest('hex') !== row.fhir_sha256
  ) {
    throw new Error('A release no longer matches its hash');
  }
  return {
    id: row.id,
    requestId: row.request_id,
    clientId: row.client_id,
    issuedAt: row.issued_at,
    sha256: row.pdf_sha256,
    consentsRelied: JSON.parse(row.consents_relied) as string[],
    withheld: JSON.parse(row.withheld) as WithheldItem[],
    pdf,
    fhir,
  };
}
