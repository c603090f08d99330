"""Integration test: the failure path (``make integ``; checked offline as a snapshot by ``make test``).

The pre-install hook is made to fail (a hook whose script exits 1): AWS-RunPatchBaselineWithHooks must end
Failed, installing nothing, yet still run the on-exit hook, which starts the app and verifies it healthy; then
the instance is asked whether the app answers healthy.
"""

from __future__ import annotations

from aws_cdk import App, Stack
from aws_cdk.integ_tests_alpha import IntegTest

from examples.demo.stack import demo_hooks
from tests.integ.fixture import assert_hooked_patch, demo_instance, weekly_workflow, with_failing_pre_install

PATCH_GROUP = "constructs-lib-integ-failure"


def build(app: App) -> IntegTest:
    stack = Stack(app, "PatchHooksIntegFailure")
    fleet = demo_instance(stack, PATCH_GROUP)
    hooks = with_failing_pre_install(
        stack, demo_hooks(stack, "IntegFailure"), "IntegFailure", "the pre-install hook fails on purpose"
    )
    weekly_workflow(stack, "Patching", fleet, PATCH_GROUP, hooks)
    integ = IntegTest(app, "HookFailure", test_cases=[stack])
    assert_hooked_patch(
        integ,
        fleet,
        hooks,
        status="Failed",
        phrases=[
            "integ: the pre-install hook fails on purpose",
            "start_app_and_verify: demo-app is already running and healthy",
        ],
    )
    return integ


if __name__ == "__main__":
    application = App()
    build(application)
    application.synth()
