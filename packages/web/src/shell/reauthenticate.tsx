import { reauthenticatedSchema } from '@alcove/core';
import { Alert, Button, Group, Modal, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, type ReactNode, useCallback, useRef, useState } from 'react';
import { ApiProblem, api, describeProblem, setCsrfToken } from '../api.ts';
import { announceSessionChange } from '../session.tsx';

/**
 * Some steps (making an API token, new recovery codes) need the person to have proved who
 * they are in the last five minutes: the server answers 403 'reauthentication-required'.
 * `run` tries the step; on that answer it asks for the password and a current authenticator
 * code in a dialog, confirms them with the server, and tries the step once more.
 */
export function useReauthentication(): {
  run: <T>(step: () => Promise<T>) => Promise<T | undefined>;
  dialog: ReactNode;
} {
  const [open, setOpen] = useState(false);
  const settle = useRef<((confirmed: boolean) => void) | undefined>(undefined);

  const ask = useCallback(
    () =>
      new Promise<boolean>((resolve) => {
        settle.current = resolve;
        setOpen(true);
      }),
    [],
  );
  const finish = useCallback((confirmed: boolean) => {
    setOpen(false);
    settle.current?.(confirmed);
    settle.current = undefined;
  }, []);

  const run = useCallback(
    async <T,>(step: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof ApiProblem && error.problem.code === 'reauthentication-required')) throw error;
      }
      // Not confirmed: the person closed the dialog, and nothing was done.
      if (!(await ask())) return undefined;
      return step();
    },
    [ask],
  );

  return { run, dialog: <ReauthenticateDialog opened={open} onDone={finish} /> };
}

function ReauthenticateDialog({ opened, onDone }: { opened: boolean; onDone: (confirmed: boolean) => void }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const close = (confirmed: boolean) => {
    setPassword('');
    setCode('');
    setError(undefined);
    onDone(confirmed);
  };
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await api('POST', '/account/reauthenticate', reauthenticatedSchema, {
        body: { password, code },
      });
      // The session moved to a new id: its new CSRF token from now on, in every tab.
      setCsrfToken(result.csrfToken);
      announceSessionChange();
      close(true);
    } catch (e) {
      setCode('');
      setError(describeProblem(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal.Root opened={opened} onClose={() => close(false)} centered>
      <Modal.Overlay />
      <Modal.Content>
        {/* A div, not a header: the page has one banner landmark, the app's own. */}
        <Modal.Header component="div">
          <Modal.Title fw={700}>Confirm it is you</Modal.Title>
          <Modal.CloseButton aria-label="Close" />
        </Modal.Header>
        <Modal.Body>
          <form onSubmit={submit} noValidate>
            <Stack>
              <Text size="sm">
                Enter your password and the current code from your authenticator app. For the next 5 minutes
                you will not be asked again.
              </Text>
              {error !== undefined && (
                <Alert color="red" role="alert">
                  {error}
                </Alert>
              )}
              <PasswordInput
                label="Password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                data-autofocus
              />
              <TextInput
                label="Authenticator code"
                description="Six digits"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                value={code}
                onChange={(e) => setCode(e.currentTarget.value.replace(/\D/g, ''))}
              />
              <Group justify="flex-end">
                <Button variant="default" onClick={() => close(false)}>
                  Cancel
                </Button>
                <Button type="submit" loading={busy}>
                  Confirm
                </Button>
              </Group>
            </Stack>
          </form>
        </Modal.Body>
      </Modal.Content>
    </Modal.Root>
  );
}
