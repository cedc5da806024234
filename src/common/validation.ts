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
  if (result.success) return result.data;
  const issues = fieldIssues(result.error.issues, where);
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  throw new InvalidError(`Invalid ${where}: ${summary}`, { issues });
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
