"""Integration test: the hooked patch, happy path, on a real instance (``make integ``; checked offline as a
snapshot by ``make test``).

Deploys the demo app on one Amazon Linux 2023 instance with the library's typed hooks and a workflow for its
patch group, then, through SSM: waits until the instance is online, sends AWS-RunPatchBaselineWithHooks with
the stack's hook documents (Install, NoReboot), waits until it succeeds with the hooks' stop and healthy lines in
its output, and asks the instance whether the app answers healthy.
"""

from __future__ import annotations

from aws_cdk import App, Stack
from aws_cdk.integ_tests_alpha import IntegTest

from examples.demo.stack import demo_hooks
from tests.integ.fixture import STOPPED_AND_HEALTHY, assert_hooked_patch, demo_instance, weekly_workflow

PATCH_GROUP = "constructs-lib-integ-happy"


def build(app: App) -> IntegTest:
    stack = Stack(app, "PatchHooksIntegHappy")
    fleet = demo_instance(stack, PATCH_GROUP)
    hooks = demo_hooks(stack, "IntegHappy")
    weekly_workflow(stack, "Patching", fleet, PATCH_GROUP, hooks)
    integ = IntegTest(app, "HookedPatch", test_cases=[stack])
    assert_hooked_patch(
        integ,
        fleet,
        hooks,
        status="Success",
        phrases=STOPPED_AND_HEALTHY,
    )
    return integ


if __name__ == "__main__":
    application = App()
    build(application)
    application.synth()
