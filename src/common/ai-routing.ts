/*
 * The AI router's vocabulary that both processes use: the control plane routes with it, and
 * the AI DAWG's creative module names it in its params schema (provider `auto`).
 */

/** How the router ranks eligible models (the blueprint's four strategies). */
export const STRATEGIES = ['cost-optimized', 'speed-optimized', 'quality-optimized', 'balanced'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The blueprint's per-call budget hint; each caps one call's cost (CALL_BUDGET_CAP_USD). */
export const CALL_BUDGETS = ['low', 'medium', 'high', 'unlimited'] as const;
export type CallBudget = (typeof CALL_BUDGETS)[number];

/**
 * Who makes a song (creative.generate-audio): the AI DAWG's offline composer, Suno, Udio, or
 * `auto`, which the control plane's AI router resolves to one of the others.
 */
export const SONG_PROVIDERS = ['local', 'suno', 'udio', 'auto'] as const;
