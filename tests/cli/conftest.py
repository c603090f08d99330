"""Fixtures shared by the commands that call AWS: clients whose every call is stubbed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any, Stubber, Stubber]]:
    """CloudFormation and SSM clients under Stubber; a stubbed call left unmade fails the test."""
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")  # noqa: S106
    cloudformation, ssm = session.client("cloudformation"), session.client("ssm")
    with Stubber(cloudformation) as cfn_stub, Stubber(ssm) as ssm_stub:
        yield cloudformation, ssm, cfn_stub, ssm_stub
        cfn_stub.assert_no_pending_responses()
        ssm_stub.assert_no_pending_responses()
