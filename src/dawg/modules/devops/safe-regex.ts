import { RE2JS, RE2JSException } from 're2js';
import { fieldError } from '../../../common/validation';

/**
 * The query is a caller's regular expression run over every log line, so it runs on RE2
 * (re2js): matching is linear in the input, whatever the pattern — `(a+)+$` cannot backtrack
 * catastrophically because RE2 never backtracks. The price is RE2's syntax: no lookaround, no
 * backreferences. Linear still means program size × input, so very large programs (e.g.
 * `[a-z]{1000}`) are refused as well.
 */
export const MAX_PROGRAM_SIZE = 500;

export interface SafeRegex {
  readonly source: string;
  /** Whether the pattern matches anywhere in the text. */
  test(text: string): boolean;
}

type Compiled = { ok: true; re: RE2JS } | { ok: false; problem: string };

function compile(pattern: string): Compiled {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    if (err instanceof RE2JSException) return { ok: false, problem: `is not a supported RE2 regular expression (${err.message}); lookaround and backreferences are not available` };
    throw err;
  }
  if (re.programSize() > MAX_PROGRAM_SIZE) {
    return { ok: false, problem: `is too complex (RE2 program size ${re.programSize()}, at most ${MAX_PROGRAM_SIZE}): shorten repetitions such as {1000}` };
  }
  return { ok: true, re };
}

/** Why the pattern cannot be used, or undefined when it can (for schema refinements). */
export function regexProblem(pattern: string): string | undefined {
  const compiled = compile(pattern);
  return compiled.ok ? undefined : compiled.problem;
}

/** Compiles the pattern, or throws the 400 that names `field`. */
export function compileSafeRegex(pattern: string, field = 'params.query'): SafeRegex {
  const compiled = compile(pattern);
  if (!compiled.ok) throw fieldError(field, compiled.problem);
  const { re } = compiled;
  return { source: pattern, test: (text) => re.test(text) };
}
