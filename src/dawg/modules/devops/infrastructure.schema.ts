import { z } from 'zod';

/** manage-infrastructure's parameters, apart from the action so that the control plane validates and documents the same object. */
export const manageInfrastructureParams = z.strictObject({
  action: z.enum(['plan', 'apply', 'destroy', 'validate', 'refresh']).describe('Infrastructure operation to perform'),
  provider: z.enum(['terraform', 'cloudformation', 'pulumi']).describe('IaC provider to use (terraform is supported)'),
  workspace: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a workspace name (letters, digits, _ -)').optional().describe('Workspace/environment name (TF_WORKSPACE)'),
  targetResources: z
    .array(z.string().regex(/^[A-Za-z0-9_.[\]-]{1,200}$/, 'must be a resource address such as aws_instance.web'))
    .max(20)
    .optional()
    .describe('Specific resources to target (optional)'),
  autoApprove: z.boolean().default(false).describe('Not honoured: apply, destroy and refresh always wait for an admin\'s approval'),
});
