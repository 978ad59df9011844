/**
 * Shows the sign-in screen until the API accepts the token, then provides the role to the app.
 * The role comes from GET /api/whoami, never from the token itself.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';
import { Button } from '../../../components/button';
import { ErrorState, Loading } from '../../../components/states';
import { isApiError } from '../../../lib/api-client';
import { session } from '../../../lib/session';
import { useWhoAmI } from '../api/get-whoami';
import { RoleContext, useSession } from '../session-context';
import { SignInPage } from './sign-in-page';

export function AuthGate({ children }: { children: ReactNode }) {
  const { token, reason } = useSession();
  const queryClient = useQueryClient();
  const whoami = useWhoAmI(Boolean(token));
  const rejected = isApiError(whoami.error) && whoami.error.status === 401;

  useEffect(() => {
    // Nothing read with one token may be shown to the next person who signs in.
    if (!token) queryClient.clear();
  }, [token, queryClient]);

  useEffect(() => {
    if (token && rejected) session.signOut('rejected');
  }, [token, rejected]);

  if (!token || rejected) return <SignInPage reason={token ? 'rejected' : reason} />;
  if (whoami.isPending) {
    return (
      <main className="sign-in">
        <Loading label="Checking your token…" />
      </main>
    );
  }
  if (whoami.isError) {
    return (
      <main className="sign-in">
        <div className="sign-in-card">
          <ErrorState error={whoami.error} title="Could not check your token" onRetry={() => void whoami.refetch()} />
          <Button variant="ghost" onClick={() => session.signOut()}>
            Use another token
          </Button>
        </div>
      </main>
    );
  }
  return <RoleContext.Provider value={whoami.data.role}>{children}</RoleContext.Provider>;
}
