import { createHash } from 'node:crypto';
import { fieldError } from '../../../common/validation';
import { ident } from '../analytics/analytics-store';
import { defineAction } from '../../sdk';
import { addDays, readingDatasets, requireDataset, tomorrow } from './datasets';
import { contentCalendarParams, type ContentCalendarParams } from './marketing-schemas';
import type { MarketingActionDeps } from './action-deps';

export interface CalendarSlot {
  slotId: string;
  channel: string;
  week: number;
  date: string;
  hourUtc: number;
  at: string;
  /** Filled later by the MarketingStrategist agent. */
  theme: null;
}

/** All 24 hours, most active first (ties: earlier hour), so any number of posts a day gets distinct hours. */
function rankHours(counts: ReadonlyMap<number, number>): number[] {
  return Array.from({ length: 24 }, (_, h) => h).sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || a - b);
}

/**
 * Posts spread evenly over each week (post i of n on day ⌊7i/n⌋); the k-th post of a day
 * goes at the k-th most active hour, shifted by one rank per channel so channels do not all
 * post in the same minute.
 */
export function planSlots(p: ContentCalendarParams, startDate: string, ranked: readonly number[]): CalendarSlot[] {
  const slots: CalendarSlot[] = [];
  const days = Array.from({ length: p.postsPerWeek }, (_, i) => Math.floor((i * 7) / p.postsPerWeek));
  for (let week = 0; week < p.weeks; week++) {
    days.forEach((day, i) => {
      const rankInDay = i - days.indexOf(day);
      p.channels.forEach((channel, c) => {
        const date = addDays(startDate, week * 7 + day);
        const hourUtc = ranked[(rankInDay + c) % ranked.length]!;
        const at = `${date}T${String(hourUtc).padStart(2, '0')}:00:00.000Z`;
        const slotId = `slot_${createHash('sha256').update(`${p.goal}\n${channel}\n${at}`).digest('hex').slice(0, 16)}`;
        slots.push({ slotId, channel, week: week + 1, date, hourUtc, at, theme: null });
      });
    });
  }
  return slots.sort((a, b) => a.at.localeCompare(b.at) || a.channel.localeCompare(b.channel));
}

/** `content-calendar`: dated, empty post slots per channel at the audience's most active hours (UTC). */
export function createContentCalendarAction(deps: MarketingActionDeps) {
  return defineAction({
    description: 'Dated post slots per channel over the coming weeks at the audience’s most active hours (UTC); themes are left for the agent to fill',
    params: contentCalendarParams,
    handler(p) {
      return readingDatasets(['params.activityDataset'], async () => {
        const field = 'params.activityDataset';
        await requireDataset(deps.store, p.activityDataset, field, ['ts']);
        const rows = await deps.store.all<{ h: number; n: number }>(
          `SELECT hour(CAST(ts AS TIMESTAMP)) AS h, count(*) AS n FROM main.${ident(p.activityDataset)} WHERE ts IS NOT NULL GROUP BY 1`,
        );
        const total = rows.reduce((a, r) => a + r.n, 0);
        if (total === 0) throw fieldError(field, `dataset "${p.activityDataset}" has no activity rows`);
        const counts = new Map(rows.map((r) => [r.h, r.n]));
        const ranked = rankHours(counts);
        const startDate = p.startDate ?? tomorrow(deps.now());
        return {
          goal: p.goal,
          startDate,
          weeks: p.weeks,
          postsPerWeek: p.postsPerWeek,
          channels: p.channels,
          activeHoursUtc: ranked.slice(0, 5).map((h) => ({ hourUtc: h, events: counts.get(h) ?? 0, share: Math.round(((counts.get(h) ?? 0) / total) * 10_000) / 10_000 })),
          slots: planSlots(p, startDate, ranked),
        };
      });
    },
  });
}
