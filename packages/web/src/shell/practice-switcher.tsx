import { Button, Menu } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { z } from 'zod';
import { api, describeProblem, setCsrfToken } from '../api.ts';
import { roleLabel } from '../pages/people.tsx';
import { announceSessionChange, useSession } from '../session.tsx';

/** One of the account's practices, as the session lists them. */
export interface PracticeChoice {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
}

const switchedSchema = z.object({ csrfToken: z.string() });

/** The roles someone holds in a practice, as words: "Supervisor", "Practitioner and administrator". */
export function rolesInWords(roles: readonly string[]): string {
  const labels = roles.map(roleLabel);
  if (labels.length <= 1) return labels.join('');
  const words = labels.map((l, i) => (i === 0 ? l : l.toLowerCase()));
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/**
 * Picks (or switches to) one of the account's practices, without signing in again: the
 * server gives the session a new id and a new CSRF token. Every page then loads afresh,
 * so nothing of the other practice stays on the screen.
 */
export function useChoosePractice(): {
  choose: (practiceId: string) => Promise<void>;
  busy: boolean;
} {
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const choose = async (practiceId: string) => {
    setBusy(true);
    try {
      const result = await api('POST', '/auth/practice', switchedSchema, { body: { practiceId } });
      setCsrfToken(result.csrfToken);
      await refresh();
      announceSessionChange();
      await navigate('/', { replace: true });
    } finally {
      setBusy(false);
    }
  };
  return { choose, busy };
}

/** In the shell's header, for an account in more than one practice. */
export function PracticeSwitcher({
  currentId,
  practices,
}: {
  currentId: string;
  practices: readonly PracticeChoice[];
}) {
  const { choose, busy } = useChoosePractice();
  const [failed, setFailed] = useState<string | undefined>(undefined);
  if (practices.length < 2) return null;
  return (
    // Kept inside the header (its landmark), not in a portal at the end of the page.
    <Menu position="bottom-end" withinPortal={false} withInitialFocusPlaceholder={false}>
      <Menu.Target>
        <Button variant="default" size="xs" loading={busy} title={failed}>
          Switch practice
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {practices.map((p) => (
          <Menu.Item
            key={p.id}
            disabled={p.id === currentId}
            aria-current={p.id === currentId ? 'true' : undefined}
            onClick={() => {
              setFailed(undefined);
              choose(p.id).catch((e: unknown) => setFailed(describeProblem(e)));
            }}
          >
            {p.name} — {rolesInWords(p.roles)}
            {p.id === currentId ? ' (open now)' : ''}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
