import { useId, useState, type FormEvent } from 'react';
import { Button } from '../../../components/button';
import { session, type SignOutReason } from '../../../lib/session';

const REASONS: Record<SignOutReason, { text: string; alert: boolean }> = {
  rejected: { text: 'That token was not accepted. Check it and try again.', alert: true },
  expired: { text: 'Your session ended: the server no longer accepts this token. Sign in again.', alert: true },
  'signed-out': { text: 'You signed out.', alert: false },
};

export function SignInPage({ reason }: { reason: SignOutReason | null }) {
  const [token, setToken] = useState('');
  const inputId = useId();
  const helpId = useId();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) session.signIn(token);
  };
  const message = reason ? REASONS[reason] : null;
  return (
    <main className="sign-in">
      <form className="sign-in-card" onSubmit={onSubmit} aria-labelledby={`${inputId}-title`}>
        <div className="brand brand-lg">
          <span className="brand-mark" aria-hidden="true" />
          <span>Nest Saga</span>
        </div>
        <h1 id={`${inputId}-title`}>Sign in to the operator dashboard</h1>
        {message ? (
          <p className={message.alert ? 'callout callout-danger' : 'callout'} role={message.alert ? 'alert' : 'status'}>
            {message.text}
          </p>
        ) : null}
        <label htmlFor={inputId}>Admin token</label>
        <input
          id={inputId}
          type="password"
          autoComplete="off"
          spellCheck={false}
          autoFocus
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-describedby={helpId}
        />
        <p id={helpId} className="help">
          Use a token from <code>SAGA_ADMIN_TOKENS</code>, or open the address the api printed when it started
          (<code>http://localhost:3000/?token=…</code>). The token stays in this tab only.
        </p>
        <Button type="submit" variant="primary" disabled={!token.trim()}>
          Sign in
        </Button>
      </form>
    </main>
  );
}
