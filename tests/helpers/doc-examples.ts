/** One shell example of a document: a fenced bash/sh block that calls curl. */
export interface DocExample {
  file: string;
  /** Line of the opening fence (1-based). */
  line: number;
  code: string;
  /** `<!-- example: not-run — reason -->` just before the fence. */
  notRun?: string;
  /** `<!-- example: expect-error -->`: the example shows an error answer on purpose. */
  expectError?: boolean;
}

const MARKER = /^<!--\s*example:\s*(not-run|expect-error)\s*(?:[—–-]\s*(.*?))?\s*-->$/;

/**
 * Every fenced bash/sh/console block containing curl, with the marker of the line before it
 * (or the one before that, when a blank line separates them). In a console block only the
 * `$ ` lines and their `\` continuations are commands; the rest is output.
 */
export function extractExamples(markdown: string, file: string): DocExample[] {
  const lines = markdown.split('\n');
  const examples: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(bash|sh|shell|console)\s*$/.exec(lines[i]!);
    if (!open) {
      if (/^```/.test(lines[i]!)) {
        // Skip any other fenced block whole, so a ``` inside it is not taken for an opening.
        for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++);
      }
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const code = open[1] === 'console' ? consoleCommands(body) : body.join('\n');
    if (!/\bcurl\b/.test(code)) continue;
    const marker = MARKER.exec((lines[start - 1] ?? '').trim()) ?? MARKER.exec((lines[start - 2] ?? '').trim());
    examples.push({
      file,
      line: start + 1,
      code,
      ...(marker?.[1] === 'not-run' ? { notRun: marker[2] ?? '' } : {}),
      ...(marker?.[1] === 'expect-error' ? { expectError: true } : {}),
    });
  }
  return examples;
}

function consoleCommands(body: readonly string[]): string {
  const commands: string[] = [];
  let continued = false;
  for (const line of body) {
    if (continued) commands.push(line);
    else if (line.startsWith('$ ')) commands.push(line.slice(2));
    else continue;
    continued = line.endsWith('\\');
  }
  return commands.join('\n');
}

/**
 * Whether a block checks the answer itself: an example that shows an error on purpose runs
 * curl without --fail, so without a `jq -e` test it would pass whatever came back.
 */
export function assertsAnswer(code: string): boolean {
  return /\bjq\b[^|\n]*?\s-[a-zA-Z]*e[a-zA-Z]*\b/.test(code);
}

/**
 * One bash script for a document's examples, in order (a block may set a variable a later one
 * uses). curl fails on HTTP errors (--fail-with-body) except in blocks that show an error on
 * purpose; each block announces itself on stderr so a failure names it.
 */
export function scriptFor(examples: readonly DocExample[]): string {
  const parts = [
    'set -euo pipefail',
    'curl() { if [ "${EXPECT_ERROR:-0}" = 1 ]; then command curl "$@"; else command curl --fail-with-body "$@"; fi; }',
  ];
  for (const e of examples) {
    if (e.notRun !== undefined) continue;
    parts.push(`echo "@@ ${e.file}:${e.line}" >&2`, `EXPECT_ERROR=${e.expectError ? 1 : 0}`, e.code, 'EXPECT_ERROR=0');
  }
  parts.push('echo "@@ done" >&2');
  return parts.join('\n');
}
