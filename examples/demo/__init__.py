"""The demo: the default app's stack (``stack``), and the local service and rehearsal harness
(``service``, ``rehearse``) that `make rehearse` and the hook-script tests run. Not shipped in the wheel."""
