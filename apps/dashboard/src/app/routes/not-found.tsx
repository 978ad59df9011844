import { basePath } from '../../lib/base-path';
import { isRouteErrorResponse, useRouteError } from 'react-router';
import { ButtonLink } from '../../components/button';
import { EmptyState } from '../../components/states';
import { useDocumentTitle } from '../../lib/use-document-title';

export function NotFoundRoute() {
  useDocumentTitle('Not found');
  return (
    <div className="page">
      <EmptyState title="There is no page at this address">
        <ButtonLink to="/">Go to the overview</ButtonLink>
      </EmptyState>
    </div>
  );
}

/** Last resort for a rendering error: say so in words instead of a blank page. */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : error instanceof Error ? error.message : String(error);
  return (
    <main className="sign-in">
      <div className="sign-in-card" role="alert">
        <h1>Something went wrong</h1>
        <p>The dashboard hit an unexpected error. Reload the page; if it happens again, report this message:</p>
        <pre className="error-text">{message}</pre>
        <a className="btn btn-primary" href={basePath()}>
          Reload the dashboard
        </a>
      </div>
    </main>
  );
}
