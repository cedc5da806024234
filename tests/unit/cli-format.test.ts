import { formatAuditVerify, formatDismissed, formatForgotten, formatSuggestionFeedback, formatSuggestions } from '../../src/cli/format';
import { formatApproval } from '../../src/cli/format-operations';

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

  it('says what the witness file showed, or why it was not read', () => {
    const file = '/var/lib/jarvis/witness.log';
    expect(formatAuditVerify({ ok: true, checked: 9, witness: { file, compared: 4, malformed: 1 } }).split('\n')).toEqual([
      'Audit log intact: 9 entries verified.',
      `Witness file ${file}: its newest 4 chain heads compared with the database.`,
      'Witness file: 1 lines that are not a chain head were skipped.',
    ]);
    expect(formatAuditVerify({ ok: true, checked: 9, witness: { file, compared: 0 } }).split('\n')[1]).toBe(`Witness file ${file}: no head of this database to compare yet.`);
    expect(formatAuditVerify({ ok: true, checked: 9, witness: { file, compared: 0, unavailable: 'EACCES: permission denied' } }).split('\n')[1]).toBe(
      `Witness file ${file} not compared: EACCES: permission denied`,
    );
    const broken = formatAuditVerify({ ok: false, checked: 4, firstBroken: { seq: 5, id: 'e5', reason: `entry 5 is in the witness file ${file} but the database ends at entry 4: its newest entries were cut off` }, witness: { file, compared: 6 } });
    expect(broken.split('\n')).toEqual([
      'Audit log BROKEN: 4 entries verified, then:',
      '  first broken entry: seq 5 (id e5)',
      `  reason: entry 5 is in the witness file ${file} but the database ends at entry 4: its newest entries were cut off`,
      `Witness file ${file}: its newest 6 chain heads compared with the database.`,
    ]);
  });

  it('says what was not checked when there is no mirror', () => {
    expect(formatAuditVerify({ ok: true, checked: 2 })).toBe(
      'Audit log intact: 2 entries verified.\nOnly the chain was checked: without a Redis mirror (REDIS_URL) or a witness file (AUDIT_WITNESS_FILE) the newest entries cut off would not show.',
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

  it('marks one muted for this key, and says how to undo it', () => {
    const lines = formatSuggestions([{ ...suggestion, muted: { dismissals: 4, lastDismissedAt: '2026-12-05T10:00:00.000Z' } }]).split('\n');
    expect(lines.at(-1)).toBe('  muted: not pushed to this key (dismissed 4 times, last 2026-12-05 10:00:00Z); `jarvis suggestions forget monitoring:any-404` undoes it');
  });
});

describe('formatSuggestionFeedback', () => {
  const subject = { id: 'monitoring:any-404', dismissals: 3, lastDismissedAt: '2026-12-05T10:00:00.000Z', mostSevere: 'warning' as const, muted: true };

  it('states the rule, then each subject with its count, last time, level and whether it is muted', () => {
    expect(formatSuggestionFeedback({ muteAfter: 3, windowMs: 14 * 86_400_000, subjects: [subject, { ...subject, id: 'budget-burn:global', dismissals: 1, mostSevere: 'critical', muted: false }] }).split('\n')).toEqual([
      'A suggestion dismissed 3 times within 14 days is no longer pushed to this key (still listed) unless it comes back more severe.',
      '  monitoring:any-404  dismissed 3×, last 2026-12-05 10:00:00Z, up to warning  → muted at warning and below',
      '  budget-burn:global  dismissed 1×, last 2026-12-05 10:00:00Z, up to critical',
    ]);
  });

  it('says when nothing is remembered, when learning is off, and what was forgotten', () => {
    expect(formatSuggestionFeedback({ muteAfter: 2, windowMs: 3_600_000, subjects: [] })).toBe(
      'A suggestion dismissed 2 times within 1 hour is no longer pushed to this key (still listed) unless it comes back more severe.\nNo dismissals remembered for this key.',
    );
    expect(formatSuggestionFeedback({ muteAfter: 0, windowMs: 3_600_000, subjects: [] })).toBe('Learning from dismissals is off (PROACTIVE_MUTE_AFTER_DISMISSALS=0).');
    expect(formatForgotten({ id: 'monitoring:any-404', forgotten: 1 })).toBe('Forgot 1 dismissal of monitoring:any-404: it is pushed to this key again.');
  });
});

describe('formatApproval', () => {
  const approval = {
    id: 'apr_00000000-0000-0000-0000-000000000009',
    requestedBy: '0123456789abcdef',
    command: 'aws',
    args: ['cloudformation', 'execute-change-set', '--change-set-name', 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/jarvis-plan/x'],
    cwd: '/srv/infra',
    rule: 'aws',
    subcommand: 'cloudformation execute-change-set',
    reason: 'aws cloudformation execute-change-set requires approval by the firewall policy',
    status: 'pending' as const,
    createdAt: '2026-12-06T10:00:00.000Z',
    expiresAt: '2026-12-06T10:15:00.000Z',
    decidedBy: null,
    decidedAt: null,
    decisionNote: null,
    result: null,
  };

  it('lists the changes a held command carries out, the first 50, and says how many more', () => {
    const changes = Array.from({ length: 53 }, (_, i) => ({ action: i ? 'Add' : 'Remove', logicalId: `Bucket${i}`, type: 'AWS::S3::Bucket' }));
    const text = formatApproval({ ...approval, context: { changes } });
    expect(text).toContain('  changes:      53 (what the command carries out, as the service that asked saw it)');
    expect(text).toMatch(/^ {4}Remove {3}Bucket0 \(AWS::S3::Bucket\)$/m);
    expect(text).toContain('    Add      Bucket49 (AWS::S3::Bucket)');
    expect(text).not.toContain('Bucket50 ');
    expect(text).toContain('    … and 3 more (--json lists them all)');
    expect(formatApproval({ ...approval, context: null })).not.toContain('changes:');
    // Read elsewhere than from the command itself: says where.
    const sourced = formatApproval({ ...approval, context: { changes: changes.slice(0, 1), source: 'the output of the plan approved as apr_1\u001b[31m' } });
    expect(sourced).toContain('  changes:      1 (what the command carries out, as the service that asked saw it: the output of the plan approved as apr_1');
    expect(sourced).not.toContain('\u001b');
  });
});
