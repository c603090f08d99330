"""CommandOutput: where patch runs write their full output, S3 and/or CloudWatch Logs."""

from __future__ import annotations

from aws_cdk import Annotations, ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .._internal import defaults
from .._internal.nag import acknowledge, acknowledge_wildcards, suppress_scanner
from .._internal.rules import S3_KEY_PREFIX, S3_KEY_PREFIX_RULE, check_length, check_needs, check_pattern, fail
from .._internal.typecheck import typed
from .._internal.validation import whole_units

# Why the write grants hold wildcards, for the cdk-nag acknowledgment wherever they are attached.
WRITE_GRANTS_REASON = (
    "SSM Agent writes command output as objects under one key prefix of one bucket and as log streams of one "
    "log group; logs:DescribeLogGroups supports no resource-level permissions. With a KMS key, the "
    "kms:GenerateDataKey* and kms:ReEncrypt* action families (CDK's encrypt grant) apply to that one key only."
)
_KEY_PREFIX_MAX = 400  # the task's own path is appended; OutputS3KeyPrefix allows 500 characters
_ACCESS_LOG_PREFIX = "command-output/"
_OUTPUT_KEY_PREFIX_MAX = 500


class CommandOutput(Construct):
    """Defines where patch runs write their output: an S3 bucket and/or a CloudWatch Logs group.

    Run Command shows only the first 48,000 characters of output; the full output of every hook and
    install step goes here. The instance profile writes it, not the maintenance-window role: call
    ``grant_write(instance_role)`` for your instances' role. Each task writes under its own prefix
    (``<key_prefix>/<stack>/<window>/<task>/``), so scan and install runs and different windows never
    mix. A created bucket is encrypted (SSE-S3), SSL-only, blocks public access, expires objects, and
    logs server access to a second bucket.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket | None = None,
        s3_output: bool = True,
        expiration: Duration | None = None,
        key_prefix: str = defaults.OUTPUT_KEY_PREFIX,
        cloudwatch_output: bool = True,
        log_group: logs.ILogGroup | None = None,
        retention: logs.RetentionDays | None = None,
        encryption_key: kms.IKey | None = None,
        object_lock: s3.ObjectLockRetention | None = None,
    ) -> None:
        """Define the output locations.

        Args:
            bucket: your bucket for the output. Default: a bucket is defined (with an access-log bucket).
            s3_output: write output to S3. Default: True.
            expiration: how long a created bucket keeps output, whole days. Default: 90 days.
            key_prefix: the first part of every task's S3 key prefix. Default: "patching".
            cloudwatch_output: stream output to CloudWatch Logs. Default: True.
            log_group: your log group. Default: a log group is defined with ``retention``.
            retention: how long a created log group keeps output. Default: three months.
            encryption_key: a customer managed KMS key for the bucket and log group defined here (the
                access-log bucket stays SSE-S3: S3 delivers access logs only there); the key policy gets
                the CloudWatch Logs grant, scoped to this account's log groups, when the key is defined in
                the app, and ``grant_write`` lets instances encrypt with it. Default: SSE-S3 for the bucket,
                CloudWatch Logs' own encryption for the log group.
            object_lock: S3 Object Lock for the bucket defined here, with this default retention (e.g.
                ``s3.ObjectLockRetention.governance(Duration.days(90))``, whole days): no version of a record,
                current or overwritten, can be deleted before it ends (in governance mode, except by principals
                allowed s3:BypassGovernanceRetention; in compliance mode, by no one), and lifecycle expiration
                waits for it. Once on, Object Lock can't be turned off for the bucket. Default: no Object Lock
                (versioning still keeps overwritten records until they expire).
        """
        super().__init__(scope, construct_id)
        if not s3_output and not cloudwatch_output:
            fail("provide s3_output, cloudwatch_output or both; command output needs a destination")
        if bucket is not None and not s3_output:
            fail("provide either bucket or s3_output=False, not both")
        if log_group is not None and not cloudwatch_output:
            fail("provide either log_group or cloudwatch_output=False, not both")
        check_needs(
            "expiration",
            expiration is not None,
            "a bucket defined here (s3_output, no bucket)",
            s3_output and bucket is None,
        )
        check_needs(
            "retention",
            retention is not None,
            "a log group defined here (cloudwatch_output, no log_group)",
            cloudwatch_output and log_group is None,
        )
        check_needs(
            "object_lock",
            object_lock is not None,
            "a bucket defined here (s3_output, no bucket)",
            s3_output and bucket is None,
        )
        check_length("key_prefix", key_prefix, 1, _KEY_PREFIX_MAX)
        check_pattern("key_prefix", key_prefix, S3_KEY_PREFIX, S3_KEY_PREFIX_RULE)
        if key_prefix.startswith("/") or key_prefix.endswith("/"):
            fail(f"key_prefix must not start or end with '/'; got key_prefix={key_prefix!r}")
        expiration_days = whole_units("expiration", expiration or Duration.days(90), "days")
        if expiration_days < 1:
            fail(f"expiration must be at least 1 day; got expiration={expiration_days} days")
        self.key_prefix = key_prefix
        self.bucket: s3.IBucket | None = None
        if s3_output:
            self.bucket = bucket or self._define_bucket(expiration_days, encryption_key, object_lock)
        self.log_group: logs.ILogGroup | None = None
        if cloudwatch_output:
            self.log_group = log_group or self._define_log_group(
                retention or logs.RetentionDays.THREE_MONTHS, encryption_key
            )

    def _define_log_group(self, retention: logs.RetentionDays, key: kms.IKey | None) -> logs.ILogGroup:
        log_group = logs.LogGroup(
            self, "Logs", retention=retention, removal_policy=RemovalPolicy.RETAIN, encryption_key=key
        )
        if key is not None:
            _let_logs_use(key, Stack.of(self))
            if not isinstance(key, kms.Key):
                # An imported key or alias ignores policy statements added here: the deploy would fail.
                Annotations.of(self).add_warning_v2(
                    "constructs-lib:imported-output-key",
                    "encryption_key is imported, so its key policy can't be changed here: allow CloudWatch Logs "
                    f"(logs.{Stack.of(self).region}.amazonaws.com) to use it for this account's log groups, or the "
                    "log group fails to deploy; instances need kms:Encrypt, kms:GenerateDataKey* and kms:Decrypt",
                )
            return log_group
        suppress_scanner(
            log_group,
            "CKV_AWS_158",
            "CloudWatch Logs encrypts log data at rest with its own keys; pass encryption_key= for a customer "
            "managed KMS key.",
        )
        return log_group

    def _define_bucket(
        self, expiration_days: int, key: kms.IKey | None, lock: s3.ObjectLockRetention | None
    ) -> s3.IBucket:
        access_logs = secure_bucket(self, "AccessLogs", expiration_days)
        acknowledge(
            access_logs,
            "S1",
            reason="This bucket receives the output bucket's server access logs; logging its own access would recurse.",
            checkov=("CKV_AWS_18",),
        )
        bucket = secure_bucket(self, "Bucket", expiration_days, key, lock)
        log_access(bucket, access_logs)
        return bucket

    def key_prefix_for(self, task: Construct) -> str:
        """The S3 key prefix of one task's output: ``<key_prefix>/<construct path of the task>``.

        API model shape S3KeyPrefix: at most 500 characters; a long key_prefix and a deep path can pass it.
        """
        prefix = f"{self.key_prefix}/{task.node.path}"
        if len(prefix) > _OUTPUT_KEY_PREFIX_MAX:
            fail(
                f"key_prefix plus the task's path makes an S3 key prefix of {len(prefix)} characters; S3 output "
                f"allows {_OUTPUT_KEY_PREFIX_MAX}: shorten key_prefix; got key_prefix={self.key_prefix!r}"
            )
        return prefix

    def write_grants(self) -> list[tuple[list[str], list[str]]]:
        """(actions, resources) SSM Agent needs to write this output, as plain values (no jsii round trips)."""
        writes: list[tuple[list[str], list[str]]] = []
        if self.bucket is not None:
            writes.append((["s3:PutObject"], [self.bucket.arn_for_objects(f"{self.key_prefix}/*")]))
            writes.append((["s3:GetEncryptionConfiguration"], [self.bucket.bucket_arn]))
        if self.log_group is not None:
            arn = self.log_group.log_group_arn
            writes.append((["logs:DescribeLogGroups"], ["*"]))
            writes.append((["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"], [arn, f"{arn}:*"]))
        return writes

    @typed
    def grant_write(self, grantee: iam.IGrantable) -> None:
        """Grant an instance role exactly what SSM Agent needs to write this output.

        S3: s3:PutObject under ``key_prefix`` and s3:GetEncryptionConfiguration on the bucket (plus, with a
        KMS key, encrypt and the kms:Decrypt multipart uploads need). CloudWatch Logs: logs:DescribeLogGroups, and
        creating and writing log streams in the one log group.
        """
        writes = self.write_grants()
        for actions, resources in writes:
            iam.Grant.add_to_principal(grantee=grantee, actions=actions, resource_arns=resources)
        if self.bucket is not None and self.bucket.encryption_key is not None:
            # Multipart uploads (SSM Agent's uploader switches to them above 5 MiB) need kms:Decrypt too
            # (S3 user guide, "UsingKMSEncryption": multipart upload with SSE-KMS).
            self.bucket.encryption_key.grant_encrypt_decrypt(grantee)
        if isinstance(grantee, Construct):
            encrypting = self.bucket is not None and self.bucket.encryption_key is not None
            acknowledge_wildcards(
                grantee,
                actions=["kms:GenerateDataKey*", "kms:ReEncrypt*"] if encrypting else [],
                resources=[resource for _, resources in writes for resource in resources],
                reason=WRITE_GRANTS_REASON,
            )


def _let_logs_use(key: kms.IKey, stack: Stack) -> None:
    """The key policy statement CloudWatch Logs needs to encrypt a log group, held to this account's
    log groups by the encryption context (CloudWatch Logs user guide "encrypt-log-data-kms")."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )


def log_access(bucket: s3.Bucket, access_logs: s3.Bucket) -> None:
    """Server access logs delivered under a bucket policy, as AWS recommends, whatever the app's feature
    flags (without @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy, CDK would grant the legacy
    LogDeliveryWrite ACL instead)."""
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=access_logs.bucket_name, log_file_prefix=_ACCESS_LOG_PREFIX
    )
    access_logs.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[access_logs.arn_for_objects(f"{_ACCESS_LOG_PREFIX}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": Stack.of(bucket).account},
            },
        )
    )


def secure_bucket(
    scope: Construct,
    construct_id: str,
    expiration_days: int,
    key: kms.IKey | None = None,
    lock: s3.ObjectLockRetention | None = None,
) -> s3.Bucket:
    """Encrypted, SSL only, private, owner-enforced (no ACLs), versioned so a record overwritten or
    deleted stays as a noncurrent version (expiring as the current ones do), retained on deletion;
    with ``lock``, no version can be deleted before its retention ends."""
    return s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.KMS if key else s3.BucketEncryption.S3_MANAGED,
        encryption_key=key,
        bucket_key_enabled=True if key else None,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=True,
        object_lock_enabled=True if lock else None,
        object_lock_default_retention=lock,
        removal_policy=RemovalPolicy.RETAIN,
        lifecycle_rules=[
            s3.LifecycleRule(
                expiration=Duration.days(expiration_days),
                noncurrent_version_expiration=Duration.days(expiration_days),
            )
        ],
    )
