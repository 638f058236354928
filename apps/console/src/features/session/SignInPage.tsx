import { Button, Form, InlineNotification, PasswordInput, Stack, TextInput } from '@carbon/react';
import { useId, useRef, useState } from 'react';
import type { ApiError } from '../../api/client';
import { useSignIn } from '../../api/session';
import { BarePage } from '../../app/BarePage';
import { useSecondsLeft } from '../../lib/use-seconds-left';
import { pluralize } from '../../lib/format';
import { usePageTitle } from '../../lib/page-title';

interface SignInPageProps {
  /** A session this tab had has ended (expired, or signed out elsewhere). */
  sessionEnded: boolean;
}

function retryAfterSeconds(error: ApiError): number {
  const value = error.details?.retryAfterSeconds;
  return typeof value === 'number' && value > 0 ? value : 60;
}

/** "Try again in 42 seconds", or in minutes once that is the better unit. */
function waitText(seconds: number): string {
  if (seconds < 90) return pluralize(seconds, 'second');
  return `${Math.ceil(seconds / 60)} minutes`;
}

/**
 * Shown in place of any page while nobody is signed in: the address stays as it was, so
 * signing in continues exactly where the person was going or where their session ended.
 */
export function SignInPage({ sessionEnded }: SignInPageProps) {
  usePageTitle('Sign in');
  const signIn = useSignIn();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [submitted, setSubmitted] = useState(false);
  const secondsLeft = useSecondsLeft(retryAt);
  const passwordRef = useRef<HTMLInputElement>(null);
  const errorId = useId();
  const error = signIn.error;
  const throttled = error?.code === 'TOO_MANY_ATTEMPTS';
  const wrong = error?.code === 'INVALID_CREDENTIALS';

  const missingUsername = submitted && username.trim() === '';
  const missingPassword = submitted && password === '';

  const submit = () => {
    if (signIn.isPending || secondsLeft > 0) return;
    setSubmitted(true);
    if (username.trim() === '' || password === '') {
      document
        .getElementById(username.trim() === '' ? 'sign-in-username' : 'sign-in-password')
        ?.focus();
      return;
    }
    signIn.mutate(
      { username: username.trim(), password },
      {
        onError: (failed) => {
          setPassword('');
          setSubmitted(false);
          if (failed.code === 'TOO_MANY_ATTEMPTS') {
            setRetryAt(Date.now() + retryAfterSeconds(failed) * 1000);
          }
          passwordRef.current?.focus();
        },
      },
    );
  };

  return (
    <BarePage>
      <h1 className="berth-bare__title">Sign in to Berth</h1>
      {sessionEnded && !error ? (
        <InlineNotification
          kind="info"
          lowContrast
          hideCloseButton
          title="Your session has ended."
          subtitle="Sign in again to continue where you were."
        />
      ) : null}
      <Form
        aria-describedby={error ? errorId : undefined}
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <Stack gap={6}>
          <TextInput
            id="sign-in-username"
            labelText="Username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            // The first thing on a page whose only purpose is this form.
            autoFocus
            value={username}
            invalid={wrong || missingUsername}
            // Carbon names the message only as aria-errormessage, which axe accepts only when the
            // message is also a description (or a live region).
            aria-describedby={wrong || missingUsername ? 'sign-in-username-error-msg' : undefined}
            // Carbon points aria-errormessage at this text: an invalid field needs one, or the
            // reference dangles (axe: aria-valid-attr-value, critical).
            invalidText={
              missingUsername ? 'Enter your username.' : wrong ? 'Check your username.' : undefined
            }
            onChange={(event) => setUsername(event.target.value)}
          />
          <PasswordInput
            id="sign-in-password"
            ref={passwordRef}
            labelText="Password"
            autoComplete="current-password"
            value={password}
            invalid={wrong || missingPassword}
            aria-describedby={wrong || missingPassword ? 'sign-in-password-error-msg' : undefined}
            invalidText={
              missingPassword
                ? 'Enter your password.'
                : wrong
                  ? 'Enter your password again.'
                  : undefined
            }
            onChange={(event) => setPassword(event.target.value)}
          />
          {error ? (
            <div id={errorId}>
              <InlineNotification
                kind="error"
                lowContrast
                hideCloseButton
                role="alert"
                title={
                  wrong
                    ? 'Wrong username or password.'
                    : throttled
                      ? 'Too many sign-in attempts.'
                      : 'Could not sign in.'
                }
                subtitle={
                  wrong
                    ? 'Check both and try again. Your administrator can reset a forgotten password.'
                    : throttled
                      ? secondsLeft > 0
                        ? // Said once, as the server said it; the button counts down, so
                          // the alert is not read out again every second.
                          `Try again in ${waitText(retryAfterSeconds(error))}.`
                        : 'You can try again now.'
                      : error.message
                }
              />
            </div>
          ) : null}
          <Button type="submit" disabled={signIn.isPending || secondsLeft > 0}>
            {signIn.isPending
              ? 'Signing in…'
              : secondsLeft > 0
                ? `Sign in (in ${waitText(secondsLeft)})`
                : 'Sign in'}
          </Button>
        </Stack>
      </Form>
    </BarePage>
  );
}
