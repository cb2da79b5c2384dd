"""ECS service and load-balancer target health, read with boto3.

Configured by ``HOKUSAI_ECS_CLUSTER`` and ``HOKUSAI_ECS_SERVICES`` (comma-separated
service names); target groups are taken from each service's load-balancer
attachments. Standard AWS credentials and region come from the environment;
``AWS_ENDPOINT_URL`` points boto3 elsewhere (moto's server in the tests).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import InfrastructureError

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@dataclass
class ServiceStatus:
    name: str
    status: str
    desired: int
    running: int
    pending: int
    target_groups: dict[str, dict[str, int]] = field(default_factory=dict)  # arn -> {state: count}

    @property
    def problems(self) -> list[str]:
        found = []
        if self.status != "ACTIVE":
            found.append(f"service {self.name} is {self.status}")
        if self.running < self.desired:
            found.append(f"service {self.name} runs {self.running} of {self.desired} desired tasks")
        if self.desired == 0:
            found.append(f"service {self.name} wants no tasks at all")
        for arn, states in self.target_groups.items():
            healthy = states.get("healthy", 0)
            if healthy == 0:
                group = arn.rsplit("/", 2)[-2] if "/" in arn else arn
                found.append(f"target group {group} of {self.name} has no healthy target ({states or 'no targets'})")
        return found


def configuration(env: Mapping[str, str] | None = None) -> tuple[str, list[str]] | None:
    values = os.environ if env is None else env
    cluster = values.get("HOKUSAI_ECS_CLUSTER", "").strip()
    services = [s.strip() for s in values.get("HOKUSAI_ECS_SERVICES", "").split(",") if s.strip()]
    if not cluster or not services:
        return None
    return cluster, services


def why_not_configured(env: Mapping[str, str] | None = None) -> str | None:
    values = os.environ if env is None else env
    if configuration(values) is None:
        return (
            "the check of the AWS services (ECS) is not configured: infra staff set HOKUSAI_ECS_CLUSTER and "
            "HOKUSAI_ECS_SERVICES to run it"
        )
    has_credentials = (
        values.get("AWS_ACCESS_KEY_ID")
        or values.get("AWS_PROFILE")
        or values.get("AWS_WEB_IDENTITY_TOKEN_FILE")
        or values.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    )
    if not has_credentials:
        return "no AWS credentials in the environment (AWS_ACCESS_KEY_ID or AWS_PROFILE)"
    return None


def read_status(cluster: str, services: list[str], region: str | None = None) -> list[ServiceStatus]:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"})
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    try:
        ecs = boto3.client("ecs", region_name=region, config=config)
        elbv2 = boto3.client("elbv2", region_name=region, config=config)
        described = ecs.describe_services(cluster=cluster, services=services)
        result = []
        for failure in described.get("failures", []):
            result.append(
                ServiceStatus(
                    name=failure.get("arn", "?").rsplit("/", 1)[-1],
                    status=f"MISSING ({failure.get('reason')})",
                    desired=0,
                    running=0,
                    pending=0,
                )
            )
        for service in described.get("services", []):
            status = ServiceStatus(
                name=service["serviceName"],
                status=service.get("status", "?"),
                desired=service.get("desiredCount", 0),
                running=service.get("runningCount", 0),
                pending=service.get("pendingCount", 0),
            )
            for attachment in service.get("loadBalancers", []):
                arn = attachment.get("targetGroupArn")
                if not arn:
                    continue
                health = elbv2.describe_target_health(TargetGroupArn=arn)
                states: dict[str, int] = {}
                for target in health.get("TargetHealthDescriptions", []):
                    state = target.get("TargetHealth", {}).get("State", "unknown")
                    states[state] = states.get(state, 0) + 1
                status.target_groups[arn] = states
            result.append(status)
        return result
    except (BotoCoreError, ClientError) as exc:
        raise InfrastructureError(f"could not read ECS status: {type(exc).__name__}: {exc}") from exc
