import { z } from 'zod';
import { assertStorableText, parseInput, wholeNumberFromText } from '../../src/common/validation';

const body = z.strictObject({ name: z.string(), tags: z.array(z.string()).default([]), meta: z.record(z.string(), z.unknown()).default({}) });

const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { status: number; details: { issues: unknown } }).status === 400 ? (err as { details: { issues: unknown } }).details.issues : err;
  }
  return 'no error';
};

describe('parseInput', () => {
  it('names every offending field, unknown keys one by one', () => {
    expect(issuesOf(() => parseInput(body, { name: 1, extra: true, other: 2 }, 'body'))).toEqual([
      { field: 'body.name', message: expect.stringContaining('expected string') },
      { field: 'body.extra', message: 'is not a known field' },
      { field: 'body.other', message: 'is not a known field' },
    ]);
  });

  it('refuses a NUL character in the query, path or headers, naming where (PostgreSQL cannot store one)', () => {
    const query = z.strictObject({ q: z.string(), tags: z.array(z.string()).default([]) });
    expect(issuesOf(() => parseInput(query, { q: 'a\u0000b' }, 'query'))).toEqual([{ field: 'query.q', message: 'must not contain NUL (\\u0000) characters' }]);
    expect(issuesOf(() => parseInput(query, { q: 'ok', tags: ['x', 'y\u0000'] }, 'query'))).toEqual([{ field: 'query.tags.1', message: expect.any(String) }]);
    expect(issuesOf(() => parseInput(z.object({ id: z.string() }), { id: '\u0000' }, 'params'))).toEqual([{ field: 'params.id', message: expect.any(String) }]);
    expect(issuesOf(() => parseInput(z.string(), 'x\u0000', 'headers.x-file-name'))).toEqual([{ field: 'headers.x-file-name', message: expect.any(String) }]);
    // Other characters pass; bodies are checked by the JSON parser (jsonBody), stored documents not at all.
    expect(parseInput(query, { q: 'tab\tand é and 😀' }, 'query')).toMatchObject({ q: 'tab\tand é and 😀' });
    expect(parseInput(body, { name: 'a\u0000b' }, 'project')).toMatchObject({ name: 'a\u0000b' });
  });

  it('finds a NUL character in any string or key of a value, however deep, naming its path', () => {
    expect(issuesOf(() => assertStorableText({ meta: { deep: { ['k\u0000']: 1 } } }, 'body'))).toEqual([{ field: 'body.meta.deep.k\u0000', message: expect.any(String) }]);
    expect(issuesOf(() => assertStorableText({ a: [1, null, { b: ['x', 'y', 'z\u0000'] }] }, 'body'))).toEqual([{ field: 'body.a.2.b.2', message: expect.any(String) }]);
    let deep: unknown = 'end\u0000';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(issuesOf(() => assertStorableText(deep, 'body'))).toEqual([{ field: `body${'.0'.repeat(50_000)}`, message: expect.any(String) }]);
    expect(() => assertStorableText({ a: ['\\u0000 as text', { b: 2 }], c: null }, 'body')).not.toThrow();
  });

  it('refuses half of a UTF-16 surrogate pair (jsonb cannot store it), and lets whole pairs through', () => {
    const broken = 'a broken emoji: \ud83d';
    expect(issuesOf(() => assertStorableText({ text: broken }, 'body'))).toEqual([{ field: 'body.text', message: expect.stringContaining('surrogate') }]);
    expect(issuesOf(() => assertStorableText({ list: ['ok', '\ude00 low half first'] }, 'body'))).toEqual([{ field: 'body.list.1', message: expect.stringContaining('surrogate') }]);
    expect(issuesOf(() => assertStorableText({ ['k\udbff']: 1 }, 'body'))).toEqual([{ field: 'body.k\udbff', message: expect.stringContaining('surrogate') }]);
    expect(() => assertStorableText({ text: 'emoji 😀 and \ud83d\ude00', nested: [{ t: '𝄞' }] }, 'body')).not.toThrow();
    expect(issuesOf(() => parseInput(z.object({ q: z.string() }), { q: 'x\udc00' }, 'query'))).toEqual([{ field: 'query.q', message: expect.stringContaining('surrogate') }]);
  });

  it('says "must be a number" only for non-numbers, and the range for numbers out of it', () => {
    const limit = z.strictObject({ limit: wholeNumberFromText().min(1).max(500) });
    expect(issuesOf(() => parseInput(limit, { limit: 'abc' }, 'query'))).toEqual([{ field: 'query.limit', message: 'must be a number' }]);
    expect(issuesOf(() => parseInput(limit, { limit: '1.5' }, 'query'))).toEqual([{ field: 'query.limit', message: 'must be a whole number' }]);
    expect(issuesOf(() => parseInput(limit, { limit: '0' }, 'query'))).toEqual([{ field: 'query.limit', message: expect.stringMatching(/>=\s*1/) }]);
  });
});
