"""Optional integration test: the hooked patch on Windows Server 2022 (``make integ TESTS=integ_windows_hooked_patch``;
checked offline as a snapshot by ``make test``). Not in ``make integ``'s default set: a Windows instance costs
more, and Windows Update can take most of an hour.

The Windows hook scripts can only be parsed where the tests run (no PowerShell); this is where they run. The
demo app is a PowerShell script (tests/integ/windows_service.ps1) that the hooks' pidfile manager starts and
records. Through SSM: wait until the instance is online; run the start hook's document alone (it launches the
app and sees it healthy); send AWS-RunPatchBaselineWithHooks with the stack's hook documents (Install,
NoReboot) and wait until it succeeds with the stop and healthy lines; ask the instance whether the app answers
healthy. The app ignores the graceful stop (a console process without a window), so the stop hook escalates
to a kill after 10 seconds, as it is told to.
"""

from __future__ import annotations

from aws_cdk import App, Duration, Stack
from aws_cdk.integ_tests_alpha import IntegTest

from constructs_lib import (
    HookPlatform,
    LifecycleHooks,
    ServiceManager,
    StartAppHook,
    StopAppHook,
    UpdateAppHook,
)
from tests.integ.fixture import (
    STOPPED_AND_HEALTHY,
    WINDOWS_APP_DIR,
    assert_hooked_patch,
    weekly_workflow,
    windows_demo_instance,
)

PATCH_GROUP = "constructs-lib-integ-windows"
PREFIX = "IntegWindows"
SERVICE_NAME = "demo-app"
PORT = 8080
START_COMMAND = (
    f"powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File {WINDOWS_APP_DIR}\\service.ps1 "
    f"-Port {PORT}"
)


def windows_hooks(stack: Stack) -> LifecycleHooks:
    """The demo app's hooks, Windows only, with the app as a process the start hook records."""
    manager = ServiceManager.pidfile(start_command=START_COMMAND)
    windows = [HookPlatform.WINDOWS]
    return LifecycleHooks(
        pre_install=StopAppHook(
            stack,
            "StopAppGracefully",
            service_name=SERVICE_NAME,
            service_manager=manager,
            port=PORT,
            stop_timeout=Duration.seconds(10),
            escalate_to_kill=True,
            platforms=windows,
            document_name=f"{PREFIX}-StopAppGracefully",
        ),
        post_install=UpdateAppHook(
            stack, "UpdateApp", service_name=SERVICE_NAME, platforms=windows, document_name=f"{PREFIX}-UpdateApp"
        ),
        on_exit=StartAppHook(
            stack,
            "StartAppAndVerify",
            service_name=SERVICE_NAME,
            service_manager=manager,
            port=PORT,
            health_url=f"http://127.0.0.1:{PORT}/health",
            start_timeout=Duration.minutes(2),
            platforms=windows,
            document_name=f"{PREFIX}-StartAppAndVerify",
        ),
    )


def build(app: App) -> IntegTest:
    stack = Stack(app, "PatchHooksIntegWindows")
    fleet = windows_demo_instance(stack, PATCH_GROUP)
    hooks = windows_hooks(stack)
    weekly_workflow(stack, "Patching", fleet, PATCH_GROUP, hooks)
    integ = IntegTest(app, "WindowsHookedPatch", test_cases=[stack])
    assert_hooked_patch(
        integ,
        fleet,
        hooks,
        status="Success",
        phrases=STOPPED_AND_HEALTHY,
        start_first=True,
    )
    return integ


if __name__ == "__main__":
    application = App()
    build(application)
    application.synth()
