import type { ProblemDocument } from '@alcove/core';
import { Alert, Button, Group, Stack, Text, Textarea } from '@mantine/core';
import { useState } from 'react';

/**
 * A refusal by the Code, citing its clause in the Code's own words. A "should" offers the
 * way through: a reason, which is kept and audited (GT-5). A "must" offers none.
 */
export function RefusalAlert(props: {
  refusal: ProblemDocument;
  reasonLabel: string;
  confirmLabel: string;
  onOverride: (clause: string, reason: string) => void;
}) {
  const [reason, setReason] = useState('');
  const { refusal } = props;
  return (
    <Alert
      color={refusal.overridable === true ? 'caution' : 'red'}
      title={`Refused under ${refusal.clause ?? 'the Code'} (${refusal.duty ?? ''})`}
      role="alert"
    >
      <Text size="sm">{refusal.detail}</Text>
      <Text size="sm" fs="italic" mt="xs">
        “{refusal.clauseText}”
      </Text>
      {refusal.overridable === true && (
        <Stack gap="xs" mt="sm">
          <Textarea
            label={props.reasonLabel}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            minRows={2}
          />
          <Group>
            <Button
              color="caution.8"
              disabled={reason.trim() === ''}
              onClick={() => props.onOverride(refusal.clause ?? '', reason)}
            >
              {props.confirmLabel}
            </Button>
          </Group>
        </Stack>
      )}
    </Alert>
  );
}
