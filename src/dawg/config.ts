import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { envInt, envOptional, envPort, logLevel, parseEnv, serviceToken } from '../common/env';
import { checkSmtpPair, smtpFromSchema, smtpUrlSchema } from '../common/smtp';
import { wholeNumberFromText } from '../common/validation';
import { CLOUDFORMATION_CAPABILITIES, S3_TEMPLATE_URL, type CloudFormationSettings } from './modules/devops/infrastructure-cloudformation';

const url = envOptional(z.url({ message: 'must be a URL' }));
/** An absolute path whose file name the aws CLI gets as file://<name>. */
const cloudFormationFile = (suffix: RegExp, what: string) =>
  z
    .string()
    .refine((f) => path.isAbsolute(f), 'must be an absolute path')
    .refine((f) => /^[A-Za-z0-9_.-]{1,128}$/.test(path.basename(f)) && suffix.test(f), `must be ${what} whose name has only letters, digits, _ . -`);
const origins = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.url({ message: 'each origin must be a URL such as https://cdn1.suno.ai' })));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: logLevel,
  AI_DAWG_HOST: z.string().min(1).default('127.0.0.1'),
  AI_DAWG_PORT: envPort(3001),
  AI_DAWG_SERVICE_TOKEN: serviceToken,
  AI_DAWG_DATA_DIR: z.string().min(1).default('./data/dawg'),
  AI_DAWG_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 1mb').default('5mb'),
  SUNO_API_KEY: envOptional(z.string().min(1)),
  SUNO_API_URL: z.url({ message: 'must be a URL' }).default('https://api.sunoapi.org'),
  SUNO_AUDIO_ORIGINS: origins,
  UDIO_API_KEY: envOptional(z.string().min(1)),
  UDIO_API_URL: url,
  UDIO_AUDIO_ORIGINS: origins,
  MUSIC_PROVIDER_POLL_MS: envInt(5_000, 100, 600_000),
  MUSIC_PROVIDER_TIMEOUT_MS: envInt(600_000, 1_000, 3_600_000),
  AI_DAWG_UPLOAD_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 200mb').default('200mb'),
  // Empty means unset (the CPU-based default), not 0: 0 is the inline debugging mode.
  // Where the DevOps module reaches the control plane's firewall, audit log and metrics (default: this machine's JARVIS_PORT).
  JARVIS_CONTROL_PLANE_URL: url,
  JARVIS_PORT: envPort(4000),
  DEVOPS_TARGETS_FILE: envOptional(z.string().min(1)),
  DEVOPS_TERRAFORM_DIR: envOptional(z.string().min(1)),
  DEVOPS_PULUMI_DIR: envOptional(z.string().min(1)),
  // The aws CLI reads them as file://<name> in their directory: absolute paths, names the firewall's patterns admit.
  DEVOPS_CLOUDFORMATION_TEMPLATE: envOptional(cloudFormationFile(/\.(ya?ml|json|template)$/, 'a .yaml, .yml, .json or .template file')),
  // Templates over 51,200 bytes (up to 1 MB): an S3 object CloudFormation reads itself.
  DEVOPS_CLOUDFORMATION_TEMPLATE_URL: envOptional(
    z.string().regex(S3_TEMPLATE_URL, "must be an S3 object's https URL such as https://my-bucket.s3.eu-west-1.amazonaws.com/stacks/app.yaml (no query string)"),
  ),
  DEVOPS_CLOUDFORMATION_PARAMETERS: envOptional(cloudFormationFile(/\.json$/, 'a .json file')),
  DEVOPS_CLOUDFORMATION_CAPABILITIES: envOptional(
    z
      .string()
      .transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean))
      .pipe(z.array(z.enum(CLOUDFORMATION_CAPABILITIES, { message: `must be a comma-separated list of ${CLOUDFORMATION_CAPABILITIES.join(', ')}` }))),
  ),
  DEVOPS_CLOUDFORMATION_REGION: envOptional(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as eu-west-1')),
  // Read by pulumi itself (PULUMI_CONFIG_PASSPHRASE_FILE): absolute, since pulumi runs in the project directory.
  DEVOPS_PULUMI_PASSPHRASE_FILE: envOptional(z.string().min(1).refine((f) => path.isAbsolute(f), 'must be an absolute path')),
  JARVIS_LOG_DIR: z.string().default('./data/logs'),
  AI_DAWG_AUDIO_WORKERS: envOptional(wholeNumberFromText().min(0, 'must be at least 0').max(64, 'must be at most 64')),
  AI_DAWG_RENDER_CACHE_MB: envInt(512, 0, 16_384),
  // Campaign e-mail (marketing channel "email"): the SMTP server, with credentials in the URL, and the sender.
  SMTP_URL: smtpUrlSchema,
  SMTP_FROM: smtpFromSchema,
}).superRefine((e, ctx) => {
  for (const name of ['DEVOPS_CLOUDFORMATION_PARAMETERS', 'DEVOPS_CLOUDFORMATION_CAPABILITIES', 'DEVOPS_CLOUDFORMATION_REGION'] as const) {
    if (e[name] !== undefined && !e.DEVOPS_CLOUDFORMATION_TEMPLATE && !e.DEVOPS_CLOUDFORMATION_TEMPLATE_URL) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'is used only with DEVOPS_CLOUDFORMATION_TEMPLATE or DEVOPS_CLOUDFORMATION_TEMPLATE_URL: set one of them too, or leave this unset' });
    }
  }
  if (e.DEVOPS_CLOUDFORMATION_TEMPLATE && e.DEVOPS_CLOUDFORMATION_TEMPLATE_URL) {
    ctx.addIssue({ code: 'custom', path: ['DEVOPS_CLOUDFORMATION_TEMPLATE_URL'], message: 'cannot be set with DEVOPS_CLOUDFORMATION_TEMPLATE: the template is a file or an S3 object, not both' });
  }
  if (e.DEVOPS_CLOUDFORMATION_TEMPLATE && e.DEVOPS_CLOUDFORMATION_PARAMETERS && path.dirname(e.DEVOPS_CLOUDFORMATION_PARAMETERS) !== path.dirname(e.DEVOPS_CLOUDFORMATION_TEMPLATE)) {
    ctx.addIssue({ code: 'custom', path: ['DEVOPS_CLOUDFORMATION_PARAMETERS'], message: "must be in the template's directory (the aws CLI runs there)" });
  }
  if (e.DEVOPS_PULUMI_PASSPHRASE_FILE && !e.DEVOPS_PULUMI_DIR) ctx.addIssue({ code: 'custom', path: ['DEVOPS_PULUMI_PASSPHRASE_FILE'], message: 'is used only with DEVOPS_PULUMI_DIR (the Pulumi project directory): set that too, or leave this unset' });
  checkSmtpPair(e, ctx, 'campaign e-mail');
});

export interface DawgConfig {
  env: z.output<typeof schema>['NODE_ENV'];
  logLevel: z.output<typeof schema>['LOG_LEVEL'];
  host: string;
  port: number;
  serviceToken: string;
  dataDir: string;
  bodyLimit: string;
  uploadLimit: string;
  /** Worker threads for renders, masters and WAV analysis; 0 runs them on the main thread (debugging only). */
  audioWorkers: number;
  /** MiB of render results (synth parts, tracks after their plugin chains) each audio worker keeps for the mixing steps; 0 keeps none. */
  renderCacheMb: number;
  /** The control plane's base URL, for the DevOps module's commands (through its firewall), audit and metrics. */
  controlPlaneUrl: string;
  devops: {
    /** Deployment targets file; unset: no targets are declared. */
    targetsFile?: string;
    terraformDir?: string;
    /** The Pulumi project, and the passphrase file of its stacks' secrets provider. */
    pulumi?: { dir: string; passphraseFile?: string };
    /** The CloudFormation template and what its change sets are made with. */
    cloudformation?: CloudFormationSettings;
  };
  /** JSON log files of both processes (empty: logs go to stdout only). */
  logDir: string | undefined;
  /** The SMTP server of the marketing channel "email"; absent: the channel does not exist. */
  smtp?: { url: string; from: string };
  /** Song-generation providers; each is present only when its key (and, for Udio, URL) is set. */
  musicProviders: {
    suno?: { baseUrl: string; apiKey: string; audioOrigins: string[] };
    udio?: { baseUrl: string; apiKey: string; audioOrigins: string[] };
    pollIntervalMs: number;
    timeoutMs: number;
  };
}

export function loadDawgConfig(source: NodeJS.ProcessEnv): Readonly<DawgConfig> {
  const e = parseEnv(schema, source);
  return Object.freeze({
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    host: e.AI_DAWG_HOST,
    port: e.AI_DAWG_PORT,
    serviceToken: e.AI_DAWG_SERVICE_TOKEN,
    dataDir: e.AI_DAWG_DATA_DIR,
    bodyLimit: e.AI_DAWG_BODY_LIMIT,
    uploadLimit: e.AI_DAWG_UPLOAD_LIMIT,
    // One core stays with the event loop that answers HTTP.
    audioWorkers: e.AI_DAWG_AUDIO_WORKERS ?? Math.max(1, availableParallelism() - 1),
    renderCacheMb: e.AI_DAWG_RENDER_CACHE_MB,
    controlPlaneUrl: (e.JARVIS_CONTROL_PLANE_URL ?? `http://127.0.0.1:${e.JARVIS_PORT}`).replace(/\/+$/, ''),
    devops: {
      ...(e.DEVOPS_TARGETS_FILE ? { targetsFile: e.DEVOPS_TARGETS_FILE } : {}),
      ...(e.DEVOPS_TERRAFORM_DIR ? { terraformDir: e.DEVOPS_TERRAFORM_DIR } : {}),
      ...(e.DEVOPS_CLOUDFORMATION_TEMPLATE || e.DEVOPS_CLOUDFORMATION_TEMPLATE_URL
        ? {
            cloudformation: {
              ...(e.DEVOPS_CLOUDFORMATION_TEMPLATE ? { template: e.DEVOPS_CLOUDFORMATION_TEMPLATE } : { templateUrl: e.DEVOPS_CLOUDFORMATION_TEMPLATE_URL! }),
              ...(e.DEVOPS_CLOUDFORMATION_PARAMETERS ? { parameters: e.DEVOPS_CLOUDFORMATION_PARAMETERS } : {}),
              ...(e.DEVOPS_CLOUDFORMATION_CAPABILITIES?.length ? { capabilities: e.DEVOPS_CLOUDFORMATION_CAPABILITIES } : {}),
              ...(e.DEVOPS_CLOUDFORMATION_REGION ? { region: e.DEVOPS_CLOUDFORMATION_REGION } : {}),
            },
          }
        : {}),
      ...(e.DEVOPS_PULUMI_DIR ? { pulumi: { dir: e.DEVOPS_PULUMI_DIR, ...(e.DEVOPS_PULUMI_PASSPHRASE_FILE ? { passphraseFile: e.DEVOPS_PULUMI_PASSPHRASE_FILE } : {}) } } : {}),
    },
    logDir: e.JARVIS_LOG_DIR || undefined,
    ...(e.SMTP_URL && e.SMTP_FROM ? { smtp: { url: e.SMTP_URL, from: e.SMTP_FROM } } : {}),
    musicProviders: {
      ...(e.SUNO_API_KEY ? { suno: { baseUrl: e.SUNO_API_URL, apiKey: e.SUNO_API_KEY, audioOrigins: e.SUNO_AUDIO_ORIGINS } } : {}),
      ...(e.UDIO_API_KEY && e.UDIO_API_URL ? { udio: { baseUrl: e.UDIO_API_URL, apiKey: e.UDIO_API_KEY, audioOrigins: e.UDIO_AUDIO_ORIGINS } } : {}),
      pollIntervalMs: e.MUSIC_PROVIDER_POLL_MS,
      timeoutMs: e.MUSIC_PROVIDER_TIMEOUT_MS,
    },
  });
}
