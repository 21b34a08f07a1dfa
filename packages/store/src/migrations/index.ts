import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-practice.ts';
import * as m0002 from './0002-keys-and-records.ts';
import * as m0003 from './0003-practitioner-profile.ts';
import * as m0004 from './0004-intake-and-contracts.ts';
import * as m0005 from './0005-consents.ts';
import * as m0006 from './0006-portal-and-outbox.ts';
import * as m0007 from './0007-clinical-notes.ts';
import * as m0008 from './0008-supervision.ts';
import * as m0009 from './0009-disclosures.ts';
import * as m0010 from './0010-referrals-and-dual-relationships.ts';
import * as m0011 from './0011-supervision-sessions.ts';
import * as m0012 from './0012-releases.ts';
import * as m0013 from './0013-indexes-at-scale.ts';
import * as m0014 from './0014-signing-kiosk.ts';
import * as m0015 from './0015-outbox-leases.ts';
import * as m0016 from './0016-outbox-recipients.ts';
import * as m0017 from './0017-auth-failures.ts';
import * as m0018 from './0018-reauthentication-and-token-expiry.ts';
import * as m0019 from './0019-session-and-audit-context.ts';
import * as m0020 from './0020-practice-people.ts';
import * as m0021 from './0021-password-reset.ts';
import * as m0022 from './0022-contract-offers.ts';

/**
 * The one migration set, for both engines, in order. Names sort in the order they run;
 * a migration is never edited once released: add a new one.
 */
export const migrations: Record<string, Migration> = {
  '0001-practice': m0001,
  '0002-keys-and-records': m0002,
  '0003-practitioner-profile': m0003,
  '0004-intake-and-contracts': m0004,
  '0005-consents': m0005,
  '0006-portal-and-outbox': m0006,
  '0007-clinical-notes': m0007,
  '0008-supervision': m0008,
  '0009-disclosures': m0009,
  '0010-referrals-and-dual-relationships': m0010,
  '0011-supervision-sessions': m0011,
  '0012-releases': m0012,
  '0013-indexes-at-scale': m0013,
  '0014-signing-kiosk': m0014,
  '0015-outbox-leases': m0015,
  '0016-outbox-recipients': m0016,
  '0017-auth-failures': m0017,
  '0018-reauthentication-and-token-expiry': m0018,
  '0019-session-and-audit-context': m0019,
  '0020-practice-people': m0020,
  '0021-password-reset': m0021,
  '0022-contract-offers': m0022,
};
