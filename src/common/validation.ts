import { z } from 'zod';
import { InvalidError } from './errors';

export interface FieldIssue {
  field: string;
  message: string;
}

/** Turns zod issues into `{ field, message }` pairs, the field prefixed by where it came from ("body", "params"...). */
export function fieldIssues(issues: readonly z.core.$ZodIssue[], prefix: string): FieldIssue[] {
  const field = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.');
  return issues.flatMap((issue) =>
    // Name each unknown key as its own field rather than blaming the object that holds it.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: field([...issue.path, key]), message: 'is not a known field' }))
      : [{ field: field(issue.path), message: issue.message }],
  );
}

/**
 * Parses a value at a trust boundary. On failure throws a 400 whose message names every
 * offending field, so a client can fix its call from the message alone.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) {
    // Bodies are checked once by the JSON parser (jsonBody), which sees the raw text.
    if (URL_OR_HEADER.test(where)) assertStorableText(value, where);
    return result.data;
  }
  const issues = fieldIssues(result.error.issues, where);
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  throw new InvalidError(`Invalid ${where}: ${summary}`, { issues });
}

/** What a client sends outside the body: small, flat values, cheap to look through. */
const URL_OR_HEADER = /^(query|params|headers)\b/;

/**
 * Throws a 400 naming the field if a string or key of `value` holds text PostgreSQL cannot
 * store: a NUL character, or half of a UTF-16 surrogate pair (JSON can carry one as an escape,
 * `\ud800`; jsonb refuses it). No field of this API means either, and the write would fail
 * with a 500 far from the field. Walked with an explicit stack (deep JSON cannot overflow it);
 * the path is only built for the value found.
 */
export function assertStorableText(value: unknown, where: string): void {
  const values: unknown[] = [value];
  const parents: number[] = [-1];
  const keys: string[] = [where];
  const refuse = (i: number, problem: string, last?: string): never => {
    const parts = last === undefined ? [] : [last];
    for (let at = i; at >= 0; at = parents[at]!) parts.push(keys[at]!);
    throw fieldError(parts.reverse().join('.'), problem);
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) refuse(i, problem);
    } else if (v !== null && typeof v === 'object') {
      const array = Array.isArray(v);
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        const keyProblem = array ? undefined : textProblem(key);
        if (keyProblem) refuse(i, keyProblem, key);
        const child = (v as Record<string, unknown>)[key];
        if (child !== null && (typeof child === 'object' || typeof child === 'string')) {
          values.push(child);
          parents.push(i);
          keys.push(key);
        }
      }
    }
  }
}

/** Half of a UTF-16 surrogate pair: JSON can carry one as an escape; jsonb refuses it. */
const LONE_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const HAS_LONE_SURROGATE = new RegExp(LONE_SURROGATE);
const UNSTORABLE_CHARS = new RegExp(`\\u0000|${LONE_SURROGATE}`, 'g');

/**
 * `text` with every character PostgreSQL cannot store (NUL, half a surrogate pair) replaced by
 * U+FFFD, for text that must be kept rather than refused (an audit entry of a request).
 */
export function withStorableChars(text: string): string {
  return text.replace(UNSTORABLE_CHARS, '\ufffd');
}

/** 1 to `max` characters, none of them a control character: ids and names that reach logs and queries. */
export function printableId(max: number) {
  return z.string().min(1).max(max).regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');
}

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (HAS_LONE_SURROGATE.test(text)) return 'must be valid Unicode: it holds half of a UTF-16 surrogate pair (a broken character)';
  return undefined;
}

/** A 400 about one field, shaped like parseInput's: `{ issues: [{ field, message }] }` plus any extra details. */
export function fieldError(field: string, message: string, extra: Record<string, unknown> = {}): InvalidError {
  const where = field.split('.')[0] ?? 'input';
  return new InvalidError(`Invalid ${where}: ${field}: ${message}`, { issues: [{ field, message }], ...extra });
}

/**
 * A number given as text (query string, environment, command line). `message` is for a value
 * that is not a number at all. Not zod's `{ message }` on the type: that also replaces the
 * messages of range checks that have none of their own, so `limit=0` would answer "must be a
 * number" instead of saying it is too small.
 */
export function numberFromText(message = 'must be a number') {
  return z.coerce.number({ error: (issue) => (issue.code === 'invalid_type' ? message : undefined) });
}

/** A whole number given as text: as numberFromText, and "must be a whole number" for 1.5. */
export function wholeNumberFromText() {
  return numberFromText().int('must be a whole number');
}
