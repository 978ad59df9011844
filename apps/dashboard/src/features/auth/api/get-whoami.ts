import type { AdminRole } from '@nest-saga/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';

export interface WhoAmI {
  role: AdminRole;
}

export const authKeys = {
  all: ['auth'] as const,
  whoami: () => [...authKeys.all, 'whoami'] as const,
};

export const getWhoAmI = (signal?: AbortSignal): Promise<WhoAmI> => api.get<WhoAmI>('/whoami', undefined, signal);

export const whoAmIQueryOptions = () =>
  queryOptions({
    queryKey: authKeys.whoami(),
    queryFn: ({ signal }) => getWhoAmI(signal),
    staleTime: 5 * 60_000,
    retry: false,
    // A 401 here means "wrong token", which the sign-in screen says itself.
    meta: { authProbe: true },
  });

export const useWhoAmI = (enabled: boolean) => useQuery({ ...whoAmIQueryOptions(), enabled });
