/** Render helpers: the real app (routes, auth gate, query client) on a memory router and the fake API. */
import type { AdminRole } from '@nest-saga/contracts';
import { QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderOptions } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement, ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { App } from '../app/app';
import { createTestRouter } from '../app/router';
import { RoleContext } from '../features/auth/session-context';
import { createQueryClient } from '../lib/query-client';
import { session } from '../lib/session';
import { createFakeApi, TEST_TOKEN, VIEWER_TOKEN, type FakeApi, type FakeApiOptions } from './fake-api';

/** A fresh QueryClient per test, retries off so errors show at once. */
export const createTestQueryClient = () => createQueryClient({ retry: false });

export interface RenderAppOptions extends FakeApiOptions {
  /** Signed in as this role (default operator); null: not signed in. */
  role?: AdminRole | null;
  api?: FakeApi;
}

export function renderApp(url = '/', options: RenderAppOptions = {}) {
  const api = (options.api ?? createFakeApi(options)).install();
  const role = options.role === undefined ? 'operator' : options.role;
  if (role) session.signIn(role === 'operator' ? TEST_TOKEN : VIEWER_TOKEN);
  const queryClient = createTestQueryClient();
  const router = createTestRouter(url);
  const user = userEvent.setup();
  const view = render(<App router={router} queryClient={queryClient} />);
  const location = () => router.state.location;
  return { ...view, api, router, queryClient, user, location };
}

/** A component or hook alone, with a query client, a router and a role. */
export function createWrapper({ role = 'operator', url = '/' }: { role?: AdminRole; url?: string } = {}) {
  const queryClient = createTestQueryClient();
  const Wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[url]}>
        <RoleContext.Provider value={role}>{children}</RoleContext.Provider>
      </MemoryRouter>
    </QueryClientProvider>
  );
  return { Wrapper, queryClient };
}

export function renderWithProviders(ui: ReactElement, options: { role?: AdminRole; url?: string } & Omit<RenderOptions, 'wrapper'> = {}) {
  const { Wrapper, queryClient } = createWrapper(options);
  return { ...render(ui, { wrapper: Wrapper }), queryClient, user: userEvent.setup() };
}

export { createFakeApi, TEST_TOKEN, VIEWER_TOKEN };
