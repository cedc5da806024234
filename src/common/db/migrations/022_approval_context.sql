-- What a held command would do, as the service that asked for it saw it (the resource changes
-- of the plan a CloudFormation, Terraform or Pulumi apply carries out), so whoever decides sees
-- it next to the command. NULL for commands asked for without it.
ALTER TABLE command_approvals ADD COLUMN context jsonb;
