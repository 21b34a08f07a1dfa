import { type SessionInfo, sessionInfoSchema } from '@alcove/core';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { z } from 'zod';
import { ApiProblem, api, onSignedOut, setCsrfToken } from './api.ts';

interface SessionState {
  /** undefined while loading; null when nobody is signed in. */
  readonly session: SessionInfo | null | undefined;
  /** Why the last session ended, when the server ended it. */
  readonly endedBecause: string | undefined;
  refresh(): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [endedBecause, setEndedBecause] = useState<string | undefined>(undefined);

  const refresh = useCallback(async () => {
    try {
      const info = await api('GET', '/auth/session', sessionInfoSchema);
      setCsrfToken(info.csrfToken);
      setSession(info);
    } catch (error) {
      if (error instanceof ApiProblem && error.status === 401) {
        setCsrfToken(undefined);
        setSession(null);
        return;
      }
      throw error;
    }
  }, []);

  const signOut = useCallback(async () => {
    await api('POST', '/auth/sign-out', z.null(), { body: {} }).catch(() => undefined);
    setCsrfToken(undefined);
    setEndedBecause(undefined);
    setSession(null);
  }, []);

  useEffect(() => {
    refresh().catch(() => setSession(null));
    return onSignedOut((problem) => {
      setCsrfToken(undefined);
      setEndedBecause(
        problem.problem.code === 'session-expired'
          ? 'You were signed out after a period without activity.'
          : undefined,
      );
      setSession(null);
    });
  }, [refresh]);

  return <SessionContext value={{ session, endedBecause, refresh, signOut }}>{children}</SessionContext>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (state === undefined) throw new Error('useSession outside SessionProvider');
  return state;
}
