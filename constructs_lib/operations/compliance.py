"""Compliance across accounts: every account and region syncs its patch state into one bucket (Resource Data
Sync), where Glue tables and Athena named queries answer the morning-after questions.

``ComplianceReport`` is the central side, in the reporting account (or the only one): the bucket, its key,
the bucket and key policies the syncs need (each source account may write only its own ``accountid=``
folder, only through its resource data syncs), the Glue database and tables over the sync's layout (partition
projection over the given accounts and regions: no crawler, no MSCK REPAIR), an Athena workgroup and the named
queries, and this account's own sync. ``ComplianceSync`` is the source side, one per account and region.
Facts and sources: ``../shared/reference/automation-events-compliance.md`` sections 4 and 5.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_config as config
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._internal.compliance_queries import PARTITION_KEYS, RESOURCE_TYPE, TABLES, SyncedTable, queries
from .._internal.nag import acknowledge
from .._internal.rules import (
    ACCOUNT_PATTERN,
    ACCOUNT_RULE,
    BUCKET_NAME_PATTERN,
    BUCKET_NAME_RULE,
    KMS_KEY_ARN_PATTERN,
    KMS_KEY_ARN_RULE,
    REGION_PATTERN,
    REGION_RULE,
    S3_PREFIX_PATTERN,
    S3_PREFIX_RULE,
    check_count,
    check_pattern,
    check_unique,
    fail,
)
from .._internal.typecheck import typed
from .._internal.validation import is_unresolved, whole_units
from ..core.command_output import log_access, secure_bucket

_SYNC_NAME = r"^[A-Za-z0-9_.-]{1,64}$"  # API model ResourceDataSyncName (1 to 64)
_DATABASE = r"^[a-z0-9_]{1,255}$"
_SERDE = "org.openx.data.jsonserde.JsonSerDe"
DEFAULT_PREFIX = "patch-compliance"
DEFAULT_SYNC_NAME = "patch-compliance"


def _check(keyword: str, value: str | None, pattern: str, rule: str) -> None:
    if value is not None and not is_unresolved(value):
        check_pattern(keyword, value, re.compile(pattern), rule)


class ComplianceSync(Construct):
    """This account's and region's inventory and compliance, synced to a central bucket (one
    ``AWS::SSM::ResourceDataSync``; every property but the source is replaced on change).

    Exposes ``cfn_sync`` and ``sync_name``.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        bucket_region: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        kms_key_arn: str | None = None,
        sync_name: str = DEFAULT_SYNC_NAME,
    ) -> None:
        """Define the sync.

        Args:
            bucket_name: the central bucket (ComplianceReport's ``bucket_name``).
            bucket_region: its region. Default: this stack's region.
            prefix: the folder the report reads, 1 to 64 characters. Default: "patch-compliance".
            kms_key_arn: the key the bucket requires (ComplianceReport's ``key_arn``), in the bucket's region.
                Default: none (the bucket's default encryption).
            sync_name: the sync's name, unique in the account and region. Default: "patch-compliance".
        """
        super().__init__(scope, construct_id)
        _check("bucket_name", bucket_name, BUCKET_NAME_PATTERN, BUCKET_NAME_RULE)
        _check("bucket_region", bucket_region, REGION_PATTERN, REGION_RULE)
        _check("prefix", prefix, S3_PREFIX_PATTERN, S3_PREFIX_RULE)
        _check("kms_key_arn", kms_key_arn, KMS_KEY_ARN_PATTERN, KMS_KEY_ARN_RULE)
        _check("sync_name", sync_name, _SYNC_NAME, "1 to 64 letters, digits, _ . -")
        self.sync_name = sync_name
        self.cfn_sync = ssm.CfnResourceDataSync(
            self,
            "Resource",
            sync_name=sync_name,
            s3_destination=ssm.CfnResourceDataSync.S3DestinationProperty(
                bucket_name=bucket_name,
                bucket_region=bucket_region or Stack.of(self).region,
                sync_format="JsonSerDe",
                bucket_prefix=prefix,
                kms_key_arn=kms_key_arn,
            ),
        )


class ComplianceReport(Construct):
    """The central bucket of the fleet's patch state, its queries, and this account's sync into it.

    Exposes ``bucket``, ``key``, ``database_name``, ``workgroup``, ``named_queries`` (by name), ``tables``,
    ``sync`` and ``config_rule``.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_accounts: Sequence[str] = (),
        regions: Sequence[str] = (),
        bucket_name: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        database_name: str = "patch_compliance",
        stale_after_days: int = 7,
        expire_after: Duration | None = None,
        config_rule: bool = False,
    ) -> None:
        """Define the report.

        Args:
            source_accounts: the other accounts whose syncs may write here (each only its own folder).
                Default: none, this account only.
            regions: the regions the syncs run in (the tables' partitions). Default: this stack's region.
            bucket_name: a fixed name, for the other accounts' syncs to name. Default: a generated name.
            prefix: the folder the syncs write under. Default: "patch-compliance".
            database_name: the Glue database, lower-case letters, digits and _. Default: "patch_compliance".
            stale_after_days: the age, in days, at which the patch-state-older-than-days query lists an
                instance, 1 to 365. Default: 7.
            expire_after: how long a file stays without an update (a deleted instance's file is never updated
                again), whole days. Default: 90 days.
            config_rule: also AWS Config's managed rule EC2_MANAGEDINSTANCE_PATCH_COMPLIANCE_STATUS_CHECK (it
                needs a Config recorder recording AWS::SSM::PatchCompliance; not in every region). Default: False.
        """
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        named = queries(stale_after_days)  # checks stale_after_days
        for account in source_accounts:
            _check("source_accounts", account, ACCOUNT_PATTERN, ACCOUNT_RULE)
        for region in regions:
            _check("regions", region, REGION_PATTERN, REGION_RULE)
        check_count("source_accounts", source_accounts, 0, 100)
        check_unique("source_accounts", list(source_accounts))
        check_unique("regions", list(regions))
        _check("bucket_name", bucket_name, BUCKET_NAME_PATTERN, BUCKET_NAME_RULE)
        _check("prefix", prefix, S3_PREFIX_PATTERN, S3_PREFIX_RULE)
        _check("database_name", database_name, _DATABASE, "lower-case letters, digits and _")
        days = whole_units("expire_after", expire_after or Duration.days(90), "days")
        if days is not None and not is_unresolved(days) and not 1 <= days <= 3650:
            fail(f"expire_after must be 1 to 3650 days; got {days}")
        self.accounts = list(dict.fromkeys([stack.account, *source_accounts]))
        self.regions = list(regions) or [stack.region]
        self.prefix = prefix
        self.database_name = database_name
        self.key = kms.Key(
            self, "Key", enable_key_rotation=True, description="Patch compliance report: the synced patch state"
        )
        access_logs = secure_bucket(self, "AccessLogs", days or 90)
        acknowledge(
            access_logs,
            "S1",
            reason="This bucket receives the report bucket's access logs; logging its own access would recurse.",
            checkov=("CKV_AWS_18",),
        )
        self.bucket = secure_bucket(self, "Bucket", days or 90, self.key)
        if bucket_name is not None:
            cfn_bucket = self.bucket.node.default_child
            assert isinstance(cfn_bucket, s3.CfnBucket)
            cfn_bucket.bucket_name = bucket_name
        log_access(self.bucket, access_logs)
        self._let_syncs_write()
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name, description="Patch compliance synced by Systems Manager"
            ),
        )
        self.tables = [self._table(table) for table in TABLES]
        self.workgroup = self._workgroup()
        self.named_queries = {
            query.name: athena.CfnNamedQuery(
                self,
                f"Query-{query.name}",
                name=f"{database_name}: {query.name}",
                description=query.description,
                database=database_name,
                query_string=query.sql,
                work_group=self.workgroup.name,
            )
            for query in named
        }
        for query in self.named_queries.values():
            query.node.add_dependency(self.workgroup, self.database)
        self.sync = ComplianceSync(
            self, "Sync", bucket_name=self.bucket.bucket_name, prefix=prefix, kms_key_arn=self.key.key_arn
        )
        if self.bucket.policy is not None:  # the sync writes once it exists: the policy must be there first
            self.sync.node.add_dependency(self.bucket.policy)
        self.config_rule: config.ManagedRule | None = None
        if config_rule:
            self.config_rule = config.ManagedRule(
                self,
                "PatchComplianceRule",
                identifier=config.ManagedRuleIdentifiers.EC2_MANAGED_INSTANCE_PATCH_COMPLIANCE_STATUS_CHECK,
                description="Managed instances are compliant with their patch baseline (needs a Config recorder)",
                rule_scope=config.RuleScope.from_resources([config.ResourceType.SYSTEMS_MANAGER_PATCH_COMPLIANCE]),
            )
        CfnOutput(stack, "ComplianceBucketName", value=self.bucket.bucket_name, description="Syncs write here")
        CfnOutput(stack, "ComplianceKeyArn", value=self.key.key_arn, description="Syncs encrypt with this key")

    @property
    def key_arn(self) -> str:
        return self.key.key_arn

    def _sync_arns(self, account: str) -> str:
        return f"arn:{Aws.PARTITION}:ssm:*:{account}:resource-data-sync/*"

    def _let_syncs_write(self) -> None:
        """Systems Manager, for the syncs of the listed accounts only: read the bucket's ACL, write each
        account's own folder (owner full control, encrypted with this key), and use the key for it."""
        ssm_principal = iam.ServicePrincipal("ssm.amazonaws.com")
        accounts = self.accounts
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketAcl"],
                principals=[ssm_principal],
                resources=[self.bucket.bucket_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": accounts},
                    "ArnLike": {"aws:SourceArn": [self._sync_arns(account) for account in accounts]},
                },
            )
        )
        # A sync's prefix is the account's choice: one that names another account's folder would nest its files
        # there (keys with two accountid= parts), where the tables read them as that account's. Refused for all.
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["s3:PutObject"],
                principals=[iam.AnyPrincipal()],
                resources=[self.bucket.arn_for_objects(f"{self.prefix}/*accountid=*accountid=*")],
            )
        )
        for account in accounts:
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["s3:PutObject"],
                    principals=[ssm_principal],
                    resources=[self.bucket.arn_for_objects(f"{self.prefix}/*/accountid={account}/*")],
                    conditions={
                        "StringEquals": {
                            "s3:x-amz-acl": "bucket-owner-full-control",
                            "aws:SourceAccount": account,
                            "s3:x-amz-server-side-encryption": "aws:kms",
                            "s3:x-amz-server-side-encryption-aws-kms-key-id": self.key.key_arn,
                        },
                        "ArnLike": {"aws:SourceArn": self._sync_arns(account)},
                    },
                )
            )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey"],
                principals=[ssm_principal],
                resources=["*"],  # a key policy's resource is the key itself
                conditions={
                    "StringEquals": {"aws:SourceAccount": accounts},
                    "ArnLike": {"aws:SourceArn": [self._sync_arns(account) for account in accounts]},
                },
            )
        )

    def location(self, table: SyncedTable) -> str:
        return f"s3://{self.bucket.bucket_name}/{self.prefix}/{table.type_name}/"

    def _table(self, table: SyncedTable) -> glue.CfnTable:
        """One inventory type as an external JSON table, its partitions projected (accounts, regions)."""
        projection = {
            "projection.enabled": "true",
            "projection.accountid.type": "enum",
            "projection.accountid.values": ",".join(self.accounts),
            "projection.region.type": "enum",
            "projection.region.values": ",".join(self.regions),
            "projection.resourcetype.type": "enum",
            "projection.resourcetype.values": RESOURCE_TYPE,
            "storage.location.template": self.location(table)
            + "accountid=${accountid}/region=${region}/resourcetype=${resourcetype}",
        }
        cfn_table = glue.CfnTable(
            self,
            f"Table-{table.table_name}",
            catalog_id=Stack.of(self).account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=table.table_name,
                description=f"{table.type_name} of every synced instance",
                table_type="EXTERNAL_TABLE",
                parameters={"classification": "json", **projection},
                partition_keys=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in PARTITION_KEYS],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in table.columns],
                    location=self.location(table),
                    input_format="org.apache.hadoop.mapred.TextInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=_SERDE, parameters={"serialization.format": "1"}
                    ),
                ),
            ),
        )
        cfn_table.node.add_dependency(self.database)
        return cfn_table

    def _workgroup(self) -> athena.CfnWorkGroup:
        """Results in the bucket under ``athena-results/``, encrypted with the key, the settings enforced."""
        return athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=self.database_name.replace("_", "-"),
            description="Patch compliance queries",
            state="ENABLED",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.bucket.bucket_name}/athena-results/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=self.key.key_arn
                    ),
                ),
            ),
        )
