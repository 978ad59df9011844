import type { AdminRole } from '@nest-saga/contracts';
import { createContext, useContext, useSyncExternalStore } from 'react';
import { session, type SessionSnapshot } from '../../lib/session';

export function useSession(): SessionSnapshot {
  return useSyncExternalStore(session.subscribe, session.getSnapshot, session.getSnapshot);
}

export const RoleContext = createContext<AdminRole | null>(null);

/** The signed-in role; `viewer` outside the auth gate, so nothing is offered by mistake. */
export function useRole(): AdminRole {
  return useContext(RoleContext) ?? 'viewer';
}

/** True when the user may act on sagas. Buttons are hidden, not merely disabled, for viewers. */
export function useCanOperate(): boolean {
  return useRole() === 'operator';
}
