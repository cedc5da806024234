import { formatAuditVerify, formatDismissed, formatSuggestions } from '../../src/cli/format';

/** CLI output: `jarvis audit verify` with the Redis mirror comparison, `jarvis suggestions`. */
describe('formatAuditVerify with the Redis mirror', () => {
  it('says how many mirrored entries were compared', () => {
    expect(formatAuditVerify({ ok: true, checked: 12, mirror: { compared: 10 } })).toBe(
      'Audit log intact: 12 entries verified.\nRedis mirror: its newest 10 entries compared with the database.',
    );
    expect(formatAuditVerify({ ok: true, checked: 3, mirror: { compared: 0 } })).toBe('Audit log intact: 3 entries verified.\nRedis mirror: no entry to compare (empty, expired or all pruned).');
  });

  it('names the entry the mirror shows cut off', () => {
    const out = formatAuditVerify({
      ok: false,
      checked: 4,
      firstBroken: { seq: 5, id: 'e5', reason: 'entry 5 is in the Redis mirror but the database ends at entry 4: its newest entries were cut off' },
      mirror: { compared: 6 },
    });
    expect(out.split('\n')).toEqual([
      'Audit log BROKEN: 4 entries verified, then:',
      '  first broken entry: seq 5 (id e5)',
      '  reason: entry 5 is in the Redis mirror but the database ends at entry 4: its newest entries were cut off',
      'Redis mirror: its newest 6 entries compared with the database.',
    ]);
  });

  it('says when the mirror could not be read, and counts malformed messages', () => {
    expect(formatAuditVerify({ ok: true, checked: 2, mirror: { compared: 0, unavailable: 'The client is closed' } }).split('\n')).toEqual([
      'Audit log intact: 2 entries verified.',
      'Redis mirror not compared: The client is closed',
    ]);
    expect(formatAuditVerify({ ok: true, checked: 2, mirror: { compared: 2, malformed: 1 } }).split('\n')[2]).toBe(
      'Redis mirror: 1 stream messages without a valid seq and hash were skipped.',
    );
  });

  it('says what was not checked when there is no mirror', () => {
    expect(formatAuditVerify({ ok: true, checked: 2 })).toBe(
      'Audit log intact: 2 entries verified.\nOnly the chain was checked: without a Redis mirror (REDIS_URL) the newest entries cut off would not show.',
    );
    expect(formatAuditVerify({ ok: false, checked: 1, firstBroken: { seq: 2, id: null, reason: 'edited' } }).split('\n')).toHaveLength(3);
  });
});

describe('formatSuggestions', () => {
  const suggestion = {
    id: 'monitoring:any-404',
    kind: 'monitoring' as const,
    severity: 'warning' as const,
    title: 'Alert any-404 is firing',
    message: 'Its value 3 is > 0 since 2026-12-06T08:04:18.815Z.',
    action: 'Look at the metrics.',
    signal: { rule: 'any-404', value: 3, pendingSince: null, codes: ['A', 'B'], nested: { left: 'out' }, evil: 'x\u001b[31m' },
    raisedAt: '2026-12-06T08:04:18.764Z',
    updatedAt: '2026-12-06T08:04:18.764Z',
  };

  it('prints each with its severity, id, message, action and plain signal figures, escape sequences neutralised', () => {
    expect(formatSuggestions([suggestion]).split('\n')).toEqual([
      '[warning] Alert any-404 is firing  (monitoring:any-404, since 2026-12-06 08:04:18Z)',
      '  Its value 3 is > 0 since 2026-12-06T08:04:18.815Z.',
      '  → Look at the metrics.',
      '  signal: rule=any-404 value=3 pendingSince=null codes=A,B evil=x?[31m',
    ]);
  });

  it('says so when nothing needs attention, and confirms a dismissal', () => {
    expect(formatSuggestions([])).toBe('Nothing needs attention.');
    expect(formatDismissed(suggestion)).toBe('Dismissed monitoring:any-404 for this key until its signal clears and comes back.');
  });
});
