import { AppShell, Badge, Burger, Group, NavLink, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Outlet, NavLink as RouterNavLink, useLocation } from 'react-router';
import { PracticeContext, practicesResponseSchema } from '../practice-context.ts';
import { useApi } from '../use-api.ts';
import { Failure, Loading } from './status.tsx';

/** The pages that exist. Each feature adds its own entry here and a route in routes.tsx. */
export const navigation: ReadonlyArray<{ readonly path: string; readonly label: string }> = [
  { path: '/', label: 'Overview' },
];

export function Shell() {
  const [opened, { toggle, close }] = useDisclosure();
  const practices = useApi('/practices', practicesResponseSchema);
  const location = useLocation();
  const practice = practices.state === 'ready' ? practices.data.practices[0] : undefined;

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
          <Group gap="xs" wrap="nowrap" visibleFrom="sm">
            {practice !== undefined && (
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
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="xs" aria-label="Main">
        {practice !== undefined && (
          <Text hiddenFrom="sm" fw={600} px="sm" pb="xs">
            {practice.name}
          </Text>
        )}
        {navigation.map((item) => (
          <NavLink
            key={item.path}
            component={RouterNavLink}
            to={item.path}
            label={item.label}
            active={location.pathname === item.path}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>

      <AppShell.Main>
        {practices.state === 'loading' && <Loading what="the practice" />}
        {practices.state === 'failed' && <Failure error={practices.error} />}
        {practices.state === 'ready' && (
          <PracticeContext value={practice}>
            <Outlet />
          </PracticeContext>
        )}
      </AppShell.Main>
    </AppShell>
  );
}
