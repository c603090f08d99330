"""Integration test: the brake, a failed canary halts the main wave (``make integ``; checked offline as a
snapshot by ``make test``).

Two waves of PatchWaves over one demo instance: a canary window that opens every quarter hour (so the test
waits at most 15 minutes for it) and whose pre-install hook fails on purpose, then the main window. The
canary's window execution ends FAILED; the brake's rule starts the halt runbook, which records the halt,
disables the main window and announces it. The assertions wait until GetMaintenanceWindow says the main
window is disabled, then check the halt record names the canary's failed execution, the halt runbook's
execution succeeded (its last step publishes the announcement), and the canary's output holds its failing
hook's line.
"""

from __future__ import annotations

from aws_cdk import App, Duration, Stack, Tags
from aws_cdk import aws_ssm as ssm
from aws_cdk.integ_tests_alpha import ExpectedResult, IApiCall, IntegTest, Match

from constructs_lib import PatchWaves, PatchWorkflow, WindowSchedule, WindowTargets
from examples.demo.stack import demo_hooks
from tests.integ.fixture import (
    INTERVAL,
    SHORT_TIMEOUT,
    TOTAL_TIMEOUT,
    acknowledge_assertion_providers,
    demo_instance,
    in_order,
    logged,
    online,
    ready,
    weekly_workflow,
    with_failing_pre_install,
)

PATCH_GROUP = "constructs-lib-integ-brake"


def build(app: App) -> IntegTest:
    stack = Stack(app, "PatchHooksIntegBrake")
    fleet = demo_instance(stack, PATCH_GROUP)
    Tags.of(fleet.instance).add("Canary", "true")
    demo = demo_hooks(stack, "IntegBrake")
    failing = with_failing_pre_install(stack, demo, "IntegBrake", "the canary breaks the app on purpose")
    canary = PatchWorkflow(
        stack,
        "Canary",
        schedule=WindowSchedule.cron("0/15 * * * ? *"),
        duration=Duration.hours(1),
        targets=WindowTargets.from_tags({"PatchGroup": [PATCH_GROUP], "Canary": ["true"]}),
        hooks=failing,
        output=fleet.output,
    )
    main = weekly_workflow(stack, "Main", fleet, PATCH_GROUP, demo)
    # The canary opens every quarter hour so the test need not wait a day; in production it would run
    # before the main window, which check_order enforces.
    waves = PatchWaves(stack, "Waves", waves=[canary, main], check_order=False)
    integ = IntegTest(app, "Brake", test_cases=[stack])
    record = waves.halt_records[main.window]
    halt_runbook = waves.node.find_child("HaltAfterCanary")
    assert isinstance(halt_runbook, ssm.CfnDocument)
    steps = [
        online(integ, fleet),
        *ready(integ, fleet),
        _disabled(integ, main.window.window_id),
        _halt_record(integ, record.ref),
        _halt_runbook_succeeded(integ, halt_runbook.ref),
        # The failure the brake answered is the canary's hook, not a delivery error.
        logged(integ, fleet, "integ: the canary breaks the app on purpose"),
    ]
    acknowledge_assertion_providers(integ)
    in_order(steps)
    return integ


def _disabled(integ: IntegTest, window_id: str) -> IApiCall:
    """Wait until the main window is disabled (the halt runbook's UpdateMaintenanceWindow Enabled=false)."""
    return (
        integ.assertions.aws_api_call("SSM", "getMaintenanceWindow", {"WindowId": window_id})
        .expect(ExpectedResult.object_like({"WindowId": window_id, "Enabled": False}))
        .wait_for_assertions(total_timeout=TOTAL_TIMEOUT, interval=INTERVAL)
    )


def _halt_record(integ: IntegTest, name: str) -> IApiCall:
    """The main wave's halt record names the canary's failed window execution (so the gate keeps it shut)."""
    record = integ.assertions.aws_api_call("SSM", "getParameter", {"Name": name})
    value = Match.string_like_regexp(
        "^halted after PatchHooksIntegBrake/Canary \\(account .*\\): window execution \\S+ ended FAILED$"
    )
    record.expect(ExpectedResult.object_like({"Parameter": {"Value": value}}))
    return record


def _halt_runbook_succeeded(integ: IntegTest, name: str) -> IApiCall:
    """The halt runbook ran to its end: its last step published the announcement to the brake's topic (it
    may still be publishing when the window shows disabled, so this waits a little)."""
    executions = integ.assertions.aws_api_call(
        "SSM",
        "describeAutomationExecutions",
        {
            "Filters": [
                {"Key": "DocumentNamePrefix", "Values": [name]},
                {"Key": "ExecutionStatus", "Values": ["Success"]},
            ],
            "MaxResults": 1,
        },
    )
    return executions.assert_at_path(
        "AutomationExecutionMetadataList.0.DocumentName", ExpectedResult.string_like_regexp(f"^{name}$")
    ).wait_for_assertions(total_timeout=SHORT_TIMEOUT, interval=INTERVAL)


if __name__ == "__main__":
    application = App()
    build(application)
    application.synth()
