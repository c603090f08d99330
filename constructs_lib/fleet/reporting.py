"""ComplianceReportStack: the fleet's central compliance report, in its reporting account."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack
from constructs import Construct

from .._internal.rules import fail
from .._internal.typecheck import typed
from ..operations.compliance import ComplianceReport
from .description import FleetDescription


class ComplianceReportStack(Stack):
    """The bucket every stack of the fleet syncs its patch state to, its key, the Glue tables and the Athena
    queries over it, in the reporting account and region the fleet's ``reporting`` names.

    Source accounts are the CDK-stages accounts of every environment (StackSet accounts are not known when
    the template is built: list them with ComplianceReport yourself). Deploy it first: its output
    ComplianceKeyArn is the fleet file's ``reporting.kms_key_arn``.
    """

    @typed
    def __init__(self, scope: Construct, construct_id: str, *, fleet: FleetDescription, **kwargs: Any) -> None:
        """Define the stack.

        Args:
            fleet: the fleet description, with ``reporting``.
            kwargs: Stack keywords (stack_name, synthesizer, description, ...); env defaults to the reporting
                account and region.
        """
        reporting = fleet.reporting
        if reporting is None:
            fail("fleet has no reporting: set reporting (account, region, bucket_name, kms_key_arn) in its file")
        kwargs.setdefault("env", Environment(account=reporting.account, region=reporting.region))
        super().__init__(scope, construct_id, **kwargs)
        accounts, regions = fleet.source_places()
        self.report = ComplianceReport(
            self,
            "Report",
            source_accounts=[account for account in accounts if account != reporting.account],
            regions=list(dict.fromkeys([*regions, reporting.region])),
            bucket_name=reporting.bucket_name,
            prefix=reporting.prefix,
            database_name=f"{fleet.name.lower().replace('-', '_')}_patch_compliance",
            stale_after_days=reporting.stale_after_days,
            config_rule=reporting.config_rule,
        )
