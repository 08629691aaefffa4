"""``mlci train`` refuses bad input with one clear line (see hardening/battery.py)."""

from __future__ import annotations

import pytest

from hardening.battery import Argv, Battery, Case, World


def local(w: World, *extra: str) -> Argv:
    return ["train", "--source", w.source(), *extra]


def sagemaker(w: World, *extra: str) -> Argv:
    return [
        "train", "--launcher", "sagemaker", "--job-name", "mlci-hardening-1",
        "--image-uri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1",
        "--role-arn", "arn:aws:iam::123456789012:role/mlci", "--output", "s3://mlci-hardening/out", *extra,
    ]  # fmt: skip


def _aws_without_region(w: World) -> None:
    w.aws()
    w.monkeypatch.delenv("AWS_DEFAULT_REGION")


CASES = {
    "missing-source": Case(lambda w: ["train", "--source", str(w.tmp / "nope")], "--source"),
    "negative-runtime": Case(lambda w: local(w, "--max-runtime", "-5"), "--max-runtime"),
    "runtime-not-a-duration": Case(lambda w: local(w, "--max-runtime", "soon"), "--max-runtime"),
    "invalid-job-name": Case(lambda w: local(w, "--job-name", "bad name!"), "--job-name 'bad name!'"),
    "bad-hyperparameters-yaml": Case(
        lambda w: local(w, "--hyperparameters", "lr: [0.1"), "--hyperparameters"
    ),
    "hyperparameters-not-a-mapping": Case(
        lambda w: local(w, "--hyperparameters", "[1, 2]"), "--hyperparameters"
    ),
    "bad-environment-name": Case(lambda w: local(w, "--environment", "1BAD: x"), "--environment"),
    "channel-without-value": Case(lambda w: local(w, "--channel", "data"), "--channel 'data'"),
    "missing-channel-path": Case(
        lambda w: local(w, "--channel", f"data={w.tmp / 'nope'}"), "--channel data="
    ),
    "command-not-found": Case(lambda w: local(w, "--command", "mlci-no-such-program --fast"), "--command"),
    "command-unbalanced-quote": Case(lambda w: local(w, "--command", "python 'train.py"), "--command"),
    "local-output-on-s3": Case(lambda w: local(w, "--output", "s3://b/model"), "--output s3://b/model"),
    "unknown-launcher": Case(lambda w: ["train", "--launcher", "docker"], "--launcher"),
    "instance-type-outside-allowlist": Case(
        lambda w: sagemaker(
            w, "--instance-type", "ml.p4d.24xlarge", "--allowed-instance-types", "ml.m5.large,ml.c5.xlarge"
        ),
        "--instance-type ml.p4d.24xlarge",
    ),
    "sagemaker-bad-role": Case(lambda w: sagemaker(w, "--role-arn", "mlci-role"), "--role-arn"),
    "sagemaker-without-output": Case(lambda w: sagemaker(w)[:-2], "--output"),
    "sagemaker-no-job-name-nor-sha": Case(lambda w: sagemaker(w)[:3] + sagemaker(w)[5:], "--job-name"),
    "sagemaker-invalid-tag": Case(lambda w: sagemaker(w, "--tag", "aws:team=ml"), "--tag aws:team=ml"),
    "sagemaker-max-wait-without-spot": Case(lambda w: sagemaker(w, "--max-wait", "2h"), "--max-wait"),
    "poll-interval-negative": Case(lambda w: sagemaker(w, "--poll-interval", "-1"), "--poll-interval"),
    "sagemaker-no-region": Case(lambda w: sagemaker(w), "no AWS region", setup=_aws_without_region),
    "user-sagemaker-program": Case(
        lambda w: local(w, "--hyperparameters", "sagemaker_program: other.py"), "--hyperparameters"
    ),
    "sagemaker-program-on-sagemaker": Case(
        lambda w: sagemaker(w, "--hyperparameters", '{"sagemaker_program": "evil.py"}'), "--hyperparameters"
    ),
    "local-more-than-one-instance": Case(lambda w: local(w, "--instance-count", "2"), "--instance-count 2"),
    "local-spot": Case(lambda w: local(w, "--spot"), "--spot"),
    "sagemaker-flag-on-local": Case(lambda w: local(w, "--image-uri", "x.dkr.ecr/y:1"), "--image-uri"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_train_input(case: str, battery: Battery) -> None:
    battery.refuse(CASES[case])
