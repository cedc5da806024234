import { z } from 'zod';
import { UnavailableError } from '../../src/common/errors';
import { defineAction, defineModule, type ModuleDefinition } from '../../src/dawg/sdk';

export interface ProbeState {
  slowCalls: number;
  aborted: number;
  lastRequestId?: string;
}

/** A DAWG module for tests of the call path: echo, slow (abortable), and a handler that crashes. */
export function createProbeModule(state: ProbeState): ModuleDefinition {
  return defineModule({
    name: 'probe',
    description: 'Test probe',
    version: '0.0.1',
    actions: {
      echo: defineAction({
        description: 'Returns its text and the request id it saw',
        params: z.object({ text: z.string().min(1), times: z.number().int().min(1).max(3).default(1) }).strict(),
        async handler(params, ctx) {
          state.lastRequestId = ctx.requestId;
          return { text: params.text.repeat(params.times), requestId: ctx.requestId };
        },
      }),
      slow: slowAction(state),
      // The same wait, declared long: the control plane gives it 3 s instead of its default.
      'slow-declared': { ...slowAction(state), timeoutMs: 3_000 },
      unavailable: defineAction({
        description: 'Reports that a provider it depends on is down',
        params: z.object({}).strict(),
        async handler() {
          throw new UnavailableError('PROVIDER_UNAVAILABLE', 'The upstream provider is down', { provider: 'fake' });
        },
      }),
      crash: defineAction({
        description: 'Throws an unexpected error',
        params: z.object({}).strict(),
        async handler() {
          throw new Error('internal detail that must not leak');
        },
      }),
    },
  });
}

/** Waits `ms`, unless aborted. */
function slowAction(state: ProbeState) {
  return defineAction({
    description: 'Waits, unless aborted',
    params: z.object({ ms: z.number().int().min(0).max(10_000) }).strict(),
    async handler(params, ctx) {
      state.slowCalls++;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, params.ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          state.aborted++;
          reject(new Error('aborted'));
        });
      });
      return { waitedMs: params.ms };
    },
  });
}
