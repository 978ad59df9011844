/**
 * Options as the console uses them: the mount path normalised once, and one `authenticate` function
 * whichever way the host chose to authenticate callers.
 */
import { SagaConfigurationError } from '@nest-saga/saga';
import { AdminTokenRegistry, parseAdminTokens } from './auth/admin-tokens.js';
import type { SagaAdminModuleOptions, SagaAdminPrincipal, SagaAdminRequest } from './saga-admin-options.interface.js';

export const SAGA_ADMIN_RESOLVED_OPTIONS = Symbol('SAGA_ADMIN_RESOLVED_OPTIONS');

export interface ResolvedSagaAdminOptions {
  /** The mount path without leading or trailing slashes: `''` at the root, `ops/console` under it. */
  mount: string;
  dashboard: boolean;
  dashboardDir?: string;
  openApi: boolean;
  /** Host modules described in the OpenAPI document besides the console's API. */
  openApiInclude: Function[];
  /** The caller, or null when it did not prove who it is (401). */
  authenticate(request: SagaAdminRequest): Promise<SagaAdminPrincipal | null>;
}

export const DEFAULT_SAGA_ADMIN_PATH = '/saga-admin';

export function normalizeMountPath(path: string | undefined): string {
  const value = path ?? DEFAULT_SAGA_ADMIN_PATH;
  if (typeof value !== 'string' || /[?#*:()\s]/.test(value)) {
    throw new SagaConfigurationError(`SagaAdminModule: path "${String(value)}" is not a plain URL path; use something like "/saga-admin".`);
  }
  return value.split('/').filter(Boolean).join('/');
}

function bearerToken(request: SagaAdminRequest): string | undefined {
  const header = request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return match?.[1];
}

export function resolveSagaAdminOptions(options: SagaAdminModuleOptions): ResolvedSagaAdminOptions {
  const auth = options?.auth as Partial<{ tokens: unknown; authorize: unknown }> | undefined;
  let authenticate: ResolvedSagaAdminOptions['authenticate'];
  if (auth && typeof auth.authorize === 'function') {
    const authorize = auth.authorize as (request: SagaAdminRequest) => unknown;
    authenticate = async (request) => {
      const principal = (await authorize(request)) as SagaAdminPrincipal | null | undefined;
      if (!principal) return null;
      if (principal.role !== 'viewer' && principal.role !== 'operator') {
        throw new SagaConfigurationError(`SagaAdminModule: authorize() returned role "${String(principal.role)}"; it must be "viewer" or "operator".`);
      }
      const actor = typeof principal.actor === 'string' && principal.actor.trim() ? principal.actor.trim().slice(0, 200) : principal.role;
      return { role: principal.role, actor };
    };
  } else if (auth && auth.tokens !== undefined) {
    const tokens = typeof auth.tokens === 'string' ? parseAdminTokens(auth.tokens) : [...(auth.tokens as { role: 'viewer' | 'operator'; token: string }[])];
    if (tokens.length === 0) throw new SagaConfigurationError('SagaAdminModule: auth.tokens holds no token.');
    const registry = new AdminTokenRegistry(tokens);
    // A token carries no identity: the history records the role it grants.
    authenticate = async (request) => {
      const token = bearerToken(request);
      const role = token ? registry.roleOf(token) : undefined;
      return role ? { role, actor: role } : null;
    };
  } else {
    throw new SagaConfigurationError(
      'SagaAdminModule needs auth: { tokens: "viewer:<token>,operator:<token>" } or { authorize: (req) => ({ role, actor }) | null }.',
    );
  }
  return {
    mount: normalizeMountPath(options.path),
    dashboard: options.dashboard ?? true,
    dashboardDir: options.dashboardDir,
    openApi: options.openApi !== false,
    openApiInclude: typeof options.openApi === 'object' ? [...(options.openApi.include ?? [])] : [],
    authenticate,
  };
}
