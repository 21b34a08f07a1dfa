import type { RouteObject } from 'react-router';
import { NotFoundPage } from './pages/not-found.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { Shell } from './shell/app-shell.tsx';

export const routes: RouteObject[] = [
  {
    element: <Shell />,
    children: [
      { path: '/', element: <OverviewPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
