import { INTEGRITY_FAILED_TEXT, type Unreadable } from '@alcove/core';
import { Anchor, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';

/**
 * In place of an item that failed its integrity check: the fixed words, never anything it
 * held, and where the practice is told what to do about it.
 */
export function IntegrityFailed({ inline = false }: { inline?: boolean }) {
  if (inline) {
    return (
      <Text span c="red.9" fw={600} data-testid="integrity-failed">
        {INTEGRITY_FAILED_TEXT}
      </Text>
    );
  }
  return (
    <Text size="sm" c="red.9" data-testid="integrity-failed">
      <Text span fw={600}>
        {INTEGRITY_FAILED_TEXT}.
      </Text>{' '}
      It is not shown. See{' '}
      <Anchor component={Link} to="/obligations" size="sm" c="red.9" underline="always">
        your obligations
      </Anchor>{' '}
      for what to do.
    </Text>
  );
}

/** A sealed value's place on a page: the value, or why it cannot be shown. */
export function Sealed({
  value,
  unreadable,
  shredded,
  children,
}: {
  value: string | null;
  unreadable: Unreadable | null | undefined;
  /** What to say when its key was destroyed. */
  shredded: string;
  children?: (value: string) => ReactNode;
}) {
  if (unreadable === 'tampered') return <IntegrityFailed />;
  if (value === null || unreadable === 'shredded') {
    return (
      <Text size="sm" c="dimmed" fs="italic">
        {shredded}
      </Text>
    );
  }
  return <>{children === undefined ? value : children(value)}</>;
}
