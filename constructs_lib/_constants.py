"""Plain constants shared by the constructs and the command-line tools (no CDK import here)."""

# The AWS-owned document that runs patching with the three lifecycle hooks.
PATCH_DOCUMENT = "AWS-RunPatchBaselineWithHooks"
