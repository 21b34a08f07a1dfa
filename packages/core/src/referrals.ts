import { formatDate } from './dates.ts';

/**
 * A referral letter (GT-21c), generated from the record: the client's name and date of
 * birth, the reason, and what their own assessment says of their concerns and other
 * treatments. Nothing from another client of the case is ever in it.
 */
export function referralLetter(input: {
  readonly practiceName: string;
  readonly practitionerName: string;
  readonly to: string;
  readonly clientName: string;
  readonly dateOfBirth?: string | undefined;
  readonly reason: string;
  readonly presenting?: string | undefined;
  readonly otherTreatments?: string | undefined;
  readonly consentGivenOn: string;
  readonly today: string;
}): string {
  const day = (d: string) => formatDate(`${d}T12:00:00Z`);
  const born = input.dateOfBirth === undefined ? '' : `, born ${day(input.dateOfBirth)}`;
  return [
    `${input.practiceName}\n${day(input.today)}`,
    `Dear ${input.to},`,
    `I am writing to refer ${input.clientName}${born}, with their consent given on ${day(input.consentGivenOn)}.`,
    `Reason for referral\n${input.reason}`,
    ...(input.presenting === undefined ? [] : [`Presenting concerns\n${input.presenting}`]),
    ...(input.otherTreatments === undefined
      ? []
      : [`Other therapies, treatments and medication\n${input.otherTreatments}`]),
    'Please contact me if I can help further.',
    `Yours sincerely,\n${input.practitionerName}`,
  ].join('\n\n');
}
