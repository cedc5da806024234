import type { AppError } from '../../../common/errors';
import { fieldError } from '../../../common/validation';

/*
 * DuckDB reports every failure as a plain Error whose message starts with its category
 * ("Parser Error: …", "Catalog Error: …"). Errors in what a caller wrote (syntax, unknown
 * table, bad cast, a file the lock-down refuses) are the caller's to fix and become a 400 on
 * the field they sent; INTERNAL/FATAL ones are ours and stay 500s.
 */

/** extractStatements wraps the parser's error in this prefix. */
const WRAPPER = /^Failed to extract statements: /;
const CATEGORY = /^([A-Za-z ]{2,40}) Error: /;
const OURS = new Set(['INTERNAL', 'FATAL']);
const MAX_MESSAGE = 2_000;

/** The category of a DuckDB error ("Parser", "Catalog", "INTERRUPT"…), or undefined for any other error. */
export function duckdbErrorCategory(err: unknown): string | undefined {
  // Duck-typed: the native binding's errors may come from another realm (a vm context), where
  // `instanceof Error` is false.
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? CATEGORY.exec(message.replace(WRAPPER, ''))?.[1] : undefined;
}

export function isInterrupt(err: unknown): boolean {
  return duckdbErrorCategory(err) === 'INTERRUPT';
}

/**
 * A 400 naming `field` with DuckDB's own message (it says what and where, e.g. the line and a
 * caret under the offending token) when `err` is a DuckDB error about the caller's input;
 * undefined otherwise, so the caller rethrows the original.
 */
export function callerSqlError(err: unknown, field: string): AppError | undefined {
  const category = duckdbErrorCategory(err);
  if (category === undefined || OURS.has(category) || category === 'INTERRUPT') return undefined;
  const message = String((err as { message: string }).message).replace(WRAPPER, '').trim();
  return fieldError(field, message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message, { duckdb: category });
}
