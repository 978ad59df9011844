/**
 * What PostgreSQL cannot store in `jsonb`/`text`, found before anything is written: U+0000 and
 * lone UTF-16 surrogates in any string (keys included), and nesting deeper than a limit. One bad
 * value must fail only the request or step that carries it, never a shared write.
 * The walk is iterative, so a deeply nested value cannot overflow the stack.
 */

/** Deepest nesting of objects and arrays accepted in a request body or a saga input. */
export const MAX_JSON_DEPTH = 64;

export interface UnstorableValue {
  /** Where: `input.items[0].sku`, `idempotencyKey`, `reason` (relative to the path given). */
  path: string;
  /** What is wrong, in words. */
  problem: string;
}

// A lone high surrogate (not followed by a low one) or a lone low surrogate (not after a high one).
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The problem of one string, or undefined when PostgreSQL can store it. */
export function unstorableTextProblem(text: string): string | undefined {
  const match = UNSTORABLE_TEXT.exec(text);
  if (!match) return undefined;
  return match[0] === '\u0000' ? 'contains the character U+0000, which cannot be stored' : 'contains a lone UTF-16 surrogate (not valid Unicode text)';
}

function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
}

/**
 * The first value under `value` that cannot be stored, with its path, or undefined. `maxDepth`
 * counts levels of objects and arrays (a flat object is depth 1).
 */
export function findUnstorableValue(value: unknown, path = '', maxDepth = MAX_JSON_DEPTH): UnstorableValue | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      const problem = unstorableTextProblem(item.value);
      if (problem) return { path: item.path || 'value', problem };
      continue;
    }
    if (item.value === null || typeof item.value !== 'object') continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) return { path: item.path || 'value', problem: `is nested deeper than ${maxDepth} levels` };
    if (Array.isArray(item.value)) {
      for (let i = item.value.length - 1; i >= 0; i--) stack.push({ value: item.value[i], path: child(item.path, i), depth });
      continue;
    }
    const entries = Object.entries(item.value as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, v] = entries[i];
      const keyProblem = unstorableTextProblem(key);
      if (keyProblem) return { path: child(item.path, key.replace(UNSTORABLE_TEXT, '?')), problem: `has a key that ${keyProblem}` };
      stack.push({ value: v, path: child(item.path, key), depth });
    }
  }
  return undefined;
}
