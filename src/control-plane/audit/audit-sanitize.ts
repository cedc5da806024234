import { randomUUID } from 'node:crypto';
import { withStorableChars } from '../../common/validation';
import type { AuditEntryInput } from './audit-types';
import type { JsonValue } from './canonical-json';

/** An entry ready to be chained: content fixed, id and time given, seq and hashes still to come. */
export interface PreparedEntry {
  id: string;
  createdAt: string;
  type: string;
  actor: string | null;
  subject: string | null;
  outcome: string | null;
  details: { [key: string]: JsonValue };
}

export const TYPE_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
/** Key names that carry credentials, compared without case, '-' and '_' (accessToken, x-api-key, client_secret). */
const SECRET_KEY = /(token|secret|password|passwd|passphrase|authorization|apikey|cookie|credentials?|privatekey)$/;
const MAX_DEPTH = 16;
/** Larger details are replaced by a note: one entry must not carry a whole command output. */
export const MAX_DETAILS_CHARS = 16_384;
const LIMITS = { actor: 200, subject: 500, outcome: 200 } as const;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_\s]/g, ''));
}

function toJson(value: unknown, depth: number, ancestors: object[]): JsonValue {
  if (value === null || typeof value === 'boolean') return value;
  // PostgreSQL refuses NUL and unpaired surrogates in jsonb: either would fail a whole batch.
  if (typeof value === 'string') return withStorableChars(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return null; // undefined, functions, symbols, as JSON.stringify in arrays
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (ancestors.includes(value)) return '[circular]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Error) return { name: withStorableChars(value.name), message: withStorableChars(value.message) };
  const inner = [...ancestors, value];
  if (Array.isArray(value)) return value.map((v) => toJson(v, depth + 1, inner));
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return toJson(toJSON.call(value), depth + 1, inner);
  return toObject(value as Record<string, unknown>, depth, inner);
}

function toObject(value: Record<string, unknown>, depth: number, ancestors: object[]): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out[withStorableChars(key)] = isSecretKey(key) ? '[redacted]' : toJson(v, depth + 1, ancestors);
  }
  return out;
}

/** Plain JSON, secrets redacted, bounded in depth and size. Never throws. */
export function sanitizeDetails(details: Record<string, unknown> | undefined): { [key: string]: JsonValue } {
  if (details === undefined || details === null) return {};
  const json = toObject(details, 0, [details]);
  const size = JSON.stringify(json).length;
  return size > MAX_DETAILS_CHARS ? { truncated: true, originalChars: size } : json;
}

function text(value: string | undefined, max: number): string | null {
  if (value === undefined || value === null) return null;
  const clean = withStorableChars(String(value));
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Fixes an entry's content at the moment it is handed over. Throws only for a malformed type. */
export function prepareEntry(input: AuditEntryInput, now: Date): PreparedEntry {
  if (typeof input.type !== 'string' || input.type.length > 64 || !TYPE_PATTERN.test(input.type)) {
    throw new TypeError(`Invalid audit entry type ${JSON.stringify(String(input.type).slice(0, 64))}: use dotted lowercase words such as command.denied`);
  }
  return {
    id: randomUUID(),
    createdAt: now.toISOString(),
    type: input.type,
    actor: text(input.actor, LIMITS.actor),
    subject: text(input.subject, LIMITS.subject),
    outcome: text(input.outcome, LIMITS.outcome),
    details: sanitizeDetails(input.details),
  };
}
