import type { AdminRole } from '@nest-saga/contracts';

/** Who is calling, as `authorize` tells it: the role decides what they may do, the actor is recorded. */
export interface SagaAdminPrincipal {
  /** `viewer` reads; `operator` also acts (start, cancel, compensate, retry, pause, resume, resolve). */
  role: AdminRole;
  /** The identity the saga history records for every action (a user name or id, not the role). */
  actor: string;
}

/** Bearer tokens, SAGA_ADMIN_TOKENS style: `'viewer:abc,operator:xyz'`, or the parsed list. */
export interface SagaAdminTokenAuth {
  tokens: string | ReadonlyArray<{ role: AdminRole; token: string }>;
}

/**
 * The host maps its own users (JWT, OIDC, session): return the principal, or `null` to answer 401.
 * The request is the platform's (an Express request with `platform-express`).
 */
export interface SagaAdminCallbackAuth {
  authorize: (request: SagaAdminRequest) => SagaAdminPrincipal | null | undefined | Promise<SagaAdminPrincipal | null | undefined>;
}

export type SagaAdminAuthOptions = SagaAdminTokenAuth | SagaAdminCallbackAuth;

/** The parts of the HTTP request the console reads; the platform's request object has them all. */
export interface SagaAdminRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  url: string;
  originalUrl?: string;
  path?: string;
  [key: string]: unknown;
}

export interface SagaAdminModuleOptions {
  /**
   * Where the console is mounted: the admin REST API answers under `${path}/api/...` and the
   * dashboard under `${path}/`. The host's global prefix, if any, comes before it.
   * @default '/saga-admin'
   */
  path?: string;
  /** How callers prove who they are. Required: the console never runs open. */
  auth: SagaAdminAuthOptions;
  /**
   * Serve the operator dashboard under `${path}/`.
   * @default true
   */
  dashboard?: boolean;
  /**
   * Directory of a built dashboard to serve instead of the one shipped in this package.
   * @default the package's own `dist/console`
   */
  dashboardDir?: string;
  /**
   * Serve the OpenAPI page at `${path}/api/docs` and its document at `${path}/api/docs-json`;
   * `include` adds modules of the host whose routes the document should describe too.
   * @default true
   */
  openApi?: boolean | { include?: Function[] };
}
