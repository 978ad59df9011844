/**
 * Values the engine stores (saga inputs, step outputs) go through JSON first, so that memory equals
 * storage, and are checked for what PostgreSQL refuses before any write: a bad value then fails its
 * own start or step with a message naming the JSON path, instead of a shared statement.
 */
import { findUnstorableText, type UnstorableReason } from '@nest-saga/contracts';

export type StorableJson =
  | { ok: true; value: unknown }
  /** `NOT_JSON`: JSON cannot represent it (BigInt, circular); the others: see findUnstorableText. */
  | { ok: false; path: string; reason: 'NOT_JSON' | UnstorableReason; message: string };

// JSON.stringify writes U+0000 as \u0000 and an unpaired surrogate as \udXXX, and every other
// character as is, so JSON without such an escape needs no closer look (the common case, at the
// cost of one regex over text just built). A literal backslash before "u0000" only costs a walk.
const SUSPECT_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/**
 * The JSON form of `value` (undefined becomes null), or where and why it cannot be stored. `root`
 * names the value in paths (`input`, `output`); `maxDepth` limits nesting (requests: 64).
 */
export function toStorableJson(value: unknown, root: string, maxDepth = Infinity): StorableJson {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    const found = findUnjsonable(value, root);
    const where = found ? `${found.path} holds ${found.what}` : `it cannot be written as JSON (${(error as Error).message})`;
    return {
      ok: false,
      path: found?.path ?? root,
      reason: 'NOT_JSON',
      message: `${where}, which JSON cannot represent; use plain JSON values (a BigInt as a string, no circular references).`,
    };
  }
  if (json === undefined) return { ok: true, value: null };
  const parsed: unknown = JSON.parse(json);
  if (maxDepth !== Infinity || SUSPECT_ESCAPE.test(json)) {
    const problem = findUnstorableText(parsed, root, { maxDepth });
    if (problem) return { ok: false, path: problem.path, reason: problem.reason, message: problem.message };
  }
  return { ok: true, value: parsed };
}

/** Walks a value as JSON.stringify would, to name what made it throw. */
function findUnjsonable(value: unknown, path: string, ancestors: object[] = []): { path: string; what: string } | null {
  if (typeof value === 'bigint') return { path, what: 'a BigInt' };
  if (value === null || typeof value !== 'object') return null;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    try {
      value = (value as { toJSON: (key: string) => unknown }).toJSON('');
    } catch {
      return { path, what: 'a value whose toJSON() throws' };
    }
    if (typeof value === 'bigint') return { path, what: 'a BigInt' };
    if (value === null || typeof value !== 'object') return null;
  }
  if (ancestors.includes(value as object)) return { path, what: 'a circular reference' };
  // JSON.stringify gives up (RangeError) long before this on deep data; name where it got too deep.
  if (ancestors.length >= 1_000) return { path, what: 'data nested too deeply' };
  ancestors.push(value as object);
  try {
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [`${path}[${i}]`, v])
      : Object.entries(value as Record<string, unknown>).map(([k, v]) => [/^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, v]);
    for (const [at, v] of entries) {
      const found = findUnjsonable(v, at, ancestors);
      if (found) return found;
    }
    return null;
  } finally {
    ancestors.pop();
  }
}
