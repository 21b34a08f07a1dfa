/**
 * Everything Alcove e-mails, as text. A message names only its recipient and the practice:
 * never anything clinical, never another client (not even a partner in the same case), and
 * never what the document is about. The sign-in link carries a one-time token in the
 * fragment, which browsers do not send to servers or write to logs.
 */
export const messagePurposes = [
  'portal-invitation',
  'contract-to-sign',
  'appropriate-adult-invitation',
  'audit-digest',
  'second-factor-locked',
  'staff-invitation',
  'password-reset',
] as const;
export type MessagePurpose = (typeof messagePurposes)[number];

export const messagePurposeLabels: Record<MessagePurpose, string> = {
  'portal-invitation': 'Invitation to the client portal',
  'contract-to-sign': 'A contract is waiting to be signed',
  'appropriate-adult-invitation': 'Invitation to the appropriate adult',
  'audit-digest': 'The audit log’s daily fingerprint',
  'second-factor-locked': 'The second factor was locked after wrong codes',
  'staff-invitation': 'Invitation to join the practice',
  'password-reset': 'A link to reset a forgotten password',
};

/**
 * Whom a message is for: a client (sealed under the client's key, after the contact rules),
 * a staff member (their account's address), or the practice itself (its first
 * administrator's address). Staff and practice messages are sealed under the practice's
 * key and are not subject to the contact rules, which protect clients. An invitee is someone
 * invited to join the practice's staff, who has no account here yet (issue 16).
 */
export const recipientKinds = ['client', 'staff', 'practice', 'invitee'] as const;
export type RecipientKind = (typeof recipientKinds)[number];

export interface MessageText {
  readonly subject: string;
  readonly text: string;
}

const signOff = (practice: string) =>
  `\n\nThis message was sent by ${practice} through Alcove. If you were not expecting it, you can ignore it.`;

export function portalInvitationMessage(input: {
  recipientName: string;
  practiceName: string;
  link: string;
  expiresOn: string;
}): MessageText {
  return {
    subject: `Your client portal at ${input.practiceName}`,
    text:
      `Dear ${input.recipientName},\n\n` +
      'You are invited to set up your own client portal, where you can read and sign documents and ' +
      'give or withdraw your consents.\n\n' +
      `Open this link to choose a password (it works once, until ${input.expiresOn}):\n${input.link}` +
      signOff(input.practiceName),
  };
}

export function contractToSignMessage(input: {
  recipientName: string;
  practiceName: string;
  link: string;
}): MessageText {
  return {
    subject: `A document to sign at ${input.practiceName}`,
    text:
      `Dear ${input.recipientName},\n\n` +
      'A document is waiting for you in your client portal. Please sign in to read it and, if you ' +
      `agree, sign it:\n${input.link}` +
      signOff(input.practiceName),
  };
}

/** A hash as people compare it by eye: its first 32 hex digits in groups of four, then an ellipsis. */
export function fingerprintOf(hash: string): string {
  return `${(hash.slice(0, 32).match(/.{1,4}/g) ?? []).join(' ')} …`;
}

/**
 * The audit log's daily digest (issue 15): the newest signed checkpoint's event number and
 * the start of its hash, so that a copy of the log's state lives outside the machine. Event
 * numbers and hashes only: nothing of any record.
 */
export function auditDigestMessage(input: {
  recipientName: string;
  practiceName: string;
  /** The London day it is for, already written out ("1 Dec 2026"). */
  day: string;
  seq: number;
  hash: string;
}): MessageText {
  const line = `Alcove’s audit log on ${input.day}: event ${input.seq.toLocaleString('en-GB')}, fingerprint ${fingerprintOf(input.hash)}`;
  return {
    subject: `Alcove’s audit log at ${input.practiceName} on ${input.day}`,
    text:
      `Dear ${input.recipientName},\n\n${line}\n\n` +
      'Please keep this e-mail. It is a copy of the state of the audit log kept away from the computer ' +
      'Alcove runs on. Should the log ever be cut short or put back to an older copy, the event and ' +
      'fingerprint above will no longer match it (alcove audit verify compares the log with what was witnessed).' +
      `\n\nThis message was sent by Alcove for ${input.practiceName}, because the daily audit digest is turned on in the practice’s settings.`,
  };
}

/**
 * To an account holder whose second factor was locked after wrong codes (issue 16). Only
 * someone who had the password got that far, so it says what to do about that. It carries
 * no code, no link, and nothing of whoever typed the codes.
 */
export function secondFactorLockedMessage(input: {
  recipientName: string;
  practiceName: string;
  failures: number;
  /** Until when, already written out in UK time ("1 Dec 2026, 14:05"). */
  until: string;
}): MessageText {
  return {
    subject: 'Your Alcove sign-in was locked after wrong codes',
    text:
      `Dear ${input.recipientName},\n\n` +
      `Someone gave the right password for your Alcove account and then ${input.failures} wrong codes ` +
      'for its second factor (your authenticator app or recovery codes). To protect your account, ' +
      `Alcove refuses every code, even a right one, until ${input.until} (UK time); each further lock lasts longer.\n\n` +
      'If it was you, wait until then and use the newest code from your authenticator app.\n\n' +
      'If it was not you, someone knows your password. Once you can sign in, change your password ' +
      '(Account, then Password) and tell your practice’s administrator. Alcove will never ask you for ' +
      'a code by e-mail or telephone.' +
      `\n\nThis message was sent by Alcove for ${input.practiceName}, to the address of your account.`,
  };
}

/**
 * An invitation to join a practice's staff (issue 16). It names the practice and the roles,
 * never a client; the link carries the one-time token in its fragment.
 */
export function staffInvitationMessage(input: {
  recipientName: string;
  practiceName: string;
  inviterName: string;
  roles: readonly string[];
  link: string;
  expiresOn: string;
}): MessageText {
  return {
    subject: `You are invited to join ${input.practiceName} on Alcove`,
    text:
      `Dear ${input.recipientName},\n\n` +
      `${input.inviterName} invites you to join ${input.practiceName} on Alcove, as ${input.roles.join(' and ')}.\n\n` +
      `Open this link to set your password and your second factor (it works once, until ${input.expiresOn}):\n${input.link}\n\n` +
      'If you have an Alcove account already (with another practice), you sign in to it with your own password there.' +
      signOff(input.practiceName),
  };
}

/**
 * A link to set a new password (issue 16, V6.4.3), to the address of the account. It names
 * nothing else; the link carries the one-time token in its fragment. The second factor is
 * still asked after the new password, and the message says so.
 */
export function passwordResetMessage(input: {
  recipientName: string;
  practiceName: string;
  link: string;
  /** Until when, already written out in UK time ("1 Dec 2026, 14:05"). */
  until: string;
}): MessageText {
  return {
    subject: 'Reset your Alcove password',
    text:
      `Dear ${input.recipientName},\n\n` +
      'Someone asked to reset the password of your Alcove account. If it was you, open this link to ' +
      `choose a new password (it works once, until ${input.until} UK time):\n${input.link}\n\n` +
      'You will still need the code from your authenticator app to sign in. Every session and API token ' +
      'of your account ends when the new password is set.\n\n' +
      'If it was not you, ignore this message: your password stays as it is.' +
      `\n\nThis message was sent by Alcove for ${input.practiceName}, to the address of your account.`,
  };
}
