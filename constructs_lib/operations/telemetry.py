"""Hook telemetry: numbers from the hooks' own lines, where the patch runs' output goes.

The hooks print a metric line (on their error stream) when the app was verified down, updated and healthy
again, and one ``FAILED:`` line when a hook fails (the contract: ``_internal/hook_lines.py``). With
``PatchWorkflow(telemetry=HookTelemetry())`` and command output to CloudWatch Logs, metric filters on that log
group turn them into metrics (namespace ``PatchHooks`` by default): ``StopSeconds``, ``UpdateSeconds`` and
``TimeToHealthySeconds`` by ``Service``, and ``StopFailures``, ``UpdateFailures``, ``StartFailures``. The
filters and the failure alarm are defined once per log group (``HookMetrics``), however many workflows write
to it; each workflow adds its time-to-healthy alarms, rules counting its window's runs (a failed or
timed-out run also alerts) and a dashboard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_logs as logs
from constructs import Construct

from .._internal.constants import WINDOW_EXECUTION_EVENT, WINDOW_FAILED_STATUSES
from .._internal.event_patterns import window_event_pattern
from .._internal.hook_lines import FAILURES, HEALTHY, LINE_METRICS, STOPPED, UPDATED, LineMetric
from .._internal.rules import check_pattern, fail
from .._internal.typecheck import check_fields
from .._internal.validation import whole_seconds
from ..core.command_output import CommandOutput
from ..core.maintenance_window import MaintenanceWindow
from .alerts import alert_on, alert_rule

NAMESPACE = "PatchHooks"
# A CloudWatch namespace (PutMetricData) that PutMetricFilter also takes (its model refuses ":", "*" and "$").
_NAMESPACE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/#-]{0,254}$")
_PERIOD = Duration.minutes(5)


@dataclass(frozen=True)
class HookTelemetry:
    """What PatchWorkflow's ``telemetry`` keyword defines: hook metrics, alarms and a dashboard.

    Args:
        namespace: the CloudWatch namespace of the hook metrics (one per log group). Default: "PatchHooks".
        alarm_on_failure: an alarm when any hook writing to the workflow's output fails (a ``FAILED:`` line), to
            the stack's alerts topic; one per log group, shared by the workflows writing there. Default: True.
        time_to_healthy: an alarm when an app of the workflow takes longer than this from start to healthy
            (the start hook's own timeout fails the hook instead). Default: none.
        dashboard: a CloudWatch dashboard of the workflow's runs (succeeded, failed), hook timings and failures,
            and instances turning non-compliant (with compliance_alerts). Default: True.
    """

    namespace: str = NAMESPACE
    alarm_on_failure: bool = True
    time_to_healthy: Duration | None = None
    dashboard: bool = True

    def __post_init__(self) -> None:
        check_fields(self)
        check_pattern("telemetry.namespace", self.namespace, _NAMESPACE_PATTERN, "a CloudWatch namespace")
        if self.namespace.startswith("AWS/"):
            fail(f"telemetry.namespace must not start with AWS/ (reserved for AWS); got {self.namespace!r}")
        whole_seconds("telemetry.time_to_healthy", self.time_to_healthy, 1, 3600)


class HookMetrics(Construct):
    """The metric filters on one command output log group: one per line of the hook contract. Use
    ``HookMetrics.of(output, namespace)``: a log group gets them once."""

    def __init__(self, scope: Construct, construct_id: str, *, log_group: logs.ILogGroup, namespace: str) -> None:
        super().__init__(scope, construct_id)
        self.namespace = namespace
        self.filters = {line.metric_name: self._filter(log_group, line) for line in LINE_METRICS}

    @staticmethod
    def of(output: CommandOutput, namespace: str) -> HookMetrics:
        """The hook metrics of ``output``'s log group, defined on first use."""
        if output.log_group is None:
            fail("telemetry needs output with cloudwatch_output=True: the hook lines are read from its log group")
        existing = output.node.try_find_child("HookMetrics")
        if isinstance(existing, HookMetrics):
            if existing.namespace != namespace:
                fail(
                    f"telemetry.namespace {namespace!r} differs from {existing.namespace!r}, which another workflow "
                    "gave the same output: one log group publishes its hook metrics to one namespace"
                )
            return existing
        return HookMetrics(output, "HookMetrics", log_group=output.log_group, namespace=namespace)

    def _filter(self, log_group: logs.ILogGroup, line: LineMetric) -> logs.MetricFilter:
        pattern: logs.IFilterPattern
        if line.phrase is not None:  # a term: found anywhere in an event, however many lines it holds
            pattern = logs.FilterPattern.literal(json.dumps(line.phrase))
        else:
            delimited = logs.FilterPattern.space_delimited(*line.fields)
            for name, word in line.words:
                delimited = delimited.where_string(name, "=", word)
            pattern = delimited
        return logs.MetricFilter(
            self,
            line.metric_name,
            log_group=log_group,
            filter_pattern=pattern,
            metric_namespace=self.namespace,
            metric_name=line.metric_name,
            metric_value=f"${line.value_field}" if line.value_field else "1",
            dimensions={"Service": f"${line.service_field}"} if line.service_field else None,
            unit=cloudwatch.Unit.SECONDS if line.value_field else cloudwatch.Unit.COUNT,
        )

    def failure_alarm(self) -> cloudwatch.Alarm:
        """One alarm on any hook failure in the log group (its failure lines name no workflow: one alarm, however
        many workflows write here), to the stack's alerts topic; defined on first use."""
        existing = self.node.try_find_child("HookFailuresAlarm")
        if isinstance(existing, cloudwatch.Alarm):
            return existing
        alarm = self.failures().create_alarm(
            self,
            "HookFailuresAlarm",
            alarm_description="A patch lifecycle hook failed (a FAILED: line in the command output)",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alert_on(alarm)
        return alarm

    def failures(self) -> cloudwatch.MathExpression:
        """Failed hook runs of every hook, summed over five minutes."""
        metrics = {line.metric_name.lower(): self.metric(line, "Sum") for line in FAILURES}
        return cloudwatch.MathExpression(
            expression=" + ".join(f"FILL({name}, 0)" for name in metrics),
            using_metrics=metrics,
            label="hook failures",
            period=_PERIOD,
        )

    def metric(self, line: LineMetric, statistic: str, service: str | None = None) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=self.namespace,
            metric_name=line.metric_name,
            dimensions_map={"Service": service} if service else None,
            statistic=statistic,
            period=_PERIOD,
            label=f"{line.metric_name} {service}" if service else line.metric_name,
        )


def define_telemetry(
    scope: Construct,
    options: HookTelemetry,
    *,
    output: CommandOutput,
    services: Sequence[str],
    window: MaintenanceWindow,
    compliance_rule: events.CfnRule | None = None,
) -> HookMetrics:
    """The workflow's part: the log group's metrics (shared), then its alarms (to the stack's alerts topic),
    the rules that count its window's runs (a failed run also alerts) and its dashboard."""
    metrics = HookMetrics.of(output, options.namespace)
    runs = _run_rules(scope, window)
    if options.alarm_on_failure:
        metrics.failure_alarm()
    if options.time_to_healthy is not None:
        limit = options.time_to_healthy.to_seconds()
        for service in services:
            alarm = metrics.metric(HEALTHY, "Maximum", service).create_alarm(
                scope,
                f"SlowToHealthy{service}",
                alarm_description=f"{service} took longer than {limit:g} s from start to healthy after patching",
                threshold=limit,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alert_on(alarm)
    if options.dashboard:
        _dashboard(scope, metrics, services, runs, compliance_rule)
    return metrics


def _run_rules(scope: Construct, window: MaintenanceWindow) -> dict[str, events.CfnRule]:
    """Rules on the window's executions: succeeded (counted), and failed or timed out (counted, and a readable
    alert to the stack's alerts topic)."""

    def pattern(statuses: Sequence[str]) -> dict[str, Any]:
        return window_event_pattern([WINDOW_EXECUTION_EVENT], [window.window_id], statuses)

    succeeded = events.CfnRule(
        scope, "SucceededRuns", description="Counts the window's successful runs", event_pattern=pattern(["SUCCESS"])
    )
    failed = alert_rule(
        scope,
        "FailedRuns",
        description="A patch window run failed or timed out: tell the alerts topic",
        pattern=pattern(WINDOW_FAILED_STATUSES),
        paths={
            "window": "$.detail.window-id",
            "execution": "$.detail.window-execution-id",
            "status": "$.detail.status",
        },
        message="Patch window <window> in account <account>, <region>: execution <execution> ended <status>. See its "
        "task invocations: aws ssm describe-maintenance-window-execution-tasks --window-execution-id <execution> "
        "--region <region>",
    )
    return {"succeeded": succeeded, "failed": failed}


def _matched(rule: events.CfnRule, label: str) -> cloudwatch.Metric:
    """How many events the rule matched (AWS/Events MatchedEvents, by rule name), per day."""
    return cloudwatch.Metric(
        namespace="AWS/Events",
        metric_name="MatchedEvents",
        dimensions_map={"RuleName": rule.ref},
        statistic="Sum",
        period=Duration.days(1),
        label=label,
    )


def _dashboard(
    scope: Construct,
    metrics: HookMetrics,
    services: Sequence[str],
    runs: dict[str, events.CfnRule],
    compliance_rule: events.CfnRule | None,
) -> cloudwatch.Dashboard:
    """Per workflow: its runs' outcomes, how long its apps were down and took to come back, hook failures,
    and instances turning non-compliant."""
    dashboard = cloudwatch.Dashboard(scope, "Dashboard", default_interval=Duration.days(7))
    outcomes = [_matched(runs["succeeded"], "runs succeeded"), _matched(runs["failed"], "runs failed or timed out")]
    if compliance_rule is not None:
        outcomes.append(_matched(compliance_rule, "instances turning non-compliant"))
    dashboard.add_widgets(cloudwatch.GraphWidget(title="Patch runs and compliance, per day", left=outcomes, width=24))
    timings = [
        cloudwatch.GraphWidget(
            title=f"{line.metric_name} (maximum)",
            left=[metrics.metric(line, "Maximum", service) for service in services]
            or [_search(metrics.namespace, line)],
            width=8,
        )
        for line in (STOPPED, UPDATED, HEALTHY)
    ]
    dashboard.add_widgets(*timings)
    dashboard.add_widgets(
        cloudwatch.GraphWidget(title="Hook failures", left=[metrics.failures()], width=12),
        cloudwatch.SingleValueWidget(
            title="Hook failures, last 7 days",
            metrics=[metrics.failures().with_(period=Duration.days(7))],
            width=12,
        ),
    )
    return dashboard


def _search(namespace: str, line: LineMetric) -> cloudwatch.MathExpression:
    """Every service's series of one metric (services not known at synth, e.g. hooks of your own)."""
    return cloudwatch.MathExpression(
        expression=f"SEARCH('{{{namespace},Service}} MetricName=\"{line.metric_name}\"', 'Maximum', 300)",
        using_metrics={},
        label=line.metric_name,
    )
