import { z } from 'zod';
import { auditEntrySchema, auditPageSchema } from '../../common/firewall-protocol';
import { wholeNumberFromText } from '../../common/validation';

/** Request and response schemas of the audit routes (validation and OpenAPI). */
const timestamp = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z' });

export const auditQuery = z.strictObject({
  type: z
    .string()
    .max(64)
    .regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*(\.\*)?$/, 'must be an entry type such as command.denied, or a prefix such as command.*')
    .optional()
    .describe('Exact type, or a prefix ending in .* (command.* matches command.denied, command.finished...)'),
  actor: z.string().min(1).max(200).optional().describe('Who acted: an API key id, an agent name, system'),
  subject: z.string().min(1).max(500).optional().describe('What was acted on: a command name, a route, a task id'),
  from: timestamp.optional().describe('Entries at or after this time'),
  to: timestamp.optional().describe('Entries before this time'),
  limit: wholeNumberFromText().min(1).max(500).default(100),
  before: wholeNumberFromText()
    .min(1)
    .optional()
    .describe('Cursor: the nextBefore of the previous page (entries with a lower seq)'),
});

export { auditEntrySchema, auditPageSchema };

const checkpointSchema = z.object({
  seq: z.number().int().describe('The last pruned entry'),
  hash: z.string(),
  pruned: z.number().int(),
  createdAt: z.string(),
});

export const auditVerifySchema = z.object({
  ok: z.boolean(),
  checked: z.number().int().describe('Entries that verified intact'),
  firstBroken: z
    .object({ seq: z.number().int(), id: z.string().nullable(), reason: z.string() })
    .optional()
    .describe('The first entry (or checkpoint) that fails, and why'),
  checkpoint: checkpointSchema.optional().describe('Where verification started, when older entries were pruned'),
  mirror: z
    .object({
      compared: z.number().int().describe('Mirrored entries compared with the database'),
      malformed: z.number().int().optional().describe('Stream messages without a well-formed seq and hash (not written by this log)'),
      unavailable: z.string().optional().describe('Why the mirror could not be read: the chain was verified, its newest entries were not compared'),
    })
    .optional()
    .describe('With REDIS_URL: the newest entries of the Redis mirror, checked to be in the database unchanged (shows the newest entries cut off or the tail rewritten)'),
  witness: z
    .object({
      file: z.string(),
      compared: z.number().int().describe("Heads from the file compared with the database (this database's, not those pruned since)"),
      malformed: z.number().int().optional().describe('Lines that are not a head'),
      unavailable: z.string().optional().describe('Why the file could not be read: the chain was verified, its newest entries were not compared'),
    })
    .optional()
    .describe('With AUDIT_WITNESS_FILE: the chain heads appended to that file, checked the same way'),
});
