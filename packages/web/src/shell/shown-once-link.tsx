import { formatDate, formatDateTime } from '@alcove/core';
import { Alert, Button, CopyButton, Group, Stack, Text, TextInput } from '@mantine/core';

/**
 * An invitation link the practice's e-mail did not send (mail kept here, or off): shown to
 * the person who made it, this once. The server keeps only a hash of its token, so a reload
 * cannot show it again; the inviter hands it over in person.
 */
export function ShownOnceLink({
  link,
  expiresAt,
  who = 'them',
  kind = 'invitation',
  onDone,
}: {
  link: string;
  expiresAt?: string | undefined;
  /** Whom the link is for, as the sentence names them ("them", "Client Hazel"). */
  who?: string;
  /** What the link is: an invitation (7 days), or a password reset (an hour; issue 16, V6.4.3). */
  kind?: 'invitation' | 'password-reset';
  onDone?: () => void;
}) {
  const words =
    kind === 'invitation'
      ? { title: 'The invitation link, shown once', label: 'Invitation link', lasts: 'for 7 days' }
      : { title: 'The password reset link, shown once', label: 'Password reset link', lasts: 'for an hour' };
  const until =
    expiresAt === undefined
      ? ''
      : ` (until ${kind === 'invitation' ? formatDate(expiresAt) : `${formatDateTime(expiresAt)}, UK time`})`;
  return (
    <Alert color="caution" variant="light" title={words.title} role="status" data-testid="shown-once-link">
      <Stack gap="sm">
        <Text size="sm">
          E-mail is not being sent from this practice, so nothing went to {who}.{' '}
          <strong>
            Give this link to {who} in person. It works once, {words.lasts}
            {until}, and will not be shown again.
          </strong>{' '}
          Do not send it by a channel someone else could read.
        </Text>
        <TextInput
          label={words.label}
          value={link}
          readOnly
          onFocus={(event) => event.currentTarget.select()}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        />
        <Group>
          <CopyButton value={link}>
            {({ copied, copy }) => (
              <Button color={copied ? 'alcove' : 'caution.9'} onClick={copy}>
                {copied ? 'Copied' : 'Copy the link'}
              </Button>
            )}
          </CopyButton>
          {onDone !== undefined && (
            <Button variant="default" onClick={onDone}>
              I have handed it over
            </Button>
          )}
        </Group>
      </Stack>
    </Alert>
  );
}
