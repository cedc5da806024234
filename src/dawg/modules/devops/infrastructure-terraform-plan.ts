import { commandResultSchema } from '../../../common/firewall-protocol';
import type { CallerContext, ControlPlaneClient } from '../../control-plane/types';

/*
 * What a saved Terraform plan changes when `terraform show` may not run at once (the default
 * TERMINAL_REQUIRE_APPROVAL_FOR_TERRAFORM=true holds every terraform command): read from the
 * output of the plan run that saved the file, which the firewall stored on that plan's approval:
 * the newest approval of a `terraform plan -out=<file>` in the directory, whoever asked for it
 * (this action, or POST /api/v1/devops/exec), found by the control plane.
 */

export interface PlannedChange {
  action: string;
  logicalId: string;
  type: string;
}

/** `  # <address> <what happens>`, as `terraform plan` prints each resource change (human-readable output). */
const CHANGE_LINE = /^ {2}# (.+?) (will be created|will be destroyed|will be updated in-place|must be replaced|is tainted, so must be replaced|will be replaced, as requested|will be read during apply)/;
const ACTIONS: Record<string, string> = {
  'will be created': 'create',
  'will be destroyed': 'delete',
  'will be updated in-place': 'update',
  'must be replaced': 'replace',
  'is tainted, so must be replaced': 'replace',
  'will be replaced, as requested': 'replace',
  'will be read during apply': 'read',
};
/** The block that follows: `  + resource "aws_instance" "web" {` (or `data "…"`, `-/+ resource …`). */
const BLOCK_LINE = /^\s*[-+~<=/]*\s*(?:resource|data) "([^"]+)" "/;

/** The resource changes `terraform plan -no-color` printed, in its order. */
export function planTextChanges(stdout: string): PlannedChange[] {
  const lines = stdout.split('\n');
  const changes: PlannedChange[] = [];
  for (const [i, line] of lines.entries()) {
    const m = CHANGE_LINE.exec(line);
    if (!m) continue;
    // The block's header is the first line after the comment lines (`# (because …)`).
    let type = '';
    for (let j = i + 1; j < Math.min(lines.length, i + 6); j++) {
      if (/^ {2}#/.test(lines[j]!)) continue;
      type = BLOCK_LINE.exec(lines[j]!)?.[1] ?? '';
      break;
    }
    changes.push({ action: ACTIONS[m[2]!]!, logicalId: m[1]!, type });
  }
  return changes;
}

/**
 * The changes of the newest held `terraform plan -out=<planFile>` in `cwd` (the firewall stores
 * its output on its approval once it ran), or why they cannot be told.
 */
export async function heldPlanChanges(
  controlPlane: Pick<ControlPlaneClient, 'latestApproval'>,
  expected: { cwd: string; planFile: string },
  caller: CallerContext,
): Promise<{ changes: PlannedChange[]; changesFrom: string } | { changes: null; changesUnavailable: string }> {
  const unavailable = (why: string) => ({ changes: null, changesUnavailable: why });
  let approval;
  try {
    approval = await controlPlane.latestApproval({ command: 'terraform', cwd: expected.cwd, arg: `-out=${expected.planFile}` }, caller);
  } catch (err) {
    return unavailable(`the held plans could not be read (${(err as Error).message})`);
  }
  if (!approval || approval.args[0] !== 'plan') return unavailable(`no held plan saves ${expected.planFile}: plan, and once that plan is approved and has run, an apply lists its changes`);
  const id = approval.id;
  if (approval.status !== 'finished') {
    const when = approval.status === 'pending' || approval.status === 'approved' || approval.status === 'running' ? `has not run yet (${approval.status})` : `ended ${approval.status}`;
    return unavailable(`the newest plan asked for, ${id}, ${when}: ${expected.planFile} holds an earlier plan, if any`);
  }
  const result = commandResultSchema.safeParse(approval.result);
  if (!result.success) return unavailable(`approval ${id} holds no command result`);
  const r = result.data;
  // -detailed-exitcode: 0 no changes, 2 changes; anything else saved no plan.
  if (r.exitCode !== 0 && r.exitCode !== 2) return unavailable(`the plan run as ${id} exited with code ${r.exitCode}: ${expected.planFile} holds an earlier plan, if any`);
  if (r.truncated) return unavailable(`the output of the plan run as ${id} is larger than the firewall's output limit`);
  const changes = planTextChanges(r.stdout);
  if (r.exitCode === 2 && !changes.length) return unavailable(`the output of the plan run as ${id} lists no resource changes Jarvis can read`);
  return { changes, changesFrom: `the output of the plan approved as ${id}${approval.decidedAt ? ` on ${approval.decidedAt}` : ''}` };
}
