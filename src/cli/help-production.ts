import { CONNECTION, EXIT } from './help-common';

const INFRA = `jarvis infra: Terraform, Pulumi or CloudFormation through the terminal firewall

Usage:
  jarvis infra plan|apply|destroy|validate|refresh --provider terraform|pulumi|cloudformation
               [--workspace W] [--target T]... [--json]

Queues the DevOpsEngineer's manage-infrastructure (needs a key with the devops
scope), follows it on stderr and prints what it found: the changes of a plan,
whether a template is valid, the resources that drifted, or the approval an apply
or destroy waits for (they always wait for another admin; so does refresh, except
CloudFormation's drift detection). The tool runs where the AI DAWG is configured
(DEVOPS_TERRAFORM_DIR, DEVOPS_PULUMI_DIR, DEVOPS_CLOUDFORMATION_TEMPLATE or _TEMPLATE_URL).

Options:
  --provider P        terraform, pulumi or cloudformation (required)
  --workspace W       Terraform workspace, Pulumi stack, or CloudFormation stack
                      (required for cloudformation)
  --target T          a resource to target (Terraform address, Pulumi URN); repeat it
  --json              print the answer as JSON

Examples:
  jarvis infra plan --provider cloudformation --workspace shop-staging
  jarvis infra apply --provider cloudformation --workspace shop-staging
  jarvis approvals approve apr_...          # as another admin

${CONNECTION}

Exit codes: 0 done (or held for approval), 1 the tool failed, the task failed,
or a server or network error, 2 usage error, 130 Ctrl-C stopped the wait.`;

/** Help of `jarvis produce`, `jarvis catalog` and `jarvis infra` (one text for each of its subcommands). */
export const PRODUCTION_TOPICS = {
  produce: `jarvis produce: one request from a prompt to a published track

Usage:
  jarvis produce PROMPT [--title T] [--genre G] [--mood M] [--duration SECONDS]
                 [--provider local|suno|udio|auto] [--platform spotify|youtube|apple-music]
                 [--wait [--cancel-on-interrupt]] [--json]

Starts the production workflow (the same as ChatGPT's produceTrack): song concept,
audio generation (the offline composer; Suno or Udio when configured, which cost
money), the MixingEngineer's full mix, a master to the platform's loudness, the
QualityAssurance review (one re-master if a check fails) and the publish to the
music catalog. Prints the job id; with --wait follows each step on stderr and
prints the track (id, URLs, format, measured loudness) and the timeline.

Options:
  --duration S        length in seconds, 10-300 (default 180)
  --platform P        loudness target: spotify/youtube -14 LUFS, apple-music -16
  --wait              follow the production until it ends
  --cancel-on-interrupt  with --wait: Ctrl-C also cancels the production
  --json              print the answer (with --wait: the production's result) as JSON

Example:
  jarvis produce "Create a synthwave track called 'Neon Dreams'" --duration 60 --wait

${CONNECTION}

Exit codes: 0 success (with --wait: the track was published), 1 the production
failed or was cancelled, or a server or network error, 2 usage error, 130 Ctrl-C
stopped the wait.`,
  catalog: `jarvis catalog: the published tracks

Usage:
  jarvis catalog list [--limit N] [--json]
  jarvis catalog get TRACK_ID [--json]

${CONNECTION}

${EXIT}`,
  'catalog list': `jarvis catalog list: published tracks, newest first

Usage:
  jarvis catalog list [--limit N] [--json]

Options:
  --limit N           at most N tracks, 1-200 (default 20)
  --json              print the page as the server answered it

${CONNECTION}

${EXIT}`,
  'catalog get': `jarvis catalog get: one published track

Usage:
  jarvis catalog get TRACK_ID [--json]

Prints title, genre, tempo, key, format, duration, measured loudness and true
peak, and the track's page, stream and download URLs.

${CONNECTION}

${EXIT}`,
  infra: INFRA,
  'infra plan': INFRA,
  'infra apply': INFRA,
  'infra destroy': INFRA,
  'infra validate': INFRA,
  'infra refresh': INFRA,
} as const;
