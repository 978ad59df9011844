/**
 * Text PostgreSQL cannot store: U+0000 (neither `text` nor `jsonb` can hold it) and UTF-16
 * surrogates that are not part of a pair (`jsonb` refuses them, and `text` parameters silently
 * turn them into U+FFFD). One pure check, so the engine (before a write) and an HTTP edge (to
 * answer 400 naming the field) refuse the same values.
 */

/** Deepest JSON nesting a request may carry (objects and arrays count one level each). */
export const MAX_JSON_DEPTH = 64;

export type UnstorableReason = 'NUL_CHARACTER' | 'LONE_SURROGATE' | 'TOO_DEEP';

export interface UnstorableText {
  /** Where the problem is, from the given root: `input.items[0].name`, `input["a b"]`. */
  path: string;
  reason: UnstorableReason;
  /** One sentence that names the path, the problem and what to do. */
  message: string;
}

export interface FindUnstorableTextOptions {
  /** Containers nested deeper than this are reported as `TOO_DEEP`. @default MAX_JSON_DEPTH (64) */
  maxDepth?: number;
}

// Without the `u` flag a regex sees UTF-16 code units, so it can find surrogates that have no partner.
const UNSTORABLE_CHAR = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const UNSTORABLE_CHARS = new RegExp(UNSTORABLE_CHAR.source, 'g');

/** `text` with every character PostgreSQL cannot store replaced by U+FFFD (for text nobody checked: error messages). */
export function replaceUnstorableText(text: string): string {
  return UNSTORABLE_CHAR.test(text) ? text.replace(UNSTORABLE_CHARS, '\ufffd') : text;
}

function textProblem(text: string): UnstorableReason | null {
  const match = UNSTORABLE_CHAR.exec(text);
  if (!match) return null;
  return match[0] === '\u0000' ? 'NUL_CHARACTER' : 'LONE_SURROGATE';
}

/** A path segment that is itself storable text: odd keys are written as escaped JSON strings. */
function keySegment(key: string): string {
  if (IDENTIFIER.test(key)) return `.${key}`;
  const shown = key.length > 60 ? `${key.slice(0, 60)}…` : key;
  return `[${JSON.stringify(shown)}]`;
}

function describe(path: string, reason: UnstorableReason, isKey: boolean, maxDepth: number): string {
  const what = isKey ? `The key ${path}` : path;
  switch (reason) {
    case 'NUL_CHARACTER':
      return `${what} contains the character U+0000 (NUL), which PostgreSQL cannot store; remove it, or encode binary data (base64, hex).`;
    case 'LONE_SURROGATE':
      return `${what} contains an unpaired UTF-16 surrogate (U+D800 to U+DFFF), which is not valid Unicode and PostgreSQL cannot store; send well-formed text.`;
    case 'TOO_DEEP':
      return `${path} is nested deeper than ${maxDepth} levels; flatten the data.`;
  }
}

/**
 * The first place in a JSON value (parsed data: strings, numbers, booleans, null, arrays, plain
 * objects) that PostgreSQL cannot store, in document order, or null when there is none. Object
 * keys are checked too. `path` names the root (`'input'`, `'reason'`).
 */
export function findUnstorableText(value: unknown, path: string, options: FindUnstorableTextOptions = {}): UnstorableText | null {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const found = (at: string, reason: UnstorableReason, isKey = false): UnstorableText => ({
    path: at,
    reason,
    message: describe(at, reason, isKey, maxDepth),
  });
  // Iterative, so a deep value cannot overflow the stack; `seen` stops at shared or circular
  // references. A key is looked at just before its value, so the first problem found is the first
  // in document order.
  type Node = { value: unknown; path: string; depth: number; key?: true };
  const stack: Node[] = [{ value, path, depth: 0 }];
  const seen = new WeakSet<object>();
  while (stack.length) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === 'string') {
      const reason = textProblem(v);
      if (reason) return found(node.path, reason, node.key === true);
      continue;
    }
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    const depth = node.depth + 1;
    if (depth > maxDepth) return found(node.path, 'TOO_DEEP');
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: `${node.path}[${i}]`, depth });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const at = `${node.path}${keySegment(keys[i])}`;
      stack.push({ value: (v as Record<string, unknown>)[keys[i]], path: at, depth });
      stack.push({ value: keys[i], path: at, depth, key: true });
    }
  }
  return null;
}
