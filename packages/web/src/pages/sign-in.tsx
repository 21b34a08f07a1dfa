import { signInResultSchema } from '@alcove/core';
import {
  Alert,
  Anchor,
  Button,
  Card,
  Center,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { ApiProblem, api, setCsrfToken } from '../api.ts';
import { useSession } from '../session.tsx';

export function SignInPage() {
  const { session, endedBecause, refresh } = useSession();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  if (session?.stage === 'active') return <Navigate to="/" replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const result = await api('POST', '/auth/sign-in', signInResultSchema, { body: { email, password } });
      setCsrfToken(result.csrfToken);
      await refresh();
      await navigate('/sign-in/code');
    } catch (problem) {
      setError(
        problem instanceof ApiProblem
          ? (problem.problem.detail ?? problem.problem.title)
          : 'Alcove could not be reached.',
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Card withBorder padding="xl" w={420} maw="100%" component="main">
        <form onSubmit={submit} noValidate>
          <Stack>
            <Title order={1} size="h2" c="alcove.9">
              Alcove
            </Title>
            <Text c="dimmed">Sign in to your practice records.</Text>
            {endedBecause !== undefined && <Alert color="yellow">{endedBecause}</Alert>}
            {error !== undefined && (
              <Alert color="red" role="alert" title="Not signed in">
                {error}
              </Alert>
            )}
            <TextInput
              label="E-mail address"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy}>
              Continue
            </Button>
            <Anchor component={Link} to="/forgot-password" size="sm">
              Forgot your password?
            </Anchor>
          </Stack>
        </form>
      </Card>
    </Center>
  );
}
