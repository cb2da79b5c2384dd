"""ECS status against moto's standalone server (a real HTTP AWS emulator on loopback)."""

import subprocess
import sys
import time

import boto3
import pytest
import requests

from hokusai_acceptance import aws_status
from hokusai_acceptance.ports import free_port

from ..suite_runner import allure_results, run_behave

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def moto_endpoint():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            requests.get(url + "/moto-api/", timeout=1)
            break
        except requests.RequestException:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the local AWS stand-in did not answer at {url} (exit code {proc.poll()})")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def aws_env(moto_endpoint, monkeypatch):
    values = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    requests.post(moto_endpoint + "/moto-api/reset", timeout=5)
    return values


def build_cluster(desired: int, register_targets: bool) -> str:
    ec2 = boto3.client("ec2")
    elbv2 = boto3.client("elbv2")
    ecs = boto3.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = elbv2.create_target_group(Name="hokusai-api", Protocol="HTTP", Port=8001, VpcId=vpc, TargetType="instance")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    if register_targets:
        image = ec2.describe_images()["Images"][0]["ImageId"]
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": instance, "Port": 8001}])
    ecs.create_cluster(clusterName="hokusai-development")
    ecs.register_task_definition(
        family="hokusai-api", containerDefinitions=[{"name": "api", "image": "hokusai/api:latest", "memory": 512}]
    )
    ecs.create_service(
        cluster="hokusai-development",
        serviceName="hokusai-api",
        taskDefinition="hokusai-api",
        desiredCount=desired,
        loadBalancers=[{"targetGroupArn": group, "containerName": "api", "containerPort": 8001}],
    )
    return group


def test_not_configured_explains_why():
    assert "HOKUSAI_ECS_CLUSTER" in aws_status.why_not_configured({})
    assert "credentials" in aws_status.why_not_configured({"HOKUSAI_ECS_CLUSTER": "c", "HOKUSAI_ECS_SERVICES": "a"})


@pytest.mark.usefixtures("aws_env")
def test_service_without_running_tasks_is_reported():
    build_cluster(desired=2, register_targets=False)
    [status] = aws_status.read_status("hokusai-development", ["hokusai-api"])
    assert (status.name, status.status, status.desired) == ("hokusai-api", "ACTIVE", 2)
    problems = " ".join(status.problems)
    assert "no healthy target" in problems


@pytest.mark.usefixtures("aws_env")
def test_missing_service_is_reported():
    build_cluster(desired=1, register_targets=False)
    statuses = aws_status.read_status("hokusai-development", ["hokusai-api", "hokusai-auth"])
    missing = [s for s in statuses if s.name == "hokusai-auth"]
    assert missing and missing[0].status.startswith("MISSING")


def test_unreachable_aws_is_an_infrastructure_error(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(aws_status.InfrastructureError, match="could not read ECS status"):
        aws_status.read_status("c", ["s"], region="us-east-1")


@pytest.mark.usefixtures("aws_env")
def test_the_feature_reads_moto(tmp_path):
    build_cluster(desired=1, register_targets=True)
    proc, _ = run_behave(
        ["--tags=@aws", "-f", "plain"],
        tmp_path,
        {"HOKUSAI_ECS_CLUSTER": "hokusai-development", "HOKUSAI_ECS_SERVICES": "hokusai-api"},
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    # moto counts a service's task as pending until one is started: the check must report that as a failure
    assert proc.returncode == 1, output[-2000:]
    results = allure_results(tmp_path)
    [result] = [r for r in results if r["status"] != "skipped"]  # the other scenarios were not selected
    assert result["status"] == "failed"
    assert "runs 0 of 1 desired tasks" in result["statusDetails"]["message"]
    assert "no healthy target" not in result["statusDetails"]["message"]
