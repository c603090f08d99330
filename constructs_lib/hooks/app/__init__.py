"""The typed app hooks (stop, update, start and verify) on one AppHook base, their service manager and
parameters."""
