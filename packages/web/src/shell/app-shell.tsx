import { AppShell, Badge, Burger, Button, Group, NavLink, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Navigate, Outlet, NavLink as RouterNavLink, useLocation } from 'react-router';
import { useSession } from '../session.tsx';
import { PracticeSwitcher } from './practice-switcher.tsx';
import { Loading } from './status.tsx';
import { TimeoutWarning } from './timeout-warning.tsx';

/** The pages that exist, and who sees them. Each feature adds its own entry and route. */
export const navigation: ReadonlyArray<{
  readonly path: string;
  readonly label: string;
  readonly roles?: readonly string[];
}> = [
  { path: '/', label: 'Overview', roles: ['practitioner', 'administrator', 'supervisor', 'executor'] },
  { path: '/portal', label: 'Your portal', roles: ['client', 'appropriate-adult'] },
  { path: '/clients', label: 'Clients', roles: ['practitioner', 'administrator'] },
  { path: '/obligations', label: 'Your obligations', roles: ['practitioner'] },
  { path: '/profile', label: 'Professional record', roles: ['practitioner'] },
  { path: '/releases', label: 'Requests for records', roles: ['practitioner'] },
  { path: '/supervision', label: 'Supervision', roles: ['supervisor'] },
  { path: '/outbox', label: 'Messages sent', roles: ['practitioner', 'administrator'] },
  { path: '/settings', label: 'Practice settings', roles: ['practitioner', 'administrator'] },
  { path: '/people', label: 'People', roles: ['administrator'] },
  { path: '/account', label: 'Your account' },
];

export function Shell() {
  const { session, signOut } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();

  if (session === undefined) return <Loading what="your session" />;
  if (session === null) return <Navigate to="/sign-in" replace />;
  if (session.stage !== 'active') return <Navigate to="/sign-in/code" replace />;
  // An account in several practices has chosen none yet: nothing of any practice is shown.
  if (session.practice === null) return <Navigate to="/choose-practice" replace />;
  // A client's home is their portal.
  if (
    location.pathname === '/' &&
    session.roles.length > 0 &&
    session.roles.every((r) => r === 'client' || r === 'appropriate-adult')
  ) {
    return <Navigate to="/portal" replace />;
  }
  const practice = session.practice;
  const visible = navigation.filter(
    (item) => item.roles === undefined || item.roles.some((r) => session.roles.includes(r)),
  );

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={1} size="h3" c="alcove.9">
              Alcove
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Group gap="xs" wrap="nowrap" visibleFrom="sm">
              {practice !== null && (
                <Text fw={600} truncate="end" data-testid="practice-name">
                  {practice.name}
                </Text>
              )}
              {practice?.demo === true && (
                <Badge color="grape" variant="light">
                  Demo
                </Badge>
              )}
            </Group>
            <PracticeSwitcher currentId={practice.id} practices={session.practices} />
            <Button variant="default" size="xs" onClick={() => signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="xs" aria-label="Main">
        {practice !== null && (
          <Text hiddenFrom="sm" fw={600} px="sm" pb="xs">
            {practice.name}
          </Text>
        )}
        {visible.map((item) => (
          <NavLink
            key={item.path}
            component={RouterNavLink}
            to={item.path}
            label={item.label}
            active={item.path === '/' ? location.pathname === '/' : location.pathname.startsWith(item.path)}
            onClick={close}
          />
        ))}
        <Text size="xs" c="dimmed" px="sm" mt="auto" pt="md">
          Signed in as {session.user.name}
        </Text>
      </AppShell.Navbar>

      <AppShell.Main>
        {/* A practice switch loads every page afresh: nothing of the other practice stays. */}
        <Outlet key={practice?.id} />
        <TimeoutWarning idleSeconds={session.idleTimeoutSeconds} expiresAt={session.expiresAt} />
      </AppShell.Main>
    </AppShell>
  );
}
