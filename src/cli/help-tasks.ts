import { CONNECTION, EXIT, WAIT_EXIT } from './help-common';

/** Help of `jarvis agents` and `jarvis task`. Any valid API key may use them. */

const AGENTS_LIST = `jarvis agents list: the agents and what each can do

Usage:
  jarvis agents [list] [--json]

Prints each agent with its capabilities (the TASK_TYPE of \`jarvis task
submit\`), the DAWG modules each needs and roughly how long it takes.

Options:
  --json              print the agents as a JSON array

${CONNECTION}

${EXIT}`;

const AGENTS_STATS = `jarvis agents stats: task counts per agent and status

Usage:
  jarvis agents stats [--json]

Counts are over all instances (from the database); the last line is about the
instance that answered: its running tasks and concurrency limits.

Options:
  --json              print the server's statistics as JSON

${CONNECTION}

${EXIT}`;

const TASK_SUBMIT = `jarvis task submit: queue a task for an agent, optionally wait for it

Usage:
  jarvis task submit AGENT TASK_TYPE [--payload JSON | --payload-file FILE]
                     [--priority P] [--wait [--cancel-on-interrupt]] [--json]

AGENT and TASK_TYPE as listed by \`jarvis agents\`, e.g. QualityAssurance
system-health-check. Without --wait it prints the task id and job URL.

With --wait it follows the task until it ends: a progress bar on stderr when
stderr is a terminal, one status line per change otherwise. When the task
completes, its result is printed on stdout as JSON (exit 0); when it fails or
is cancelled, the error goes to stderr (exit 1). Ctrl-C stops waiting and
leaves the task running (exit 130); \`jarvis task get ID --wait\` follows it again.

Options:
  --payload JSON      the task's input, a JSON object (default {})
  --payload-file FILE read the payload from FILE (- for standard input)
  --priority P        critical, high, medium (default) or low
  --wait              follow the task until it ends
  --cancel-on-interrupt
                      with --wait: Ctrl-C also cancels the task
  --json              without --wait: {taskId, agent, taskType, status, jobUrl};
                      with --wait: the finished task (status, result or error)

Capabilities that act through the devops module need a key with the devops scope.

Examples:
  jarvis task submit QualityAssurance system-health-check --wait
  jarvis task submit MixingEngineer balance-mix --payload '{"projectId":"p_1"}' --priority high

${CONNECTION}

${WAIT_EXIT}`;

const TASK_GET = `jarvis task get: a task's status, result or error

Usage:
  jarvis task get TASK_ID [--wait [--cancel-on-interrupt]] [--json]

TASK_ID is the tsk_... id printed by \`jarvis task submit\`. Without --wait it
prints the task once (exit 0 whatever its status); with --wait it follows it
like \`jarvis task submit --wait\` and exits the same way.

Options:
  --wait              follow the task until it ends
  --cancel-on-interrupt
                      with --wait: Ctrl-C also cancels the task
  --json              print the task (with its events) as JSON

${CONNECTION}

${WAIT_EXIT}`;

const TASK_CANCEL = `jarvis task cancel: cancel a task

Usage:
  jarvis task cancel [AGENT] TASK_ID [--json]

A task not started yet is cancelled at once; a running one is asked to stop
(its DAWG call is aborted) and ends cancelled shortly after. A task that has
already ended cannot be cancelled (409). Without AGENT the task is looked up
first.

Options:
  --json              print the task as the server answered

${CONNECTION}

${EXIT}`;

export const TASK_TOPICS = {
  agents: `jarvis agents: the agents of the control plane

Usage:
  jarvis agents [list] [--json]
  jarvis agents stats [--json]

${CONNECTION}

${EXIT}`,
  'agents list': AGENTS_LIST,
  'agents stats': AGENTS_STATS,
  task: `jarvis task: queue, follow and cancel agent tasks

Usage:
  jarvis task submit AGENT TASK_TYPE [--payload JSON | --payload-file FILE]
                     [--priority P] [--wait [--cancel-on-interrupt]] [--json]
  jarvis task get TASK_ID [--wait [--cancel-on-interrupt]] [--json]
  jarvis task cancel [AGENT] TASK_ID [--json]

${CONNECTION}

${WAIT_EXIT}`,
  'task submit': TASK_SUBMIT,
  'task get': TASK_GET,
  'task cancel': TASK_CANCEL,
} as const;
