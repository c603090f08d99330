"""The operations layer: the one-statement PatchWorkflow, the patch-now association and the rollout
estimate. Imports ``hooks``, ``core`` and ``_internal``; names are public through ``constructs_lib``."""
