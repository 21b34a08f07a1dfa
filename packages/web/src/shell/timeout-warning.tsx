import { Button, Group, Modal, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { lastApiActivity } from '../api.ts';
import { useSession } from '../session.tsx';

/** Warn this long before the session ends. */
const WARN_SECONDS = 120;

/**
 * The server signs a session out after a period without requests, and at its absolute
 * lifetime. Two minutes before either, this asks whether to stay signed in.
 */
export function TimeoutWarning({ idleSeconds, expiresAt }: { idleSeconds: number; expiresAt: string }) {
  const { refresh, signOut } = useSession();
  const [secondsLeft, setSecondsLeft] = useState<number | undefined>(undefined);
  const [absolute, setAbsolute] = useState(false);

  useEffect(() => {
    const tick = () => {
      const now = Date.now();
      const idleLeft = Math.floor((lastApiActivity() + idleSeconds * 1000 - now) / 1000);
      const absoluteLeft = Math.floor((Date.parse(expiresAt) - now) / 1000);
      const left = Math.min(idleLeft, absoluteLeft);
      setAbsolute(absoluteLeft <= idleLeft);
      if (left <= 0) {
        signOut().catch(() => undefined);
        return;
      }
      setSecondsLeft(left <= WARN_SECONDS ? left : undefined);
    };
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [idleSeconds, expiresAt, signOut]);

  const minutes = secondsLeft === undefined ? 0 : Math.floor(secondsLeft / 60);
  const seconds = secondsLeft === undefined ? 0 : secondsLeft % 60;
  return (
    <Modal
      opened={secondsLeft !== undefined}
      onClose={() => refresh()}
      title="Are you still there?"
      centered
      withCloseButton={false}
    >
      <Text mb="md" role="timer" aria-live="polite">
        {absolute
          ? `For safety, every session ends after a working day. You will be signed out in ${minutes}:${String(seconds).padStart(2, '0')}; save what you are doing.`
          : `You will be signed out in ${minutes}:${String(seconds).padStart(2, '0')} to keep these records safe.`}
      </Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={() => signOut()}>
          Sign out now
        </Button>
        {!absolute && <Button onClick={() => refresh()}>Stay signed in</Button>}
      </Group>
    </Modal>
  );
}
