import type { Kiosk } from '@alcove/core';
import { Navigate, Outlet, useLocation } from 'react-router';
import { useSession } from '../session.tsx';
import { Loading } from './status.tsx';

/** Where the signing screen of a kiosk lives. */
export function kioskPath(kiosk: Kiosk): string {
  return `/cases/${kiosk.caseId}/sign/${kiosk.clientId}`;
}

/**
 * Above every page: while the session is a signing kiosk, whatever address is loaded (Back,
 * a reload, one typed in) shows that signing screen and nothing else. No page mounts, so
 * none asks the server for anything; the server refuses such a session everything else too.
 */
export function KioskGuard() {
  const { session } = useSession();
  const location = useLocation();
  if (session === undefined) return <Loading what="your session" />;
  if (session !== null && session.kiosk !== null) {
    const path = kioskPath(session.kiosk);
    if (location.pathname !== path) return <Navigate to={path} replace />;
  }
  return <Outlet />;
}
