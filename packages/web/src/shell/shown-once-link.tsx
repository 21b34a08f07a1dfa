import { formatDate } from '@alcove/core';
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
  onDone,
}: {
  link: string;
  expiresAt?: string | undefined;
  /** Whom the link is for, as the sentence names them ("them", "Client Hazel"). */
  who?: string;
  onDone?: () => void;
}) {
  const until = expiresAt === undefined ? '' : ` (until ${formatDate(expiresAt)})`;
  return (
    <Alert
      color="caution"
      variant="light"
      title="The invitation link, shown once"
      role="status"
      data-testid="shown-once-link"
    >
      <Stack gap="sm">
        <Text size="sm">
          E-mail is not being sent from this practice, so nothing went to {who}.{' '}
          <strong>
            Give this link to {who} in person. It works once, for 7 days{until}, and will not be shown again.
          </strong>{' '}
          Do not send it by a channel someone else could read.
        </Text>
        <TextInput
          label="Invitation link"
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
