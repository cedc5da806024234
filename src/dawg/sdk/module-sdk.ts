import { z } from 'zod';
import { NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { ExecuteRequest, ExecuteResponse, ModuleManifest } from '../../common/protocol';
import { actionName, moduleName } from '../../common/protocol';
import { parseInput } from '../../common/validation';

export interface ActionContext {
  requestId: string;
  /** Aborted when the caller goes away; long actions should stop work when it fires. */
  signal: AbortSignal;
  logger: Logger;
  /**
   * Who the control plane runs the action for (an API key id, or agent:<name>); what the
   * action asks of the control plane (a command through the firewall) is done as them.
   * Absent when the caller sent none.
   */
  actor?: string;
  /**
   * Set when the caller may change only what was created for it (a key without the admin
   * scope): the actor id a changed resource must have been created for. Reading is not limited.
   */
  ownedBy?: string;
}

export interface ActionDefinition<S extends z.ZodType = z.ZodType, R = unknown> {
  description: string;
  params: S;
  /**
   * How long the action may run, when that is longer than a call usually takes (a remote
   * generation, a deploy waiting for its health check). The manifest carries it, and the
   * control plane waits this long for the action instead of its AI_DAWG_TIMEOUT_MS.
   */
  timeoutMs?: number;
  handler(params: z.output<S>, ctx: ActionContext): Promise<R>;
}

export interface ModuleDefinition {
  name: string;
  description: string;
  version: string;
  actions: Record<string, ActionDefinition>;
}

/** What a long action declares (a remote generation, a deploy, a plan): just under the control plane's 10-minute cap. */
export const LONG_ACTION_MS = 590_000;

/** Identity helpers that keep each action's params type tied to its schema. */
export function defineAction<S extends z.ZodType, R>(action: ActionDefinition<S, R>): ActionDefinition<S, R> {
  return action;
}

export function defineModule(module: ModuleDefinition): ModuleDefinition {
  return module;
}

interface Registered {
  definition: ModuleDefinition;
  manifest: ModuleManifest;
}

function toManifest(module: ModuleDefinition): ModuleManifest {
  return {
    name: module.name,
    description: module.description,
    version: module.version,
    actions: Object.entries(module.actions).map(([name, action]) => ({
      name,
      description: action.description,
      paramsSchema: z.toJSONSchema(action.params, { io: 'input' }) as Record<string, unknown>,
      ...(action.timeoutMs === undefined ? {} : { timeoutMs: action.timeoutMs }),
    })),
  };
}

/**
 * The DAWG's module registry. A module declares actions with zod params schemas; the
 * registry validates calls against them and publishes them as JSON Schema in the manifest.
 */
export class ModuleRegistry {
  private readonly modules = new Map<string, Registered>();

  register(module: ModuleDefinition): void {
    parseInput(moduleName, module.name, 'module.name');
    if (this.modules.has(module.name)) throw new Error(`Module "${module.name}" is already registered`);
    for (const name of Object.keys(module.actions)) parseInput(actionName, name, `${module.name}.actions`);
    // Converting up front means a schema that cannot be published fails at start, not per request.
    this.modules.set(module.name, { definition: module, manifest: toManifest(module) });
  }

  names(): string[] {
    return [...this.modules.keys()];
  }

  manifest(): ModuleManifest[] {
    return [...this.modules.values()].map((m) => m.manifest);
  }

  async execute(request: ExecuteRequest, ctx: ActionContext): Promise<ExecuteResponse> {
    const registered = this.modules.get(request.module);
    if (!registered) {
      throw new NotFoundError(`Unknown module "${request.module}"`, { available: this.names() }, 'UNKNOWN_MODULE');
    }
    const action = registered.definition.actions[request.action];
    if (!action) {
      throw new NotFoundError(
        `Unknown action "${request.action}" in module "${request.module}"`,
        { module: request.module, available: Object.keys(registered.definition.actions) },
        'UNKNOWN_ACTION',
      );
    }
    const params = parseInput(action.params, request.params, 'params');
    const started = performance.now();
    const result = await action.handler(params, ctx);
    return {
      module: request.module,
      action: request.action,
      result,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
  }
}
