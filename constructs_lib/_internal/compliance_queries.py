"""The compliance report's data: the Resource Data Sync's S3 layout, the Glue tables over it and the Athena
queries people run on the morning after patch day (no CDK: tests run the same SQL on sample data).

Layout (user guide "sysman-inventory-datasync"): ``s3://<bucket>/<prefix>/<type>/accountid=<account>/
region=<region>/resourcetype=<resource type>/<instance>.json``, JSON read with the openx JsonSerDe. The SQL is
Athena's (engine v3, Trino's dialect); tests/operations/test_compliance.py parses it as Athena's dialect and
runs it on DuckDB over sample files laid out the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from .rules import fail

# The inventory types the reports read, their columns (user guide "sysman-inventory-schema" and the AWS sample
# DDL of "sysman-inventory-resource-data-sync"), and the partition keys the sync's folders give.
PARTITION_KEYS = (("accountid", "string"), ("region", "string"), ("resourcetype", "string"))
RESOURCE_TYPE = "ManagedInstanceInventory"


@dataclass(frozen=True)
class SyncedTable:
    """One inventory type as a Glue table: its folder in the sync's layout and its columns."""

    type_name: str
    columns: tuple[tuple[str, str], ...]

    @property
    def table_name(self) -> str:
        """``AWS:PatchSummary`` as ``aws_patchsummary`` (Glue and Athena names are lower case, no colon)."""
        return self.type_name.lower().replace(":", "_")


PATCH_SUMMARY = SyncedTable(
    "AWS:PatchSummary",
    (
        ("resourceid", "string"),
        ("patchgroup", "string"),
        ("baselineid", "string"),
        ("snapshotid", "string"),
        ("ownerinformation", "string"),
        ("installedcount", "int"),
        ("installedothercount", "int"),
        ("notapplicablecount", "int"),
        ("missingcount", "int"),
        ("failedcount", "int"),
        ("operationtype", "string"),
        ("operationstarttime", "string"),
        ("operationendtime", "string"),
        ("rebootoption", "string"),
    ),
)
COMPLIANCE_ITEM = SyncedTable(
    "AWS:ComplianceItem",
    (
        ("resourceid", "string"),
        ("compliancetype", "string"),
        ("executionid", "string"),
        ("executiontype", "string"),
        ("executiontime", "string"),
        ("id", "string"),
        ("title", "string"),
        ("status", "string"),
        ("severity", "string"),
        ("patchbaselineid", "string"),
        ("patchseverity", "string"),
        ("classification", "string"),
        ("patchstate", "string"),
        ("patchgroup", "string"),
        ("cveids", "string"),
    ),
)
TABLES = (PATCH_SUMMARY, COMPLIANCE_ITEM)


@dataclass(frozen=True)
class NamedQuery:
    """An Athena named query: its name, what it answers, and its SQL."""

    name: str
    description: str
    sql: str


STALE_AFTER_DAYS_RANGE = (1, 365)


def queries(stale_after_days: int) -> tuple[NamedQuery, ...]:
    """The reports, the scan-age one for ``stale_after_days`` (a whole number of days, written into the SQL)."""
    low, high = STALE_AFTER_DAYS_RANGE
    if (
        isinstance(stale_after_days, bool)
        or not isinstance(stale_after_days, int)
        or not low <= stale_after_days <= high
    ):
        fail(f"stale_after_days must be a whole number of days from {low} to {high}; got {stale_after_days!r}")
    return (
        NamedQuery(
            "missing-critical-or-security-patches",
            "Instances missing (or failing to install) approved patches of critical severity, classified as "
            "security updates, or fixing a CVE",
            """SELECT accountid, region, resourceid, patchgroup, id AS patch, title, patchseverity, classification,
  patchstate, cveids
FROM aws_complianceitem
WHERE compliancetype = 'Patch'
  AND upper(status) = 'NON_COMPLIANT'
  AND upper(patchstate) IN ('MISSING', 'FAILED')
  AND (upper(patchseverity) = 'CRITICAL' OR lower(classification) LIKE '%security%' OR coalesce(cveids, '') <> '')
ORDER BY accountid, region, resourceid, patch""",
        ),
        NamedQuery(
            "compliance-by-patch-group-and-account",
            "Per patch group and account: instances, how many miss or failed patches, and how many patches",
            """SELECT accountid, patchgroup,
  count(*) AS instances,
  count_if(missingcount + failedcount = 0) AS compliant,
  count_if(missingcount + failedcount > 0) AS non_compliant,
  sum(missingcount) AS missing_patches,
  sum(failedcount) AS failed_patches
FROM aws_patchsummary
GROUP BY accountid, patchgroup
ORDER BY non_compliant DESC, accountid, patchgroup""",
        ),
        NamedQuery(
            "patch-state-older-than-days",
            f"Instances whose last patch scan or install ended more than {stale_after_days} days ago",
            f"""SELECT accountid, region, resourceid, patchgroup, operationtype, operationendtime
FROM aws_patchsummary
WHERE from_iso8601_timestamp(operationendtime) < current_timestamp - INTERVAL '{stale_after_days}' DAY
ORDER BY operationendtime, accountid, resourceid""",  # noqa: S608 - an int, checked above
        ),
        NamedQuery(
            "failed-in-latest-window",
            "Instances whose last install is not from their patch group's latest install in their account and "
            "region (its window execution's snapshot), or installed patches that failed; instances whose last "
            "operation was a scan are left out (the summary keeps the last operation only)",
            """WITH latest AS (
  SELECT accountid, region, patchgroup, max_by(snapshotid, operationendtime) AS snapshotid
  FROM aws_patchsummary
  WHERE operationtype = 'Install'
  GROUP BY accountid, region, patchgroup
)
SELECT s.accountid, s.region, s.resourceid, s.patchgroup, s.operationtype, s.snapshotid, s.failedcount,
  CASE
    WHEN s.failedcount > 0 THEN 'patches failed to install'
    ELSE 'not installed by the latest window'
  END AS problem
FROM aws_patchsummary s
JOIN latest l ON s.accountid = l.accountid AND s.region = l.region AND s.patchgroup = l.patchgroup
WHERE s.operationtype = 'Install' AND (s.failedcount > 0 OR s.snapshotid <> l.snapshotid)
ORDER BY s.accountid, s.region, s.resourceid""",
        ),
    )
