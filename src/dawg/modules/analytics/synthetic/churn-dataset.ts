import { Prng, sigmoid } from '../ml';
import type { ChurnActivityRow, ChurnMonthlyRow, ChurnUserRow } from './churn-contract';
import { drawMonthlyModel, expectedRate, generateMonthly, monthStart } from './churn-monthly';
import { CHURN_EFFECTS, generateUser } from './churn-users';

/**
 * The synthetic churn dataset: a subscription streaming service on `asOf`, seeded so reruns
 * give identical rows. Every number below is drawn from these rules.
 *
 * Users (`churn_users`): country with its standard UTC offset (−8 … +9, DST ignored), plan
 * free 45 % / basic 35 % / premium 20 % at 0 / 9.99 / 15.99 (long-standing users partly keep
 * legacy prices 8.99 / 13.99; 22 % of paid users older than 60 days had a price rise in the
 * last 60 days, to 10.99 / 17.99), tenure ~ exponential (mean 420 days, at most 1,801),
 * exposure to a competitor promotion 22 %. A latent engagement (normal, higher for premium)
 * sets each user's habitual session rate (median ~6 a month); 12 % are fading, with recent
 * activity at a fifth of their habit. support_tickets (90 days) are Poisson, more after a
 * price rise or with low engagement.
 *
 * Activity (`churn_activity`, the 90 days before asOf): each session is an event with its
 * minutes (log-normal around the user's own typical length); streams (Poisson 0.6 per
 * session) and shares (8 %) happen inside sessions; weekly campaign e-mails go out Tuesdays
 * 15:00 UTC and are opened (more often by engaged users) and sometimes clicked. Sessions and
 * opens fall at the user's preferred local hour (morning, lunch, evening or late night) in 80 %
 * of cases, converted to UTC with utc_offset, so send-time optimisation has signal.
 * sessions_30d, minutes_30d and days_since_last_active are computed from these events.
 *
 * Label (`churned`, cancels within 30 days after asOf): Bernoulli with probability
 * sigmoid(intercept + CHURN_EFFECTS · features): inactivity (days since last active, sessions,
 * minutes), pricing (price rise, price), competition (competitor offer), support tickets and
 * tenure. The intercept is solved so the mean probability equals the month's expected rate
 * (about 4–6 %, by calendar month); the weights make inactivity the strongest driver, then
 * pricing, then competition.
 *
 * Monthly series (`churn_monthly`, 36 months to asOf): expected rate = level + trend + yearly
 * season (see churn-monthly.ts), binomial churn around it; the last month's active users are
 * the users who signed up before it plus that month's churners. `truth.nextMonth` is the
 * month after the series: its expected rate and the rate the users table realises.
 */

export interface ChurnDatasetOptions {
  seed: number;
  users: number;
  /** YYYY-MM-DD */
  asOf: string;
}

export interface ChurnDataset {
  users: ChurnUserRow[];
  activity: ChurnActivityRow[];
  monthly: ChurnMonthlyRow[];
  /** What the generator knows and a model should rediscover. */
  truth: {
    intercept: number;
    effects: typeof CHURN_EFFECTS;
    nextMonth: { month: string; expectedRate: number; churnRate: number };
  };
}

/** The intercept that makes the mean of sigmoid(intercept + logit) equal `target` (bisection). */
function calibrateIntercept(logits: readonly number[], target: number): number {
  let lo = -20;
  let hi = 10;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    const m = logits.reduce((s, z) => s + sigmoid(mid + z), 0) / logits.length;
    if (m < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function generateChurnDataset(options: ChurnDatasetOptions): ChurnDataset {
  const asOf = Date.parse(`${options.asOf}T00:00:00Z`);
  if (Number.isNaN(asOf)) throw new RangeError(`asOf is not a date: ${options.asOf}`);
  // Independent streams per part, so e.g. a change in the label draw leaves the users unchanged.
  const userRng = new Prng(options.seed);
  const labelRng = new Prng(options.seed ^ 0x5bd1e995);
  const monthRng = new Prng(options.seed ^ 0x27d4eb2f);
  const generated = Array.from({ length: options.users }, (_, i) => generateUser(i, userRng, asOf));
  const model = drawMonthlyModel(monthRng);
  const nextMonth = monthStart(asOf);
  const nextRate = expectedRate(model, nextMonth, 36);
  const intercept = calibrateIntercept(generated.map((g) => g.logit), nextRate);
  const users = generated.map((g) => ({ ...g.row, churned: labelRng.bernoulli(sigmoid(intercept + g.logit)) }));
  const lastMonth = new Date(monthStart(asOf, -1)).toISOString().slice(0, 10);
  const survivors = users.filter((u) => u.signup_date < lastMonth).length;
  return {
    users,
    activity: generated.flatMap((g) => g.events),
    monthly: generateMonthly(monthRng, model, asOf, survivors),
    truth: {
      intercept,
      effects: CHURN_EFFECTS,
      nextMonth: { month: new Date(nextMonth).toISOString().slice(0, 10), expectedRate: nextRate, churnRate: users.filter((u) => u.churned).length / users.length },
    },
  };
}
