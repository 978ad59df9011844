/**
 * Bearer tokens of the admin API. A token is compared by its SHA-256 digest in constant time, and
 * only the role (never the token) leaves this file: it is the actor recorded in saga histories.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminRole } from '@nest-saga/contracts';

export interface AdminToken {
  role: AdminRole;
  token: string;
}

export const ADMIN_ROLES: readonly AdminRole[] = ['viewer', 'operator'];

/** What each role may do: an operator can do all a viewer can. */
export function roleSatisfies(role: AdminRole, required: AdminRole): boolean {
  return required === 'viewer' || role === 'operator';
}

/** Parses `SAGA_ADMIN_TOKENS`: `role:token,role:token` (a token may itself contain `:`). */
export function parseAdminTokens(value: string): AdminToken[] {
  const tokens: AdminToken[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const sep = entry.indexOf(':');
    const role = (sep > 0 ? entry.slice(0, sep).trim() : '') as AdminRole;
    const token = sep > 0 ? entry.slice(sep + 1).trim() : '';
    if (!ADMIN_ROLES.includes(role) || !token) {
      throw new Error(
        `SAGA_ADMIN_TOKENS entries must look like "viewer:<token>" or "operator:<token>" (comma-separated); one entry is not of that form.`,
      );
    }
    if (token.length < 8) throw new Error(`SAGA_ADMIN_TOKENS: the ${role} token is shorter than 8 characters; use a longer random token.`);
    tokens.push({ role, token });
  }
  if (tokens.length === 0) throw new Error('SAGA_ADMIN_TOKENS is set but holds no token.');
  return tokens;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Looks tokens up by digest, so a wrong token takes as long to refuse whatever its length. */
export class AdminTokenRegistry {
  private readonly entries: { digest: Buffer; role: AdminRole }[];

  constructor(tokens: readonly AdminToken[]) {
    this.entries = tokens.map((t) => ({ digest: digest(t.token), role: t.role }));
  }

  /** The role of a token, or undefined when it is not one of ours. */
  roleOf(token: string): AdminRole | undefined {
    const d = digest(token);
    let found: AdminRole | undefined;
    for (const entry of this.entries) {
      // Check every entry: no early exit that would tell how far the list was scanned.
      if (timingSafeEqual(entry.digest, d)) found = found === 'operator' ? found : entry.role;
    }
    return found;
  }
}
