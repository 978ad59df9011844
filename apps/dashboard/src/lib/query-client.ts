import { MutationCache, QueryCache, QueryClient, type DefaultOptions } from '@tanstack/react-query';
import { isApiError } from './api-client';
import { session } from './session';

function onError(error: unknown, meta?: Record<string, unknown>): void {
  // A token that stops working mid-session (rotated, removed) sends the user back to sign-in.
  if (meta?.authProbe) return;
  if (isApiError(error) && error.status === 401) session.signOut('expired');
}

export interface QueryClientSettings {
  /** Tests turn retries off so that an error shows at once. */
  retry?: boolean;
}

export function createQueryClient(settings: QueryClientSettings = {}): QueryClient {
  const defaultOptions: DefaultOptions = {
    queries: {
      staleTime: 2_000,
      refetchOnWindowFocus: true,
      // 4xx answers do not get better by asking again; network blips and 5xx might.
      retry: settings.retry === false ? false : (count, error) => count < 2 && !(isApiError(error) && error.status >= 400 && error.status < 500),
    },
    mutations: { retry: false },
  };
  return new QueryClient({
    defaultOptions,
    queryCache: new QueryCache({ onError: (error, query) => onError(error, query.meta) }),
    mutationCache: new MutationCache({ onError: (error, _v, _c, mutation) => onError(error, mutation.meta) }),
  });
}
