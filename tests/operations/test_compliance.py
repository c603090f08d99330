"""ComplianceReport and ComplianceSync: the bucket's and key's policies (each source account writes only its own
folder, through its resource data syncs), the sync, and the data people query: the Glue tables read sample
files laid out as the user guide documents the sync's output, and every named query, parsed as Athena's
dialect (sqlglot), runs on them in DuckDB with the expected rows.

DuckDB stands in for Athena (Trino): sqlglot turns the Athena SQL into DuckDB's (from_iso8601_timestamp becomes
a TIMESTAMPTZ cast, max_by becomes arg_max); like the openx JsonSerDe by default, it matches JSON keys to
column names without regard to case; a key the table names but a file lacks is an error here, NULL in Athena.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from aws_cdk import Duration, Stack

from constructs_lib import ComplianceReport, ComplianceSync
from constructs_lib._internal.compliance_queries import queries
from tests.builders import new_stack, properties, template

SOURCE = "222222222222"
HERE = "123456789012"  # new_stack()'s account, in us-east-1
NOW = datetime.now(UTC)


def report_stack(**keywords: Any) -> tuple[Stack, ComplianceReport]:
    stack = new_stack()
    report = ComplianceReport(
        stack,
        "Report",
        source_accounts=[SOURCE],
        regions=["us-east-1", "eu-west-1"],
        bucket_name="acme-patch-compliance",
        **keywords,
    )
    return stack, report


def test_each_account_may_write_only_its_own_folder_through_its_syncs() -> None:
    stack, report = report_stack()
    bucket = stack.get_logical_id(report.bucket.node.default_child)
    (policy,) = [p for p in properties(stack, "AWS::S3::BucketPolicy").values() if p["Bucket"] == {"Ref": bucket}]
    statements = [
        s for s in policy["PolicyDocument"]["Statement"] if s.get("Principal") == {"Service": "ssm.amazonaws.com"}
    ]
    writes = {json.dumps(s["Resource"]): s for s in statements if s["Action"] == "s3:PutObject"}
    assert len(writes) == 2
    for account in (HERE, SOURCE):
        (write,) = [s for key, s in writes.items() if f"accountid={account}/*" in key]
        assert f"/patch-compliance/*/accountid={account}/*" in json.dumps(write["Resource"])
        conditions = write["Condition"]
        assert conditions["StringEquals"]["aws:SourceAccount"] == account
        assert conditions["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
        assert conditions["StringEquals"]["s3:x-amz-server-side-encryption"] == "aws:kms"
        assert "s3:x-amz-server-side-encryption-aws-kms-key-id" in conditions["StringEquals"]
        assert json.dumps(conditions["ArnLike"]["aws:SourceArn"]).endswith(
            f':ssm:*:{account}:resource-data-sync/*"]]}}'
        )
    (acl,) = [s for s in statements if s["Action"] == "s3:GetBucketAcl"]
    assert acl["Resource"] == {"Fn::GetAtt": [bucket, "Arn"]}
    assert acl["Condition"]["StringEquals"]["aws:SourceAccount"] == [HERE, SOURCE]
    (key,) = properties(stack, "AWS::KMS::Key").values()
    (grant,) = [s for s in key["KeyPolicy"]["Statement"] if s.get("Principal") == {"Service": "ssm.amazonaws.com"}]
    assert grant["Action"] == "kms:GenerateDataKey"
    assert grant["Condition"]["StringEquals"]["aws:SourceAccount"] == [HERE, SOURCE]
    assert key["EnableKeyRotation"] is True


def test_this_accounts_sync_writes_to_the_report_with_its_key() -> None:
    stack, report = report_stack()
    (sync,) = properties(stack, "AWS::SSM::ResourceDataSync").values()
    destination = sync["S3Destination"]
    assert destination["BucketName"] == {"Ref": stack.get_logical_id(report.bucket.node.default_child)}
    assert destination["BucketPrefix"] == "patch-compliance"
    assert destination["SyncFormat"] == "JsonSerDe"
    assert destination["BucketRegion"] == "us-east-1"
    assert destination["KMSKeyArn"] == {"Fn::GetAtt": [stack.get_logical_id(report.key.node.default_child), "Arn"]}
    assert "BucketName" not in sync  # one destination form only (both at once fails)


def test_the_workgroup_keeps_results_encrypted_in_the_bucket_and_the_queries_are_the_reports() -> None:
    stack, _ = report_stack(stale_after_days=14)
    (workgroup,) = properties(stack, "AWS::Athena::WorkGroup").values()
    configuration = workgroup["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    named = {q["Name"]: q for q in properties(stack, "AWS::Athena::NamedQuery").values()}
    assert {name: q["QueryString"] for name, q in named.items()} == {
        f"patch_compliance: {query.name}": query.sql for query in queries(14)
    }
    assert all(q["Database"] == "patch_compliance" for q in named.values())
    assert "INTERVAL '14' DAY" in named["patch_compliance: patch-state-older-than-days"]["QueryString"]


def test_the_config_rule_is_optional_and_scoped_to_patch_compliance() -> None:
    stack, _ = report_stack()
    assert properties(stack, "AWS::Config::ConfigRule") == {}
    with_rule, _ = report_stack(config_rule=True)
    (rule,) = properties(with_rule, "AWS::Config::ConfigRule").values()
    assert rule["Source"] == {"Owner": "AWS", "SourceIdentifier": "EC2_MANAGEDINSTANCE_PATCH_COMPLIANCE_STATUS_CHECK"}
    assert rule["Scope"] == {"ComplianceResourceTypes": ["AWS::SSM::PatchCompliance"]}


# ---- the data: sample files in the documented layout, the Glue tables over them, the queries ---------------


def iso(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary(
    instance: str, group: str, operation: str, snapshot: str, missing: int, failed: int, days: float
) -> dict[str, Any]:
    """An AWS:PatchSummary record as the sync writes it (inventory schema names, plus its own keys)."""
    return {
        "SchemaVersion": "1.0",
        "CaptureTime": iso(days),
        "ResourceId": instance,
        "PatchGroup": group,
        "BaselineId": "pb-0123456789abcdef0",
        "SnapshotId": snapshot,
        "OwnerInformation": "",
        "InstalledCount": 10,
        "InstalledOtherCount": 1,
        "NotApplicableCount": 3,
        "MissingCount": missing,
        "FailedCount": failed,
        "OperationType": operation,
        "OperationStartTime": iso(days + 0.01),
        "OperationEndTime": iso(days),
        "RebootOption": "RebootIfNeeded",
    }


def item(
    instance: str,
    kb: str,
    patch_severity: str,
    state: str,
    status: str,
    *,
    classification: str = "Bugfix",
    cves: str = "",
    kind: str = "Patch",
) -> dict[str, Any]:
    """An AWS:ComplianceItem record as the sync writes it: its Severity is the baseline's compliance level (upper
    case); the patch's own severity, classification and state are as the OS reports them (``Missing``, as AWS's
    Athena sample over synced compliance shows)."""
    return {
        "SchemaVersion": "1.0",
        "CaptureTime": iso(1),
        "ResourceId": instance,
        "ComplianceType": kind,
        "ExecutionId": "S2",
        "ExecutionType": "Command",
        "ExecutionTime": iso(1),
        "Id": kb,
        "Title": f"Update {kb}",
        "Status": status,
        "Severity": "HIGH",
        "PatchBaselineId": "pb-0123456789abcdef0",
        "PatchSeverity": patch_severity,
        "Classification": classification,
        "PatchState": state,
        "PatchGroup": "web",
        "CVEIds": cves,
    }


PLACES = {
    "i-a": ("111111111111", "eu-west-1"),
    "i-b": ("111111111111", "eu-west-1"),
    "i-c": (SOURCE, "us-east-1"),
    "i-d": (SOURCE, "us-east-1"),
    "i-e": (SOURCE, "us-east-1"),
}
SUMMARIES = [
    summary("i-a", "web", "Install", "S2", 0, 0, 1),
    summary("i-b", "web", "Install", "S1", 2, 0, 8),  # patched by the window before: missed the latest
    summary("i-c", "web", "Install", "S5", 0, 1, 1),  # another account's window (S5): a patch failed
    summary("i-e", "web", "Install", "S5", 0, 0, 2),  # healthy in that account's latest window
    summary("i-d", "batch", "Scan", "S3", 0, 0, 30),  # scanned a month ago, never installed since
]
ITEMS = [
    item("i-b", "KB1", "Critical", "Missing", "NON_COMPLIANT"),
    item("i-b", "KB2", "Low", "Missing", "NON_COMPLIANT"),
    item("i-b", "KB3", "Medium", "Missing", "NON_COMPLIANT", cves="CVE-2026-1234"),
    item("i-c", "KB4", "Important", "Failed", "NON_COMPLIANT", classification="SecurityUpdates"),
    item("i-a", "KB5", "Critical", "Installed", "COMPLIANT"),
    item("i-a", "AWS-RunPatchBaseline", "Critical", "Missing", "NON_COMPLIANT", kind="Association"),
]


def write_layout(root: Path, prefix: str) -> None:
    """``<prefix>/<type>/accountid=<id>/region=<region>/resourcetype=ManagedInstanceInventory/<instance>.json``:
    a summary per file, compliance items one per line."""
    for type_name, records in (("AWS:PatchSummary", SUMMARIES), ("AWS:ComplianceItem", ITEMS)):
        by_instance: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            by_instance.setdefault(record["ResourceId"], []).append(record)
        for instance, rows in by_instance.items():
            account, region = PLACES[instance]
            folder = (
                root
                / prefix
                / type_name
                / f"accountid={account}"
                / f"region={region}"
                / "resourcetype=ManagedInstanceInventory"
            )
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{instance}.json").write_text("".join(json.dumps(row) + "\n" for row in rows))


_DUCK_TYPES = {"string": "VARCHAR", "int": "INTEGER"}
BUCKET = "acme-patch-compliance"


def flat(value: Any) -> str:
    """A template string value with the bucket's Ref as its name (the report's bucket_name)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return BUCKET
    return "".join(flat(part) for part in value["Fn::Join"][1])


def local(root: Path, location: str) -> Path:
    assert location.startswith(f"s3://{BUCKET}/"), location
    return root / location.removeprefix(f"s3://{BUCKET}/")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """DuckDB with one view per synthesized Glue table, over sample files where its location points."""
    root = tmp_path_factory.mktemp("bucket")
    stack, report = report_stack()
    write_layout(root, report.prefix)
    connection = duckdb.connect()
    for table in properties(stack, "AWS::Glue::Table").values():
        given = table["TableInput"]
        descriptor = given["StorageDescriptor"]
        assert descriptor["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
        folder = local(root, flat(descriptor["Location"]))
        assert folder.is_dir(), f"{descriptor['Location']} holds no synced files in the documented layout"
        # Partition projection finds the files of every account and region where the sync writes them.
        template_path = flat(given["Parameters"]["storage.location.template"])
        for account, region in set(PLACES.values()):
            path = template_path.replace("${accountid}", account).replace("${region}", region)
            found = local(root, path.replace("${resourcetype}", "ManagedInstanceInventory"))
            assert found.is_dir() or not any(found.parent.parent.glob("*")), path
        columns = ", ".join(
            f'CAST("{c["Name"]}" AS {_DUCK_TYPES[c["Type"]]}) AS {c["Name"]}' for c in descriptor["Columns"]
        )
        partitions = ", ".join(key["Name"] for key in given["PartitionKeys"])
        hive_types = "{'accountid': VARCHAR, 'region': VARCHAR, 'resourcetype': VARCHAR}"
        view = (
            f"CREATE VIEW {given['Name']} AS SELECT {columns}, {partitions} FROM read_json_auto('{folder}/*/*/*/*.json', "  # noqa: S608
            f"format='newline_delimited', hive_partitioning=true, union_by_name=true, hive_types={hive_types})"
        )
        connection.execute(view)
    return connection


def run(connection: duckdb.DuckDBPyConnection, name: str) -> list[tuple[Any, ...]]:
    (query,) = [q for q in queries(7) if q.name == name]
    parsed = sqlglot.parse_one(query.sql, read="athena", error_level=sqlglot.ErrorLevel.RAISE)
    return connection.execute(parsed.sql(dialect="duckdb")).fetchall()


def test_instances_missing_critical_or_security_patches(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = run(warehouse, "missing-critical-or-security-patches")
    assert [(row[2], row[4]) for row in rows] == [("i-b", "KB1"), ("i-b", "KB3"), ("i-c", "KB4")]
    assert rows[0][:4] == ("111111111111", "eu-west-1", "i-b", "web")


def test_compliance_by_patch_group_and_account(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert run(warehouse, "compliance-by-patch-group-and-account") == [
        ("111111111111", "web", 2, 1, 1, 2, 0),
        (SOURCE, "web", 2, 1, 1, 0, 1),
        (SOURCE, "batch", 1, 1, 0, 0, 0),
    ]


def test_patch_state_older_than_the_days_given(warehouse: duckdb.DuckDBPyConnection) -> None:
    assert [(row[2], row[4]) for row in run(warehouse, "patch-state-older-than-days")] == [
        ("i-d", "Scan"),
        ("i-b", "Install"),
    ]


def test_failed_or_missed_in_the_latest_window(warehouse: duckdb.DuckDBPyConnection) -> None:
    # Per account and region: i-e is in its own account's latest window; i-d's last operation was a scan.
    assert [(row[2], row[5], row[7]) for row in run(warehouse, "failed-in-latest-window")] == [
        ("i-b", "S1", "not installed by the latest window"),
        ("i-c", "S5", "patches failed to install"),
    ]


# ---- what synth refuses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"source_accounts": ["12345"]}, "source_accounts must be 12 digits"),
        ({"source_accounts": [SOURCE, SOURCE]}, "source_accounts must not repeat"),
        ({"regions": ["mars-1"]}, "regions must be a region name"),
        ({"bucket_name": "Acme_Bucket"}, "bucket_name must be an S3 bucket name"),
        ({"prefix": "/lead"}, "prefix must be 1 to 64 characters"),
        ({"database_name": "Patch-Compliance"}, "database_name must be lower-case letters"),
        ({"stale_after_days": 0}, "stale_after_days must be a whole number of days from 1 to 365"),
        ({"expire_after": Duration.days(4000)}, "expire_after must be 1 to 3650 days"),
    ],
)
def test_wrong_values_are_refused_naming_the_keyword(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ComplianceReport(new_stack(), "Report", **keywords)


def test_the_defaults_synthesize_for_this_account_and_region_alone() -> None:
    stack = new_stack()
    report = ComplianceReport(stack, "Report")
    assert report.accounts == [HERE]
    assert report.regions == ["us-east-1"]
    (table, _) = properties(stack, "AWS::Glue::Table").values()
    assert table["TableInput"]["Parameters"]["projection.accountid.values"] == HERE


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"bucket_name": "x"}, "bucket_name must be an S3 bucket name"),
        ({"bucket_name": "acme", "kms_key_arn": "key"}, "kms_key_arn must be a KMS key ARN"),
        ({"bucket_name": "acme", "sync_name": "a b"}, "sync_name must be 1 to 64"),
        ({"bucket_name": "acme", "bucket_region": "europe"}, "bucket_region must be a region name"),
    ],
)
def test_a_sync_refuses_wrong_values(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ComplianceSync(new_stack(), "Sync", **keywords)


def test_wrong_types_are_refused() -> None:
    with pytest.raises(TypeError, match="source_accounts"):
        ComplianceReport(new_stack(), "Report", source_accounts="222222222222")


def test_no_sync_may_nest_files_in_another_accounts_folder() -> None:
    stack, report = report_stack()
    bucket = stack.get_logical_id(report.bucket.node.default_child)
    (policy,) = [p for p in properties(stack, "AWS::S3::BucketPolicy").values() if p["Bucket"] == {"Ref": bucket}]
    (deny,) = [
        s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny" and s["Action"] == "s3:PutObject"
    ]
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Resource"]["Fn::Join"][1][-1] == "/patch-compliance/*accountid=*accountid=*"
    # A key an allow matches for account A, but naming B's folder first, is what the deny covers.
    pattern = deny["Resource"]["Fn::Join"][1][-1].replace("*", ".*")
    nested = "/patch-compliance/AWS:PatchSummary/accountid=222222222222/region=x/resourcetype=y/accountid=123456789012/i.json"
    assert re.fullmatch(pattern, nested)
    assert not re.fullmatch(pattern, "/patch-compliance/AWS:PatchSummary/accountid=123456789012/region=x/i.json")


def test_the_tables_project_every_account_and_region_and_the_sync_waits_for_the_policy() -> None:
    stack, report = report_stack()
    for table in properties(stack, "AWS::Glue::Table").values():
        parameters = table["TableInput"]["Parameters"]
        assert parameters["projection.enabled"] == "true"
        assert parameters["projection.accountid.type"] == "enum"
        assert parameters["projection.accountid.values"] == f"{HERE},{SOURCE}"
        assert parameters["projection.region.type"] == "enum"
        assert parameters["projection.region.values"] == "us-east-1,eu-west-1"
    bucket = stack.get_logical_id(report.bucket.node.default_child)
    (acl,) = [
        s
        for p in properties(stack, "AWS::S3::BucketPolicy").values()
        if p["Bucket"] == {"Ref": bucket}
        for s in p["PolicyDocument"]["Statement"]
        if s["Action"] == "s3:GetBucketAcl"
    ]
    assert len(acl["Condition"]["ArnLike"]["aws:SourceArn"]) == 2
    (sync,) = template(stack).find_resources("AWS::SSM::ResourceDataSync").values()
    policy = stack.get_logical_id(report.bucket.policy.node.default_child)
    assert policy in sync["DependsOn"]
