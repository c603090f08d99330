"""The fleet layer: the organisation rollout (fleet description, per-environment stacks, stages,
StackSets) and stack packing with CloudFormation's limits. ``description`` imports no CDK, so checking a
fleet file needs no jsii runtime."""
