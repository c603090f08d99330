"""The hooks layer: hook scripts, hook documents and lifecycle hooks; ``app`` holds the typed app hooks
on one AppHook base. Imports ``core`` and ``_internal``; names are public through ``constructs_lib``."""
