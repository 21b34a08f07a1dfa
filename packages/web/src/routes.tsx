import type { RouteObject } from 'react-router';
import { AccountPage } from './pages/account.tsx';
import { CasePage } from './pages/case.tsx';
import { ClientPage } from './pages/client.tsx';
import { ClientsPage } from './pages/clients.tsx';
import { CompliancePage } from './pages/compliance.tsx';
import { MfaPage } from './pages/mfa.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { ProfilePage } from './pages/profile.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { Shell } from './shell/app-shell.tsx';

export const routes: RouteObject[] = [
  { path: '/sign-in', element: <SignInPage /> },
  { path: '/sign-in/code', element: <MfaPage /> },
  {
    element: <Shell />,
    children: [
      { path: '/', element: <OverviewPage /> },
      { path: '/clients', element: <ClientsPage /> },
      { path: '/clients/:clientId', element: <ClientPage /> },
      { path: '/cases/:caseId', element: <CasePage /> },
      { path: '/account', element: <AccountPage /> },
      { path: '/obligations', element: <CompliancePage /> },
      { path: '/profile', element: <ProfilePage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
