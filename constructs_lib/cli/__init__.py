"""Command-line tools that work on deployed stacks or synthesized templates (not used at synth)."""
