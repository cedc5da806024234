import type { ApiKeyInfo, AuditVerifyResult, Channels, CreatedApiKey, EmailTest, Forgotten, SuggestionFeedback, SuggestionView, WebhookTest } from './client';

/** Key names are free text from the server: control characters (escape sequences) must not reach the terminal. */
export function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/**
 * Pretty JSON that is still valid JSON and safe on a terminal: JSON.stringify escapes C0
 * control characters but leaves DEL and the C1 range (0x9b starts an escape sequence).
 */
export function jsonText(value: unknown): string {
  return (JSON.stringify(value, null, 2) ?? 'null').replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** 2026-01-31T12:34:56.789Z → 2026-01-31 12:34:56Z; "-" when absent. */
export function shortTime(iso: string | null): string {
  if (!iso) return '-';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? printable(iso) : `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function scopes(key: ApiKeyInfo): string {
  return key.scopes.length ? key.scopes.join(',') : '-';
}

export function formatKeyList(keys: ApiKeyInfo[], all: boolean): string {
  if (keys.length === 0) return all ? 'No API keys.' : 'No active API keys (--all includes revoked ones).';
  const header = ['ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED'];
  if (all) header.push('REVOKED');
  const rows = keys.map((k) => {
    const row = [k.id, printable(k.name), scopes(k), shortTime(k.createdAt), shortTime(k.lastUsedAt)];
    if (all) row.push(shortTime(k.revokedAt));
    return row;
  });
  const active = keys.filter((k) => !k.revokedAt).length;
  const summary = all ? `${keys.length} key(s), ${active} active` : `${keys.length} active key(s)`;
  return `${table(header, rows)}\n\n${summary}`;
}

export function formatCreated(key: CreatedApiKey): string {
  return [
    `Created API key "${printable(key.name)}" (id ${key.id}, scopes: ${key.scopes.length ? key.scopes.join(', ') : 'none (integration tier)'}).`,
    '',
    `    ${key.key}`,
    '',
    'This is the only time the key is shown: store it now, e.g. in your secret manager.',
    'Send it as "X-API-Key: <key>" or "Authorization: Bearer <key>".',
  ].join('\n');
}

export function formatRevoked(key: ApiKeyInfo, ownKey: boolean): string {
  const lines = [`Revoked API key ${key.id} ("${printable(key.name)}") at ${shortTime(key.revokedAt)}.`];
  if (ownKey) lines.push('Note: this was the key in JARVIS_API_KEY; it no longer works.');
  return lines.join('\n');
}

export function formatAuditVerify(result: AuditVerifyResult): string {
  const from = result.checkpoint
    ? ` from the checkpoint after entry ${result.checkpoint.seq} (${result.checkpoint.pruned} older entries pruned ${shortTime(result.checkpoint.createdAt)})`
    : '';
  const mirror = [...formatMirrorCheck(result.mirror), ...formatWitnessCheck(result.witness)];
  if (result.ok) {
    const unchecked = result.mirror || result.witness ? [] : ['Only the chain was checked: without a Redis mirror (REDIS_URL) or a witness file (AUDIT_WITNESS_FILE) the newest entries cut off would not show.'];
    return [`Audit log intact: ${result.checked} entries verified${from}.`, ...mirror, ...unchecked].join('\n');
  }
  const broken = result.firstBroken;
  const lines = [`Audit log BROKEN: ${result.checked} entries verified${from}, then:`];
  if (broken) lines.push(`  first broken entry: seq ${broken.seq}${broken.id ? ` (id ${printable(broken.id)})` : ''}`, `  reason: ${printable(broken.reason)}`);
  return [...lines, ...mirror].join('\n');
}

function formatMirrorCheck(mirror: AuditVerifyResult['mirror']): string[] {
  if (!mirror) return [];
  const lines = mirror.unavailable
    ? [`Redis mirror not compared: ${printable(mirror.unavailable)}`]
    : [mirror.compared ? `Redis mirror: its newest ${mirror.compared} entries compared with the database.` : 'Redis mirror: no entry to compare (empty, expired or all pruned).'];
  if (mirror.malformed) lines.push(`Redis mirror: ${mirror.malformed} stream messages without a valid seq and hash were skipped.`);
  return lines;
}

function formatWitnessCheck(witness: AuditVerifyResult['witness']): string[] {
  if (!witness) return [];
  const file = printable(witness.file);
  const lines = witness.unavailable
    ? [`Witness file ${file} not compared: ${printable(witness.unavailable)}`]
    : [witness.compared ? `Witness file ${file}: its newest ${witness.compared} chain heads compared with the database.` : `Witness file ${file}: no head of this database to compare yet.`];
  if (witness.malformed) lines.push(`Witness file: ${witness.malformed} lines that are not a chain head were skipped.`);
  return lines;
}

/** The signal's plain figures, one line: what the suggestion was raised on. */
function signalLine(signal: Record<string, unknown>): string {
  return Object.entries(signal)
    .filter(([, v]) => v === null || typeof v !== 'object' || Array.isArray(v))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
}

export function formatSuggestions(list: SuggestionView[]): string {
  if (!list.length) return 'Nothing needs attention.';
  return list
    .map((s) =>
      [
        `[${s.severity}] ${printable(s.title)}  (${printable(s.id)}, since ${shortTime(s.raisedAt)})`,
        `  ${printable(s.message)}`,
        `  → ${printable(s.action)}`,
        `  signal: ${printable(signalLine(s.signal))}`,
        ...(s.muted ? [`  muted: not pushed to this key (dismissed ${s.muted.dismissals} times, last ${shortTime(s.muted.lastDismissedAt)}); \`jarvis suggestions forget ${printable(s.id)}\` undoes it`] : []),
      ].join('\n'),
    )
    .join('\n\n');
}

export function formatDismissed(s: SuggestionView): string {
  return `Dismissed ${printable(s.id)} for this key until its signal clears and comes back.`;
}

/** A window as people say it: days from one day up, else hours. */
function span(ms: number): string {
  const [n, unit] = ms >= 86_400_000 ? [Number((ms / 86_400_000).toFixed(1)), 'day'] : [Number((ms / 3_600_000).toFixed(1)), 'hour'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

export function formatSuggestionFeedback(f: SuggestionFeedback): string {
  if (!f.muteAfter) return 'Learning from dismissals is off (PROACTIVE_MUTE_AFTER_DISMISSALS=0).';
  const head = `A suggestion dismissed ${f.muteAfter} times within ${span(f.windowMs)} is no longer pushed to this key (still listed) unless it comes back more severe.`;
  if (!f.subjects.length) return `${head}\nNo dismissals remembered for this key.`;
  const rows = f.subjects.map(
    (s) => `  ${printable(s.id)}  dismissed ${s.dismissals}×, last ${shortTime(s.lastDismissedAt)}, up to ${s.mostSevere}${s.muted ? `  → muted at ${s.mostSevere} and below` : ''}`,
  );
  return [head, ...rows].join('\n');
}

export function formatForgotten(f: Forgotten): string {
  return `Forgot ${f.forgotten} dismissal${f.forgotten === 1 ? '' : 's'} of ${printable(f.id)}: it is pushed to this key again.`;
}

/** One block per channel: where it sends, since when it works or fails, and why. */
export function formatChannels({ channels }: Channels): string {
  return channels
    .map((c) => {
      if (!c.configured) return `${c.channel}: not configured. ${printable(c.howTo)}.`;
      const where = c.channel === 'webhook' ? `${c.format} to ${printable(c.target)}${c.signed ? ', signed' : ''}` : `to ${c.recipients.map(printable).join(', ')} via ${printable(c.server)}`;
      const state = c.failing ? 'FAILING' : 'working';
      const lines = [`${c.channel}: ${state}, ${where}, ${c.minSeverity} and above`, c.since ? `  since ${shortTime(c.since)}: ${c.delivered} delivered, ${c.failed} failed${c.lastDeliveredAt ? `; last delivered ${shortTime(c.lastDeliveredAt)}` : ''}` : '  nothing sent yet'];
      if (c.lastFailure) lines.push(`  last failure ${shortTime(c.lastFailure.at)} on ${printable(c.lastFailure.instance)} (${c.lastFailure.event} ${printable(c.lastFailure.suggestion)}): ${printable(c.lastFailure.reason)}`);
      return lines.join('\n');
    })
    .join('\n');
}

export function formatWebhookTest(t: WebhookTest): string {
  return `The webhook at ${printable(t.target)} took the test message (HTTP ${t.status}, ${t.ms} ms).`;
}

export function formatEmailTest(t: EmailTest): string {
  const to = t.recipients.filter((r) => !t.rejected?.includes(r));
  const refused = t.rejected?.length ? `\nRefused by the server: ${t.rejected.map(printable).join(', ')}` : '';
  return `The SMTP server at ${printable(t.server)} took the test message for ${to.map(printable).join(', ')} (${t.ms} ms).${refused}`;
}
