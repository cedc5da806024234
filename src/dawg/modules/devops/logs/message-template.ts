/** Only the head of a message shapes its template: enough to tell messages apart, bounded work per line. */
const MAX_INPUT_CHARS = 500;
const MAX_TEMPLATE_CHARS = 200;

/**
 * Variable parts of a message, replaced in this order (earlier rules protect their matches from
 * later ones: a UUID is not read as five numbers). All are fixed, linear-time patterns.
 */
const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // A single quote after a letter is an apostrophe (can't), not the start of a quoted string.
  [/"[^"]*"|(?<!\w)'[^']*'|`[^`]*`/g, '<str>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  // Hex ids: 8+ hex characters with at least one digit and one letter (pure digits are numbers below).
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>'],
  [/\d+(?:\.\d+)?/g, '<num>'],
  [/\s+/g, ' '],
];

/**
 * A message with its variable parts (quoted strings, UUIDs, timestamps, hex ids, numbers)
 * replaced by placeholders, so `task 41 failed after 3000ms` and `task 42 failed after 12ms`
 * share the template `task <num> failed after <num>ms`.
 */
export function messageTemplate(message: string): string {
  let template = message.slice(0, MAX_INPUT_CHARS);
  for (const [pattern, placeholder] of RULES) template = template.replace(pattern, placeholder);
  return template.trim().slice(0, MAX_TEMPLATE_CHARS);
}
