import { type ApiTokenScope, type Day, formatDateTime, formatDay } from '@alcove/core';
import { Button, Table, VisuallyHidden } from '@mantine/core';

export const scopeLabels: Record<ApiTokenScope, string> = {
  read: 'Read only',
  'read-write': 'Read and change',
};

/** One API token as both the account page and the sessions page list it. */
export interface TokenRow {
  readonly id: string;
  readonly name: string;
  /** Null for a token made before tokens had a scope (it may read and change). */
  readonly scope: ApiTokenScope | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  /** The last day it works (Europe/London); null for one with no expiry. */
  readonly lastDay: Day | null;
}

/** The signed-in person's API tokens, each with a button that ends it. */
export function TokenTable(props: {
  tokens: readonly TokenRow[];
  /** The button's words ("Revoke", "End") and its accessible name for a token. */
  action: { label: string; ariaLabel: (token: TokenRow) => string };
  onEnd: (token: TokenRow) => void;
  testId?: string;
}) {
  return (
    <Table withTableBorder data-testid={props.testId}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Name</Table.Th>
          <Table.Th>Access</Table.Th>
          <Table.Th>Created</Table.Th>
          <Table.Th>Last used</Table.Th>
          <Table.Th>Last day</Table.Th>
          <Table.Th>
            <VisuallyHidden>Actions</VisuallyHidden>
          </Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {props.tokens.map((token) => (
          <Table.Tr key={token.id}>
            <Table.Td>{token.name}</Table.Td>
            <Table.Td>{token.scope === null ? scopeLabels['read-write'] : scopeLabels[token.scope]}</Table.Td>
            <Table.Td>{formatDateTime(token.createdAt)}</Table.Td>
            <Table.Td>{token.lastUsedAt === null ? 'Never' : formatDateTime(token.lastUsedAt)}</Table.Td>
            <Table.Td>{token.lastDay === null ? '—' : formatDay(token.lastDay)}</Table.Td>
            <Table.Td>
              <Button
                size="xs"
                variant="subtle"
                color="red"
                aria-label={props.action.ariaLabel(token)}
                onClick={() => props.onEnd(token)}
              >
                {props.action.label}
              </Button>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
