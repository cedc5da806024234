import type { Prng } from '../ml';

/*
 * Who the synthetic users are: where they live (a standard UTC offset per country or region,
 * daylight saving ignored), what they are called and when in their own day they use the
 * service. Weights are rough shares of a European/American-led streaming audience.
 */

const COUNTRIES: readonly { country: string; offsets: readonly number[]; weight: number }[] = [
  { country: 'US', offsets: [-8, -7, -6, -5], weight: 30 },
  { country: 'CA', offsets: [-8, -5], weight: 5 },
  { country: 'MX', offsets: [-6], weight: 4 },
  { country: 'BR', offsets: [-3], weight: 7 },
  { country: 'AR', offsets: [-3], weight: 2 },
  { country: 'GB', offsets: [0], weight: 9 },
  { country: 'IE', offsets: [0], weight: 1 },
  { country: 'DE', offsets: [1], weight: 8 },
  { country: 'FR', offsets: [1], weight: 6 },
  { country: 'ES', offsets: [1], weight: 5 },
  { country: 'IT', offsets: [1], weight: 4 },
  { country: 'NL', offsets: [1], weight: 3 },
  { country: 'PL', offsets: [1], weight: 3 },
  { country: 'SE', offsets: [1], weight: 2 },
  { country: 'NG', offsets: [1], weight: 2 },
  { country: 'ZA', offsets: [2], weight: 2 },
  { country: 'TR', offsets: [3], weight: 2 },
  { country: 'AE', offsets: [4], weight: 1 },
  { country: 'PK', offsets: [5], weight: 1 },
  { country: 'ID', offsets: [7], weight: 2 },
  { country: 'TH', offsets: [7], weight: 1 },
  { country: 'PH', offsets: [8], weight: 2 },
  { country: 'SG', offsets: [8], weight: 1 },
  { country: 'KR', offsets: [9], weight: 2 },
  { country: 'JP', offsets: [9], weight: 4 },
];

const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Lucas', 'Mia', 'Mateo', 'Sofia', 'Leon', 'Hannah', 'Elias',
  'Chloe', 'Hugo', 'Lucia', 'Marco', 'Giulia', 'Daan', 'Julia', 'Jakub', 'Zofia', 'Oskar', 'Maja', 'Ayo',
  'Chidi', 'Thandi', 'Emre', 'Elif', 'Omar', 'Aisha', 'Bilal', 'Putri', 'Arif', 'Nok', 'Jose', 'Maria',
  'Wei', 'Min-jun', 'Ji-woo', 'Haruto', 'Yui', 'Sakura', 'Ethan', 'Grace', 'Ben', 'Isla', 'Jack', 'Amelia',
  'Gabriel', 'Ana', 'Valentina', 'Santiago', 'Camila', 'Finn', 'Freya', 'Aoife', 'Sean', 'Nora', 'Ali', 'Lea',
];

/** Preferred local hours: morning commute, lunch, evening, late night. */
const HOUR_BANDS: readonly { hours: readonly number[]; weight: number }[] = [
  { hours: [7, 8, 9], weight: 25 },
  { hours: [12, 13], weight: 20 },
  { hours: [18, 19, 20, 21, 22], weight: 45 },
  { hours: [23, 0], weight: 10 },
];

export function pickCountry(rng: Prng): { country: string; utcOffset: number } {
  const c = rng.pick(COUNTRIES, COUNTRIES.map((x) => x.weight));
  return { country: c.country, utcOffset: rng.pick(c.offsets) };
}

export function pickFirstName(rng: Prng): string {
  return rng.pick(FIRST_NAMES);
}

export function pickPreferredHour(rng: Prng): number {
  const band = rng.pick(HOUR_BANDS, HOUR_BANDS.map((b) => b.weight));
  return rng.pick(band.hours);
}

/** A local hour near the user's preferred one: 80 % within ±1 h of it, the rest anywhere in the day. */
export function localHour(rng: Prng, preferred: number): number {
  if (rng.bernoulli(0.2)) return rng.next() * 24;
  return (preferred + rng.normal(0.5, 0.6) + 24) % 24;
}
