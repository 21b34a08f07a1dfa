import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

/** RFC 6238: SHA-1, 6 digits, 30 seconds, as every authenticator app expects. */
const PERIOD = 30;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label: string): TOTP {
  return new TOTP({
    issuer: 'Alcove',
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(secret),
  });
}

export function otpauthUri(secret: string, label: string): string {
  return totp(secret, label).toString();
}

export async function qrCodeSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
}

/**
 * The time step a code belongs to, if it is valid now (one step either side for clock
 * drift), and only if that step is later than the last one used: a code is never accepted
 * twice.
 */
export function acceptTotp(
  secret: string,
  code: string,
  lastStep: number | null,
  now = Date.now(),
): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret, 'check').validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  const step = TOTP.counter({ period: PERIOD, timestamp: now }) + delta;
  if (lastStep !== null && step <= lastStep) return undefined;
  return step;
}

/** The current code, for the demo practice's `alcove demo code` and for tests. */
export function currentTotp(secret: string, now = Date.now()): string {
  return totp(secret, 'demo').generate({ timestamp: now });
}
