import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import '@mantine/tiptap/styles.css';
import './notes.css';
import { type CSSVariablesResolver, createTheme, MantineProvider } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { routes } from './routes.tsx';
import { SessionProvider } from './session.tsx';

// A deep green whose shades meet WCAG AA contrast on white and on its own light tint
// (checked by axe in the browser tests).
const theme = createTheme({
  colors: {
    alcove: [
      '#e6f7f2',
      '#d0efe6',
      '#a3ddcc',
      '#72cab0',
      '#4aba98',
      '#30b089',
      '#1f9f7a',
      '#13896a',
      '#0b6e55',
      '#055644',
    ],
    // For "should" refusals a practitioner may override: amber, dark enough to read.
    caution: [
      '#fff8e6',
      '#ffefc2',
      '#ffe08a',
      '#ffd052',
      '#ffc21f',
      '#f5ae00',
      '#d99a00',
      '#b37f00',
      '#8c6300',
      '#6b4b00',
    ],
  },
  primaryColor: 'alcove',
  primaryShade: { light: 8, dark: 6 },
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
});

const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});

const router = createBrowserRouter(routes);
const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light" cssVariablesResolver={cssVariablesResolver}>
      <SessionProvider>
        <RouterProvider router={router} />
      </SessionProvider>
    </MantineProvider>
  </StrictMode>,
);
