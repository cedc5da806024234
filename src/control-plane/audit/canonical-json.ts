/** A value JSON can carry, as the audit sanitiser leaves it (no undefined, no NaN, no cycles). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Serialises a JSON value with object keys sorted by UTF-16 code units and no whitespace:
 * the same bytes whatever order the keys were written in or jsonb hands them back in.
 *
 * For the values the sanitiser produces (finite numbers, well-formed strings) this is the
 * output of RFC 8785 (JCS): JCS numbers and string escapes are ECMAScript's JSON.stringify,
 * and its key order is by UTF-16 code units, which is what Array#sort does. Twenty lines of
 * our own rather than a dependency for them.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}
