import { z } from 'zod';
import { printableId } from '../../../common/validation';

/** Kinds the control plane records itself. Others are accepted if they match {@link NAME}. */
export const GRAPH_NODE_KINDS = ['user', 'project', 'session', 'agent', 'task', 'track', 'campaign', 'memory', 'module'] as const;
/** Edge types written by `recordWork`. */
export const WORK_EDGE_TYPES = ['started', 'requested', 'handled_by', 'worked_on', 'part_of'] as const;

/** Kinds and edge types: short snake_case words, the same pattern the migration checks. */
const NAME = /^[a-z][a-z0-9_]{0,39}$/;
const MAX_PROPERTIES_BYTES = 16_384;

export const GraphNodeIdSchema = printableId(256).describe('Node id, by convention "<kind>:<key>", e.g. "user:42"');
export const GraphNodeKindSchema = z
  .string()
  .regex(NAME, 'must be snake_case: a-z, 0-9, _ (up to 40)')
  .describe(`Node kind: ${GRAPH_NODE_KINDS.join(', ')}, or another snake_case word`);
export const GraphEdgeTypeSchema = z.string().regex(NAME, 'must be snake_case: a-z, 0-9, _ (up to 40)').describe('Edge type, e.g. "started", "handled_by"');
export const GraphDirectionSchema = z.enum(['out', 'in', 'both']);

/** Free-form JSON properties, bounded in size so one node cannot bloat every traversal. */
export const GraphPropertiesSchema = z
  .record(z.string().min(1).max(100), z.json())
  .refine((p) => Buffer.byteLength(JSON.stringify(p)) <= MAX_PROPERTIES_BYTES, `must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`);

export const GraphNodeInputSchema = z.strictObject({
  id: GraphNodeIdSchema,
  kind: GraphNodeKindSchema,
  /** Absent: the id on insert, the stored label on update. */
  label: z.string().min(1).max(500).optional(),
  /** Merged (shallow) into the stored properties. */
  properties: GraphPropertiesSchema.optional(),
});

export const GraphEdgeInputSchema = z
  .strictObject({
    from: GraphNodeIdSchema,
    to: GraphNodeIdSchema,
    type: GraphEdgeTypeSchema,
    properties: GraphPropertiesSchema.optional(),
  })
  .refine((e) => e.from !== e.to, { message: 'a node cannot link to itself', path: ['to'] });

const MAX_BATCH = 1_000;
export const GraphNodeBatchSchema = z.array(GraphNodeInputSchema).min(1).max(MAX_BATCH);
export const GraphEdgeBatchSchema = z.array(GraphEdgeInputSchema).min(1).max(MAX_BATCH);

const WorkKeySchema = printableId(200);
/** A user id: only nodes without a userId property, or with this one, are seen and walked through. */
const VisibleToSchema = WorkKeySchema.optional().describe("Only shared nodes and this user's own (by their userId property)");

const EdgeTypesSchema = z.array(GraphEdgeTypeSchema).min(1).max(20).optional().describe('Only edges of these types (default: all)');

export const NeighboursQuerySchema = z.strictObject({
  direction: GraphDirectionSchema.default('both'),
  types: EdgeTypesSchema,
  limit: z.int().min(1).max(500).default(50),
  visibleTo: VisibleToSchema,
});

export const TraverseQuerySchema = z.strictObject({
  depth: z.int().min(1).max(6).default(2),
  direction: GraphDirectionSchema.default('out'),
  types: EdgeTypesSchema,
  /** Nodes returned, the start included. */
  limit: z.int().min(1).max(1_000).default(100),
  visibleTo: VisibleToSchema,
});

export const ShortestPathQuerySchema = z.strictObject({
  maxDepth: z.int().min(1).max(6).default(4),
  direction: GraphDirectionSchema.default('both'),
  types: EdgeTypesSchema,
  visibleTo: VisibleToSchema,
});

/** Exact property values to match by containment; at least one, so an empty filter cannot erase the graph. */
export const GraphPropertyFilterSchema = z
  .record(z.string().min(1).max(100), z.union([z.string().max(1_000), z.number(), z.boolean()]))
  .refine((f) => Object.keys(f).length >= 1 && Object.keys(f).length <= 10, 'must name 1 to 10 properties');

export const RecordWorkSchema = z.strictObject({
  userId: WorkKeySchema.optional(),
  sessionId: WorkKeySchema.optional(),
  taskId: WorkKeySchema,
  agent: WorkKeySchema,
  projectId: WorkKeySchema.optional(),
  trackId: WorkKeySchema.optional(),
});

export type GraphDirection = z.infer<typeof GraphDirectionSchema>;
export type GraphProperties = z.infer<typeof GraphPropertiesSchema>;
export type GraphNodeInput = z.input<typeof GraphNodeInputSchema>;
export type GraphEdgeInput = z.input<typeof GraphEdgeInputSchema>;
export type NeighboursQuery = z.input<typeof NeighboursQuerySchema>;
export type TraverseQuery = z.input<typeof TraverseQuerySchema>;
export type ShortestPathQuery = z.input<typeof ShortestPathQuerySchema>;
export type GraphPropertyFilter = z.infer<typeof GraphPropertyFilterSchema>;
export type RecordWorkInput = z.input<typeof RecordWorkSchema>;

export interface GraphNode {
  id: string;
  kind: string;
  label: string;
  properties: GraphProperties;
  createdAt: string;
  updatedAt: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  type: string;
  properties: GraphProperties;
  createdAt: string;
}

/** A neighbour and the edge that links it; `direction` is 'out' when the edge leaves the asked node. */
export interface GraphNeighbour {
  node: GraphNode;
  edge: GraphEdge;
  direction: 'out' | 'in';
}

export interface GraphTraversal {
  /** Nearest first: the start at depth 0, then by depth and id. */
  nodes: Array<{ node: GraphNode; depth: number }>;
  /** Every edge of the allowed types between two returned nodes. */
  edges: GraphEdge[];
  /** More nodes were reachable than the limit (or the walk's row budget) allowed. */
  truncated: boolean;
}

/** nodes[0] is `from`, the last is `to`; edges[i] links nodes[i] and nodes[i + 1] (its from/to give its direction). */
export interface GraphPath {
  nodes: GraphNode[];
  edges: GraphEdge[];
  length: number;
}
