/** Loading, empty and error states, the same everywhere. */
import type { ReactNode } from 'react';
import { describeError } from '../lib/errors';
import { Button } from './button';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children ? <div className="state-body">{children}</div> : null}
    </div>
  );
}

export function ErrorState({ error, title = 'Could not load this', onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const described = describeError(error);
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{title}</p>
      <p>{described.summary}</p>
      {described.detail ? <p className="muted">Server said: {described.detail}</p> : null}
      {described.reference ? <p className="muted mono small">{described.reference}</p> : null}
      {onRetry ? (
        <Button size="sm" onClick={onRetry}>
          Try again
        </Button>
      ) : null}
    </div>
  );
}

/** An error told in words inside a form or dialog. */
export function ErrorMessage({ error }: { error: unknown }) {
  const described = describeError(error);
  return (
    <div className="callout callout-danger" role="alert">
      <p>{described.summary}</p>
      {described.detail ? <p className="muted">Server said: {described.detail}</p> : null}
      {described.reference ? <p className="muted mono small">{described.reference}</p> : null}
    </div>
  );
}
