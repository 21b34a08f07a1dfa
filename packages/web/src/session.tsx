import { type SessionInfo, sessionInfoSchema } from '@alcove/core';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { z } from 'zod';
import { ApiProblem, api, onKioskLocked, onSignedOut, setCsrfToken } from './api.ts';

interface SessionState {
  /** undefined while loading; null when nobody is signed in. */
  readonly session: SessionInfo | null | undefined;
  /** Why the last session ended, when the server ended it. */
  readonly endedBecause: string | undefined;
  refresh(): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/**
 * Other tabs of this browser share the session cookie: when one hands over the signing
 * screen, ends it or signs out, the others ask the server again at once, so none of them
 * goes on showing a record on a device handed to a client.
 */
const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel('alcove-session');

/** Tells this browser's other tabs to ask the server what the session is now (not this tab). */
export function announceSessionChange(): void {
  channel?.postMessage('changed');
}

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
    announceSessionChange();
  }, []);

  useEffect(() => {
    refresh().catch(() => setSession(null));
    const again = () => {
      refresh().catch(() => undefined);
    };
    channel?.addEventListener('message', again);
    const onVisible = () => {
      if (document.visibilityState === 'visible') again();
    };
    document.addEventListener('visibilitychange', onVisible);
    // A page the browser kept and shows again on Back (the back/forward cache) shows what it
    // showed then: hide it until the server says what this session may see now.
    const onPageShow = (event: PageTransitionEvent) => {
      if (!event.persisted) return;
      setSession(undefined);
      again();
    };
    window.addEventListener('pageshow', onPageShow);
    const stopKiosk = onKioskLocked(again);
    const stopSignedOut = onSignedOut((problem) => {
      setCsrfToken(undefined);
      setEndedBecause(
        problem.problem.code === 'session-expired'
          ? 'You were signed out after a period without activity.'
          : undefined,
      );
      setSession(null);
    });
    return () => {
      channel?.removeEventListener('message', again);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('pageshow', onPageShow);
      stopKiosk();
      stopSignedOut();
    };
  }, [refresh]);

  return <SessionContext value={{ session, endedBecause, refresh, signOut }}>{children}</SessionContext>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (state === undefined) throw new Error('useSession outside SessionProvider');
  return state;
}
