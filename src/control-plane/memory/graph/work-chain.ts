import type { z } from 'zod';
import type { RecordWorkSchema } from './graph-schemas';
import type { EdgeWrite, NodeWrite } from './graph-writes';

/** The id of the node for `key` of `kind`: "user:42", "project:album-1". */
export const graphNodeId = (kind: string, key: string): string => `${kind}:${key}`;

/**
 * The nodes and edges of one piece of work:
 *
 *   user -started-> session -requested-> task -handled_by-> agent
 *   (user -requested-> task when there is no session)
 *   task -worked_on-> project, task -worked_on-> track, track -part_of-> project
 *
 * User, session and task are personal: they carry {userId}, so erasing a user removes them.
 * Agents, projects and tracks are shared and keep no user's id.
 */
export function workChain(input: z.output<typeof RecordWorkSchema>): { nodes: NodeWrite[]; edges: EdgeWrite[] } {
  const personal = input.userId === undefined ? undefined : { userId: input.userId };
  const user = input.userId === undefined ? undefined : graphNodeId('user', input.userId);
  const session = input.sessionId === undefined ? undefined : graphNodeId('session', input.sessionId);
  const task = graphNodeId('task', input.taskId);
  const agent = graphNodeId('agent', input.agent);
  const project = input.projectId === undefined ? undefined : graphNodeId('project', input.projectId);
  const track = input.trackId === undefined ? undefined : graphNodeId('track', input.trackId);

  const nodes: NodeWrite[] = [
    { id: task, kind: 'task', properties: personal },
    { id: agent, kind: 'agent' },
  ];
  const edges: EdgeWrite[] = [{ from: task, to: agent, type: 'handled_by' }];
  if (user) nodes.push({ id: user, kind: 'user', properties: personal });
  if (session) nodes.push({ id: session, kind: 'session', properties: personal });
  if (user && session) edges.push({ from: user, to: session, type: 'started' });
  if (session) edges.push({ from: session, to: task, type: 'requested' });
  else if (user) edges.push({ from: user, to: task, type: 'requested' });
  if (project) {
    nodes.push({ id: project, kind: 'project' });
    edges.push({ from: task, to: project, type: 'worked_on' });
  }
  if (track) {
    nodes.push({ id: track, kind: 'track' });
    edges.push({ from: task, to: track, type: 'worked_on' });
    if (project) edges.push({ from: track, to: project, type: 'part_of' });
  }
  return { nodes, edges };
}
