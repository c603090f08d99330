"""CommandOutput: the created bucket and log group, bring-your-own, per-task prefixes, instance grants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match

from constructs_lib import CommandOutput, PatchOperation
from tests.builders import logical_id, targets, template, window


def run_command_parameters(stack: Stack, task_logical_id: str) -> dict[str, Any]:
    task = template(stack).to_json()["Resources"][task_logical_id]
    params: dict[str, Any] = task["Properties"]["TaskInvocationParameters"]["MaintenanceWindowRunCommandParameters"]
    return params


def test_created_bucket_is_encrypted_ssl_only_private_expiring_and_logged(stack: Stack) -> None:
    output = CommandOutput(stack, "Output", expiration=Duration.days(30))
    t = template(stack)
    t.resource_count_is("AWS::S3::Bucket", 2)
    t.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "LifecycleConfiguration": {"Rules": [{"ExpirationInDays": 30, "Status": "Enabled"}]},
            "LoggingConfiguration": {"DestinationBucketName": Match.any_value(), "LogFilePrefix": "command-output/"},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        },
    )
    assert output.bucket is not None
    bucket_id = logical_id(stack, output.bucket)
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )
    t.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    t.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})


def test_bring_your_own_bucket_and_log_group(stack: Stack) -> None:
    bucket = s3.Bucket.from_bucket_name(stack, "Mine", "my-patch-output")
    group = logs.LogGroup.from_log_group_name(stack, "MyLogs", "/patching/output")
    output = CommandOutput(stack, "Output", bucket=bucket, log_group=group, key_prefix="fleet/prod")
    mw = window(stack)
    task = mw.add_patch_task("Patch", targets=[targets(mw)], output=output)
    t = template(stack)
    t.resource_count_is("AWS::S3::Bucket", 0)
    t.resource_count_is("AWS::Logs::LogGroup", 0)
    params = run_command_parameters(stack, stack.get_logical_id(task.cfn_task))
    assert params["OutputS3BucketName"] == "my-patch-output"
    assert params["OutputS3KeyPrefix"] == "fleet/prod/TestStack/Window/Patch"
    assert params["CloudWatchOutputConfig"] == {
        "CloudWatchLogGroupName": "/patching/output",
        "CloudWatchOutputEnabled": True,
    }


def test_each_task_writes_under_its_own_prefix(stack: Stack) -> None:
    output = CommandOutput(stack, "Output", cloudwatch_output=False)
    install_window, scan_window = window(stack, "Weekly"), window(stack, "Daily")
    install = install_window.add_patch_task("Install", targets=[targets(install_window)], output=output)
    scan = scan_window.add_patch_task(
        "Scan", targets=[targets(scan_window)], operation=PatchOperation.SCAN, output=output
    )
    prefixes = {
        run_command_parameters(stack, stack.get_logical_id(task.cfn_task))["OutputS3KeyPrefix"]
        for task in (install, scan)
    }
    assert prefixes == {"patching/TestStack/Weekly/Install", "patching/TestStack/Daily/Scan"}
    assert "CloudWatchOutputConfig" not in run_command_parameters(stack, stack.get_logical_id(scan.cfn_task))


def test_cloudwatch_only(stack: Stack) -> None:
    output = CommandOutput(stack, "Output", s3_output=False, retention=logs.RetentionDays.ONE_YEAR)
    mw = window(stack)
    task = mw.add_patch_task("Patch", targets=[targets(mw)], output=output)
    params = run_command_parameters(stack, stack.get_logical_id(task.cfn_task))
    assert "OutputS3BucketName" not in params
    assert params["CloudWatchOutputConfig"]["CloudWatchOutputEnabled"] is True
    template(stack).resource_count_is("AWS::S3::Bucket", 0)
    template(stack).has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})


def test_grant_write_gives_an_instance_role_exactly_the_output_permissions(stack: Stack) -> None:
    output = CommandOutput(stack, "Output")
    role = iam.Role(stack, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    output.grant_write(role)
    assert output.bucket is not None
    assert output.log_group is not None
    bucket = logical_id(stack, output.bucket)
    group = logical_id(stack, output.log_group)
    (policy,) = template(stack).find_resources("AWS::IAM::Policy").values()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "s3:PutObject",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/patching/*"]]},
        },
        {"Action": "s3:GetEncryptionConfiguration", "Effect": "Allow", "Resource": {"Fn::GetAtt": [bucket, "Arn"]}},
        {"Action": "logs:DescribeLogGroups", "Effect": "Allow", "Resource": "*"},
        {
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": [{"Fn::GetAtt": [group, "Arn"]}, {"Fn::Join": ["", [{"Fn::GetAtt": [group, "Arn"]}, ":*"]]}],
        },
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"s3_output": False, "cloudwatch_output": False}, r"provide s3_output, cloudwatch_output or both"),
        ({"s3_output": False, "bucket": "BUCKET"}, r"provide either bucket or s3_output=False, not both"),
        (
            {"cloudwatch_output": False, "log_group": "GROUP"},
            r"provide either log_group or cloudwatch_output=False, not both",
        ),
        ({"key_prefix": "/patching"}, r"key_prefix must not start or end with '/'; got key_prefix='/patching'"),
        ({"key_prefix": "patching/"}, r"key_prefix must not start or end with '/'"),
        ({"key_prefix": "x" * 401}, r"key_prefix must be 1 to 400 characters long; got 401"),
        ({"key_prefix": "*"}, r"key_prefix must be letters, digits and .* \(no \* \? or \$: they would widen"),
        ({"key_prefix": "p?x"}, r"key_prefix must be letters, digits"),
        ({"key_prefix": "${aws:username}"}, r"key_prefix must be letters, digits"),
        ({"expiration": Duration.days(0)}, r"expiration must be at least 1 day; got expiration=0 days"),
        ({"expiration": Duration.hours(36)}, r"expiration must be a whole number of days; got expiration=36h"),
    ],
)
def test_fails_on_invalid_output(stack: Stack, overrides: dict[str, Any], message: str) -> None:
    if overrides.get("bucket") == "BUCKET":
        overrides["bucket"] = s3.Bucket.from_bucket_name(stack, "B", "bucket-name")
    if overrides.get("log_group") == "GROUP":
        overrides["log_group"] = logs.LogGroup.from_log_group_name(stack, "G", "group")
    with pytest.raises(ValueError, match=message):
        CommandOutput(stack, "Output", **overrides)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"s3_output": False, "expiration": Duration.days(30)},
            r"expiration needs a bucket defined here \(s3_output, no bucket\): without it, expiration does nothing",
        ),
        (
            {"bucket": "IMPORTED", "expiration": Duration.days(30)},
            r"expiration needs a bucket defined here",
        ),
        (
            {"bucket": "IMPORTED", "object_lock": s3.ObjectLockRetention.governance(Duration.days(30))},
            r"object_lock needs a bucket defined here \(s3_output, no bucket\): without it, object_lock does nothing",
        ),
        (
            {"cloudwatch_output": False, "retention": logs.RetentionDays.ONE_WEEK},
            r"retention needs a log group defined here \(cloudwatch_output, no log_group\): without it, retention does nothing",
        ),
    ],
)
def test_a_setting_for_a_resource_not_defined_here_is_refused(
    stack: Stack, settings: dict[str, Any], message: str
) -> None:
    if settings.get("bucket") == "IMPORTED":
        settings["bucket"] = s3.Bucket.from_bucket_name(stack, "Yours", "your-output-bucket")
    with pytest.raises(ValueError, match=message):
        CommandOutput(stack, "Output", **settings)


def test_expiration_and_retention_apply_to_what_is_defined_here(stack: Stack) -> None:
    CommandOutput(stack, "Output", expiration=Duration.days(30), retention=logs.RetentionDays.ONE_WEEK)
    template(stack).has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 7})


def test_both_buckets_keep_overwritten_records_as_noncurrent_versions(stack: Stack) -> None:
    CommandOutput(stack, "Output", expiration=Duration.days(30))
    buckets = template(stack).find_resources("AWS::S3::Bucket")
    assert len(buckets) == 2
    for bucket in buckets.values():
        properties = bucket["Properties"]
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        (rule,) = properties["LifecycleConfiguration"]["Rules"]
        assert rule["ExpirationInDays"] == 30
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}


def test_object_lock_is_off_by_default(stack: Stack) -> None:
    CommandOutput(stack, "Output")
    for bucket in template(stack).find_resources("AWS::S3::Bucket").values():
        assert "ObjectLockEnabled" not in bucket["Properties"]
        assert "ObjectLockConfiguration" not in bucket["Properties"]


@pytest.mark.parametrize(
    ("retention", "mode"),
    [
        (s3.ObjectLockRetention.governance(Duration.days(90)), "GOVERNANCE"),
        (s3.ObjectLockRetention.compliance(Duration.days(400)), "COMPLIANCE"),
    ],
)
def test_object_lock_locks_the_output_bucket_not_the_access_log_bucket(
    stack: Stack, retention: s3.ObjectLockRetention, mode: str
) -> None:
    CommandOutput(stack, "Output", object_lock=retention)
    buckets = template(stack).find_resources("AWS::S3::Bucket")
    (output_bucket,) = [b["Properties"] for k, b in buckets.items() if k.startswith("OutputBucket")]
    (access_logs,) = [b["Properties"] for k, b in buckets.items() if k.startswith("OutputAccessLogs")]
    assert output_bucket["ObjectLockEnabled"] is True
    days = int(retention.duration.to_days())
    assert output_bucket["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
    }
    # S3 can't deliver server access logs to a bucket with Object Lock.
    assert "ObjectLockEnabled" not in access_logs


def test_a_customer_key_encrypts_the_bucket_and_log_group_and_lets_logs_and_instances_use_it(stack: Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    output = CommandOutput(stack, "Output", encryption_key=key)
    role = iam.Role(stack, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    output.grant_write(role)
    body = template(stack).to_json()
    key_arn = {"Fn::GetAtt": [logical_id(stack, key), "Arn"]}
    buckets = {k: r["Properties"] for k, r in body["Resources"].items() if r["Type"] == "AWS::S3::Bucket"}
    (output_bucket,) = [p for k, p in buckets.items() if k.startswith("OutputBucket")]
    (access_logs,) = [p for k, p in buckets.items() if k.startswith("OutputAccessLogs")]
    assert output_bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {"KMSMasterKeyID": key_arn, "SSEAlgorithm": "aws:kms"},
        }
    ]
    # S3 delivers server access logs only to an SSE-S3 bucket.
    assert access_logs["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    (log_group,) = [r["Properties"] for r in body["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"]
    assert log_group["KmsKeyId"] == key_arn
    assert output.log_group is not None
    assert "checkov" not in json.dumps(body["Resources"][logical_id(stack, output.log_group)].get("Metadata", {}))
    (key_resource,) = [r for r in body["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    (logs_grant,) = [
        s
        for s in key_resource["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    ]
    assert set(logs_grant["Condition"]) == {"ArnLike"}
    assert "kms:EncryptionContext:aws:logs:arn" in logs_grant["Condition"]["ArnLike"]
    instance_actions = [
        s["Action"]
        for r in body["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"] in instance_actions


def test_without_a_key_the_log_group_says_why_it_has_none(stack: Stack) -> None:
    output = CommandOutput(stack, "Output")
    assert output.log_group is not None
    metadata = template(stack).to_json()["Resources"][logical_id(stack, output.log_group)]["Metadata"]
    (skip,) = metadata["checkov"]["skip"]
    assert skip["id"] == "CKV_AWS_158"
    assert "customer managed KMS key" in skip["comment"]


def test_a_key_prefix_of_safe_characters_is_taken(stack: Stack) -> None:
    output = CommandOutput(stack, "Output", key_prefix="patch-output/prod_1.(eu)!'x")
    assert output.key_prefix == "patch-output/prod_1.(eu)!'x"


def test_instances_may_decrypt_with_the_key_for_multipart_uploads(stack: Stack) -> None:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    output = CommandOutput(stack, "Output", encryption_key=key)
    role = iam.Role(stack, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    output.grant_write(role)
    actions = [
        s["Action"]
        for r in template(stack).to_json()["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any(isinstance(a, list) and "kms:Decrypt" in a and "kms:GenerateDataKey*" in a for a in actions)


def test_an_imported_key_warns_that_its_policy_needs_the_logs_grant(stack: Stack) -> None:
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    CommandOutput(stack, "Output", encryption_key=key)
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("encryption_key is imported"))
    assert len(warnings) == 1
    assert "logs.us-east-1.amazonaws.com" in str(warnings[0].entry.data)


def test_a_key_defined_in_the_app_does_not_warn(stack: Stack) -> None:
    CommandOutput(stack, "Output", encryption_key=kms.Key(stack, "Key", enable_key_rotation=True))
    assert Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("encryption_key")) == []
