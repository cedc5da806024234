import { z } from 'zod';
import { parseJson } from './infrastructure-outcome';
import type { manageInfrastructureParams } from './infrastructure.schema';

type Params = z.output<typeof manageInfrastructureParams>;

/** Where Pulumi runs: the project directory, and the passphrase file of stacks with the passphrase secrets provider. */
export interface PulumiSettings {
  /** The Pulumi project directory (DEVOPS_PULUMI_DIR); the firewall's pulumi rule must allow it. */
  dir: string;
  /** Passed as PULUMI_CONFIG_PASSPHRASE_FILE (DEVOPS_PULUMI_PASSPHRASE_FILE): the path crosses the wire, never the passphrase. */
  passphraseFile?: string;
}

/**
 * The pulumi command line for an action: non-interactive, no colour; state-changing ones carry
 * --yes --skip-preview because the firewall's approval is the prompt (and the reviewed preview).
 * Pulumi has no validate: the caller refuses it before this.
 */
export function pulumiArgs(p: Params): string[] {
  const tail = [...(p.workspace ? [`--stack=${p.workspace}`] : []), ...(p.targetResources ?? []).map((urn) => `--target=${urn}`)];
  const change = ['--yes', '--skip-preview', '--non-interactive', '--color=never'];
  switch (p.action) {
    case 'plan':
      return ['preview', '--non-interactive', '--color=never', '--json', ...tail];
    case 'apply':
      return ['up', ...change, ...tail];
    case 'destroy':
      return ['destroy', ...change, ...tail];
    case 'refresh':
      return ['refresh', ...change, ...tail];
    case 'validate':
      throw new Error('pulumi has no validate command');
  }
}

/** The environment every pulumi command gets (the firewall passes nothing else but PATH, LANG and HOME = the project directory). */
export function pulumiEnv(settings: PulumiSettings): Record<string, string> {
  return { PULUMI_SKIP_UPDATE_CHECK: 'true', ...(settings.passphraseFile ? { PULUMI_CONFIG_PASSPHRASE_FILE: settings.passphraseFile } : {}) };
}

/** The parts of `pulumi preview --json` (Pulumi's PreviewDigest) read here; the rest, resource inputs included, is not passed on. */
const previewDigest = z.object({
  steps: z.array(z.object({ op: z.string(), urn: z.string(), diffReasons: z.array(z.string()).optional(), replaceReasons: z.array(z.string()).optional() })).optional(),
  diagnostics: z.array(z.object({ urn: z.string().optional(), message: z.string().optional(), severity: z.string().optional() })).optional(),
  changeSummary: z.record(z.string(), z.number()).optional(),
  maybeCorrupt: z.boolean().optional(),
});

export type PulumiPreview = {
  changeSummary: Record<string, number>;
  steps: Array<{ op: string; urn: string; diffReasons?: string[]; replaceReasons?: string[] }>;
  diagnostics: Array<{ severity: string; message: string; urn?: string }>;
  maybeCorrupt: boolean;
};

/** What a preview printed, read: undefined when it printed no PreviewDigest (then its stdout is passed on as it is). */
export function readPreview(stdout: string): PulumiPreview | undefined {
  const d = parseJson(stdout, previewDigest);
  if (!d) return undefined;
  return {
    changeSummary: d.changeSummary ?? {},
    steps: (d.steps ?? []).filter((s) => s.op !== 'same').map((s) => ({ op: s.op, urn: s.urn, ...(s.diffReasons ? { diffReasons: s.diffReasons } : {}), ...(s.replaceReasons ? { replaceReasons: s.replaceReasons } : {}) })),
    diagnostics: (d.diagnostics ?? []).map((x) => ({ severity: x.severity ?? 'info', message: (x.message ?? '').trim(), ...(x.urn ? { urn: x.urn } : {}) })),
    maybeCorrupt: d.maybeCorrupt ?? false,
  };
}

/** Whether a preview would change anything: an operation other than `same` on at least one resource. */
export const previewChanges = (preview: PulumiPreview): boolean => Object.entries(preview.changeSummary).some(([op, n]) => op !== 'same' && n > 0);
