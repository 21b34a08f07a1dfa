import type { RouteObject } from 'react-router';
import { AccountPage } from './pages/account.tsx';
import { CasePage } from './pages/case.tsx';
import { ChoosePracticePage } from './pages/choose-practice.tsx';
import { ClientPage } from './pages/client.tsx';
import { ClientsPage } from './pages/clients.tsx';
import { CompliancePage } from './pages/compliance.tsx';
import { JoinPage } from './pages/join.tsx';
import { MfaPage } from './pages/mfa.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { OutboxPage } from './pages/outbox.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { PeoplePage } from './pages/people.tsx';
import { PortalPage } from './pages/portal.tsx';
import { PortalJoinPage } from './pages/portal-join.tsx';
import { ProfilePage } from './pages/profile.tsx';
import { ReleasesPage } from './pages/releases.tsx';
import { ForgotPasswordPage, ResetPasswordPage } from './pages/reset-password.tsx';
import { SessionsPage } from './pages/sessions.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { SigningPage } from './pages/signing.tsx';
import { SupervisionPage } from './pages/supervision.tsx';
import { Shell } from './shell/app-shell.tsx';
import { KioskGuard } from './shell/kiosk-guard.tsx';

export const routes: RouteObject[] = [
  {
    // While the session is a signing kiosk, every address shows its signing screen only.
    element: <KioskGuard />,
    children: [
      { path: '/sign-in', element: <SignInPage /> },
      { path: '/sign-in/code', element: <MfaPage /> },
      // A forgotten password (issue 16, V6.4.3): ask for a link; the link's page; then the code.
      { path: '/forgot-password', element: <ForgotPasswordPage /> },
      { path: '/reset-password', element: <ResetPasswordPage /> },
      { path: '/portal/join', element: <PortalJoinPage /> },
      // A staff invitation (issue 16); then, for an account in several practices, the choice of one.
      { path: '/join', element: <JoinPage /> },
      { path: '/choose-practice', element: <ChoosePracticePage /> },
      // The screen handed to a client to sign in person: no navigation, nothing else of the record.
      { path: '/cases/:caseId/sign/:clientId', element: <SigningPage /> },
      {
        element: <Shell />,
        children: [
          { path: '/', element: <OverviewPage /> },
          { path: '/clients', element: <ClientsPage /> },
          { path: '/clients/:clientId', element: <ClientPage /> },
          { path: '/cases/:caseId', element: <CasePage /> },
          { path: '/account', element: <AccountPage /> },
          { path: '/account/sessions', element: <SessionsPage /> },
          { path: '/obligations', element: <CompliancePage /> },
          { path: '/profile', element: <ProfilePage /> },
          { path: '/portal', element: <PortalPage /> },
          { path: '/outbox', element: <OutboxPage /> },
          { path: '/settings', element: <SettingsPage /> },
          { path: '/people', element: <PeoplePage /> },
          { path: '/supervision', element: <SupervisionPage /> },
          { path: '/releases', element: <ReleasesPage /> },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
];
