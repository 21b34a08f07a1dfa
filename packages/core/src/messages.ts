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
] as const;
export type MessagePurpose = (typeof messagePurposes)[number];

export const messagePurposeLabels: Record<MessagePurpose, string> = {
  'portal-invitation': 'Invitation to the client portal',
  'contract-to-sign': 'A contract is waiting to be signed',
  'appropriate-adult-invitation': 'Invitation to the appropriate adult',
};

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
