import { z } from 'zod';

/** A Terraform resource address (aws_instance.web, module.db[0]). */
const TERRAFORM_ADDRESS = /^[A-Za-z0-9_.[\]-]{1,200}$/;
/**
 * A Pulumi resource URN: urn:pulumi:<stack>::<project>::<type>::<name>; a component's child's
 * type joins its parents' with `$` (my:Site$aws:s3/bucket:Bucket), which the shipped firewall
 * policy allows in pulumi's --target only.
 */
const PULUMI_URN = /^urn:pulumi:[A-Za-z0-9_.-]{1,100}::[A-Za-z0-9_.-]{1,100}::[A-Za-z0-9_.:\/$-]{1,300}::[A-Za-z0-9_.:\/@-]{1,200}$/;
/** A Terraform workspace name. */
const TERRAFORM_WORKSPACE = /^[A-Za-z0-9_-]{1,64}$/;
/** A CloudFormation stack name. */
const CLOUDFORMATION_STACK = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
/** A Pulumi stack: name, org/name or org/project/name. */
const PULUMI_STACK = /^([A-Za-z0-9_.-]{1,100}\/){0,2}[A-Za-z0-9_.-]{1,100}$/;

/** manage-infrastructure's parameters, apart from the action so that the control plane validates and documents the same object. */
export const manageInfrastructureParams = z
  .strictObject({
    action: z.enum(['plan', 'apply', 'destroy', 'validate', 'refresh']).describe('Infrastructure operation to perform (pulumi has no validate: plan runs pulumi preview)'),
    provider: z.enum(['terraform', 'cloudformation', 'pulumi']).describe('IaC provider to use'),
    workspace: z
      .string()
      .regex(/^[A-Za-z0-9_./-]{1,302}$/, 'must be a Terraform workspace or Pulumi stack name (letters, digits, _ . - and, for Pulumi, org/project/stack)')
      .optional()
      .describe('Workspace/environment name: the Terraform workspace (TF_WORKSPACE), the Pulumi stack (--stack), or the CloudFormation stack (required there)'),
    targetResources: z
      .array(z.string().max(1_000).regex(/^[A-Za-z0-9_.:\/$@[\]-]+$/, 'must be a resource address such as aws_instance.web (Terraform) or a resource URN (Pulumi)'))
      .max(20)
      .optional()
      .describe('Specific resources to target (optional): Terraform addresses, or Pulumi URNs; CloudFormation cannot target'),
    autoApprove: z.boolean().default(false).describe("Not honoured: apply and destroy (and refresh, except CloudFormation's drift detection) always wait for an admin's approval"),
  })
  .superRefine((p, ctx) => {
    if (p.provider === 'cloudformation') {
      if (p.workspace === undefined) ctx.addIssue({ code: 'custom', path: ['workspace'], message: 'is required with cloudformation: the stack name' });
      else if (!CLOUDFORMATION_STACK.test(p.workspace)) ctx.addIssue({ code: 'custom', path: ['workspace'], message: 'must be a CloudFormation stack name (a letter, then letters, digits and -; at most 128)' });
      if (p.targetResources?.length) ctx.addIssue({ code: 'custom', path: ['targetResources'], message: 'CloudFormation cannot target resources: a change set covers the whole stack' });
      return;
    }
    const terraform = p.provider === 'terraform';
    if (p.workspace !== undefined && !(terraform ? TERRAFORM_WORKSPACE : PULUMI_STACK).test(p.workspace)) {
      ctx.addIssue({ code: 'custom', path: ['workspace'], message: terraform ? 'must be a Terraform workspace name (letters, digits, _ -; at most 64)' : 'must be a Pulumi stack: name, org/name or org/project/name' });
    }
    for (const [i, target] of (p.targetResources ?? []).entries()) {
      if (terraform && !TERRAFORM_ADDRESS.test(target)) ctx.addIssue({ code: 'custom', path: ['targetResources', i], message: 'must be a Terraform resource address such as aws_instance.web' });
      if (p.provider === 'pulumi' && !PULUMI_URN.test(target)) {
        ctx.addIssue({ code: 'custom', path: ['targetResources', i], message: 'must be a Pulumi resource URN (urn:pulumi:<stack>::<project>::<type>::<name>, as pulumi stack --show-urns prints)' });
      }
    }
  });
