import { z } from 'zod';

/** "HH:MM-HH:MM" in a time zone; the end may be before the start (the quiet time wraps midnight). */
export const quietHoursSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'must look like 22:00-07:00')
  .refine((v) => v.slice(0, 5) !== v.slice(6), 'start and end must differ')
  .transform((v) => ({ startMinute: minutes(v.slice(0, 5)), endMinute: minutes(v.slice(6)) }));

export const timeZoneSchema = z.string().min(1).max(100).refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as UTC or Europe/Berlin');

export interface QuietHours {
  startMinute: number;
  endMinute: number;
  timeZone: string;
}

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** The minute of the day at `now` in `timeZone`. */
function minuteOfDay(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

export function isQuiet(quiet: QuietHours | undefined, now: Date): boolean {
  if (!quiet) return false;
  const m = minuteOfDay(now, quiet.timeZone);
  return quiet.startMinute < quiet.endMinute ? m >= quiet.startMinute && m < quiet.endMinute : m >= quiet.startMinute || m < quiet.endMinute;
}
