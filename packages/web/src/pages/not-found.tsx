import { Alert, Anchor, Stack, Title } from '@mantine/core';
import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <Stack maw={640}>
      <Title order={2}>Page not found</Title>
      <Alert color="gray">
        There is no page at this address.{' '}
        <Anchor component={Link} to="/">
          Back to the overview
        </Anchor>
      </Alert>
    </Stack>
  );
}
