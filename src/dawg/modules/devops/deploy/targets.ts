import { z } from 'zod';
import { ConfigError, readJsonConfigFile } from '../../../../common/env';

/**
 * Deployment targets (DEVOPS_TARGETS_FILE): what `deploy-service` may deploy, and how. Jarvis
 * does not invent deploy commands: an operator declares, per service and environment, the
 * commands of each strategy (run through the control plane's terminal firewall, so the
 * policy must allow them), the health check, and how to find the latest version.
 */

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;
/** Placeholders a deploy step may use, and those a scale command may use. */
const DEPLOY_VALUES = ['version', 'previousVersion', 'service', 'environment'] as const;
const SCALE_VALUES = ['service', 'environment', 'minReplicas', 'maxReplicas', 'targetCpuPercent'] as const;
export type TemplateValues = Partial<Record<(typeof DEPLOY_VALUES)[number] | (typeof SCALE_VALUES)[number], string>>;

const commandTemplate = z.strictObject({
  command: z.string().min(1).max(64).describe('Command name, resolved by the firewall on its fixed PATH'),
  args: z
    .array(z.string().max(1_024))
    .max(64)
    .default([])
    .describe('Arguments; {version}, {previousVersion}, {service} and {environment} are replaced (each argument stays one argument)'),
  cwd: z.string().min(1).max(4_096).optional(),
  env: z.record(z.string().max(64), z.string().max(8_192)).optional().describe('Environment for the command (the policy rule must allow each name); values take the same placeholders'),
});
export type CommandTemplate = z.output<typeof commandTemplate>;

const healthCheck = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  expectStatus: z.array(z.number().int().min(100).max(599)).min(1).default([200]),
  /** The answer's JSON must carry the deployed version at this top-level field (proof the new release serves). */
  versionField: z.string().min(1).max(64).optional(),
  attempts: z.number().int().min(1).max(60).default(5),
  intervalMs: z.number().int().min(0).max(60_000).default(2_000),
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
});
export type HealthCheckSpec = z.output<typeof healthCheck>;

const step = z.union([
  z.strictObject({ name: z.string().min(1).max(100), run: commandTemplate }),
  z.strictObject({ name: z.string().min(1).max(100), check: z.literal('health'), url: z.url({ protocol: /^https?$/ }).optional() }),
]);
export type PlanStep = z.output<typeof step>;

const plan = z.strictObject({
  steps: z.array(step).min(1).max(20),
  /** Steps that restore the previous version; omitted: the same steps with {version} = the previous version. */
  rollback: z.array(step).min(1).max(20).optional(),
});
export type DeployPlan = z.output<typeof plan>;

export const STRATEGIES = ['rolling', 'blue-green', 'canary'] as const;
export type Strategy = (typeof STRATEGIES)[number];

const target = z.strictObject({
  service: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be a service name (letters, digits, . _ -)'),
  environment: z.enum(['development', 'staging', 'production']),
  description: z.string().max(500).optional(),
  /** Anchored; versions that do not match are refused before anything runs. */
  versionPattern: z.string().min(1).max(200).default('[A-Za-z0-9][A-Za-z0-9._-]{0,63}'),
  /** A command whose first line of output is the latest version, used when a deploy names none. */
  latestVersion: commandTemplate.optional(),
  healthCheck,
  /** Commands that set the service's capacity ({minReplicas}, {maxReplicas}, {targetCpuPercent}), run in order by scale-service. */
  scale: z.array(commandTemplate).min(1).max(10).optional(),
  strategies: z.partialRecord(z.enum(STRATEGIES), plan).refine((s) => Object.keys(s).length > 0, 'must declare at least one strategy'),
});
export type DeployTarget = z.output<typeof target> & { versionRegex: RegExp };

export const targetsFileSchema = z.strictObject({
  version: z.literal(1),
  targets: z.array(target).max(500),
});

/** Parses and checks a targets document: unique service/environment pairs, compilable version patterns, known placeholders. */
export function compileTargets(doc: z.output<typeof targetsFileSchema>): DeployTarget[] {
  const seen = new Set<string>();
  return doc.targets.map((t, i) => {
    const key = `${t.service}/${t.environment}`;
    if (seen.has(key)) throw new Error(`targets.${i}: ${key} is declared twice`);
    seen.add(key);
    let versionRegex: RegExp;
    try {
      versionRegex = new RegExp(`^(?:${t.versionPattern})$`, 'u');
    } catch (err) {
      throw new Error(`targets.${i}.versionPattern: ${(err as Error).message}`);
    }
    const deployTemplates = [t.latestVersion, ...Object.values(t.strategies).flatMap((p) => [...p.steps, ...(p.rollback ?? [])].flatMap((s) => ('run' in s ? [s.run] : [])))];
    checkPlaceholders(deployTemplates, DEPLOY_VALUES, `targets.${i} (${key})`);
    checkPlaceholders(t.scale ?? [], SCALE_VALUES, `targets.${i}.scale (${key})`);
    return { ...t, versionRegex };
  });
}

function checkPlaceholders(templates: ReadonlyArray<CommandTemplate | undefined>, allowed: readonly string[], where: string): void {
  for (const tpl of templates) {
    for (const text of [...(tpl?.args ?? []), ...Object.values(tpl?.env ?? {})]) {
      for (const [whole, name] of text.matchAll(PLACEHOLDER)) {
        if (!allowed.includes(name!)) throw new Error(`${where}: unknown placeholder ${whole} in "${text}" (here: ${allowed.map((a) => `{${a}}`).join(', ')})`);
      }
    }
  }
}

export function loadTargetsFile(file: string): DeployTarget[] {
  const doc = readJsonConfigFile(file, targetsFileSchema, 'DEVOPS_TARGETS_FILE');
  try {
    return compileTargets(doc);
  } catch (err) {
    throw new ConfigError(`DEVOPS_TARGETS_FILE ${file} is invalid: ${(err as Error).message}`);
  }
}

/** Replaces the placeholders inside each argument and environment value; an argument never splits or merges. */
export function renderTemplate(tpl: CommandTemplate, values: TemplateValues): CommandTemplate {
  const fill = (s: string) =>
    s.replace(PLACEHOLDER, (_m, name: keyof TemplateValues) => {
      const value = values[name];
      if (value === undefined) throw new Error(`{${name}} has no value here`);
      return value;
    });
  return { ...tpl, args: tpl.args.map(fill), ...(tpl.env ? { env: Object.fromEntries(Object.entries(tpl.env).map(([k, v]) => [k, fill(v)])) } : {}) };
}
