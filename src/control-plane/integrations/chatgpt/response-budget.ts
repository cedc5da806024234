/**
 * ChatGPT drops an Action response of 100,000 characters or more. What we send stays under this
 * limit, with room for ChatGPT's own wrapping; anything larger is cut down and says so, rather
 * than failing in ChatGPT where the user sees nothing useful.
 */
export const CHATGPT_MAX_RESPONSE_CHARS = 90_000;

const size = (value: unknown) => JSON.stringify(value)?.length ?? 0;

/** A module call's answer, with `result: null` and a `truncated` note when it is too large. */
export function fitForChatGpt<T extends { result: unknown }>(body: T, limit = CHATGPT_MAX_RESPONSE_CHARS): T & { truncated?: { characters: number; limit: number; hint: string } } {
  const characters = size(body);
  if (characters <= limit) return body;
  return {
    ...body,
    result: null,
    truncated: { characters, limit, hint: 'The result was too large for ChatGPT: ask again with a narrower request (shorter time range, lower limit or maxRows, fewer columns).' },
  };
}

interface JobLike {
  jobId: string;
  kind: 'task' | 'workflow';
  result?: unknown;
  events?: unknown[];
  steps?: Array<{ id: string; agent: string; result?: unknown }>;
  agent?: string;
}

/** Events kept when a job's answer is too large: the latest say where it is. */
const KEPT_EVENTS = 20;

/**
 * A job as GET /integrations/chatgpt/jobs/:jobId answers it, cut to the limit: first the event
 * history to its latest entries, then results replaced by a note naming the route that serves
 * them in full (the task route of the agent API).
 */
export function fitJobForChatGpt<T extends JobLike>(job: T, limit = CHATGPT_MAX_RESPONSE_CHARS): T {
  if (size(job) <= limit) return job;
  let fitted: T = job;
  if (job.events && job.events.length > KEPT_EVENTS) {
    fitted = { ...fitted, events: job.events.slice(-KEPT_EVENTS), eventsOmitted: job.events.length - KEPT_EVENTS };
    if (size(fitted) <= limit) return fitted;
  }
  const note = (characters: number, url: string) => ({ truncated: true, characters, fullResultUrl: url });
  if (fitted.kind === 'task' && fitted.agent) {
    fitted = { ...fitted, result: note(size(fitted.result), `/api/v1/agents/${fitted.agent}/tasks/${fitted.jobId}`) };
  } else if (fitted.steps) {
    fitted = {
      ...fitted,
      result: fitted.result === undefined ? undefined : note(size(fitted.result), `/api/v1/workflows/${fitted.jobId}`),
      steps: fitted.steps.map((s) => (s.result === undefined ? s : { ...s, result: note(size(s.result), `/api/v1/agents/${s.agent}/tasks/${s.id}`) })),
    };
  }
  return fitted;
}
