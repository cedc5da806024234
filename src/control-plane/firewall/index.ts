export { checkCommand, type CommandRequest, type DenialCode, type Verdict } from './command-validator';
export { CommandNotInstalledError, executeCommand, resolveExecutable, type ExecutionResult, type ExecutionSpec } from './command-executor';
export { compilePolicy, type ApprovalOverrides, type CommandLimits, type CompiledPolicy, type CompiledRule } from './compiled-policy';
export { DEFAULT_POLICY_FILE, FORBIDDEN_COMMANDS, FORBIDDEN_ENV, parsePolicy, PolicyError, policySchema, readPolicyFile, type PolicyFile, type PolicyRule } from './firewall-policy';
export { APPROVAL_STATUSES, ApprovalStore, type Approval, type ApprovalStatus } from './approval-store';
export { CommandDeniedError, TerminalFirewall, type ExecOutcome, type FirewallAuditSink, type FirewallEvents, type TerminalFirewallOptions } from './terminal-firewall';
