"""The files that tie the repository together: Dependabot, the act event payloads, the changelog."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from repo import hygiene as h

EVENTS = h.REPO / "tests" / "events"
PAYLOADS = {name: EVENTS / f"{name}.json" for name in ("pull_request", "push", "workflow_dispatch")}
_EVENT_REFERENCE = re.compile(r"github\.event\.([A-Za-z0-9_.*-]+)")


# ------------------------------------------------------------------------------------------ Dependabot


def dependabot() -> dict[str, Any]:
    return yaml.safe_load(h.dependabot_file().read_text(encoding="utf-8"))


def directories(ecosystem: str) -> set[str]:
    found: set[str] = set()
    for update in dependabot()["updates"]:
        if update["package-ecosystem"] == ecosystem:
            found |= set(update.get("directories") or [update.get("directory")])
    return found


def test_dependabot_matches_its_schema() -> None:
    report = h.run_check_jsonschema("dependabot", [h.relative(h.dependabot_file())])
    assert report.for_file(h.relative(h.dependabot_file())) == []


def test_dependabot_updates_every_action_and_workflow() -> None:
    wanted = {"/", "/.github/workflows"} | {"/" + h.relative(path.parent) for path in h.action_files()}
    wanted.discard("/.")
    assert wanted - directories("github-actions") == set()


def test_dependabot_updates_every_requirements_file() -> None:
    wanted = {"/" + h.relative(path.parent) for path in h.REPO.glob("requirements*/*.txt")} | {"/"}
    assert wanted - directories("pip") == set()


def test_dependabot_updates_are_grouped_weekly_with_a_cooldown() -> None:
    for config in dependabot()["updates"]:
        assert config["schedule"]["interval"] == "weekly", config["package-ecosystem"]
        assert config["cooldown"]["default-days"] >= 7, config["package-ecosystem"]
        assert config["groups"], "one pull request per group instead of one per dependency"


# -------------------------------------------------------------------------------------- event payloads


def payload(name: str) -> dict[str, Any]:
    return json.loads(PAYLOADS[name].read_text(encoding="utf-8"))


def resolve(data: Any, path: str) -> bool:
    """Whether ``path`` (``pull_request.labels.*.name``) leads somewhere in ``data``."""
    head, _, rest = path.partition(".")
    if head == "*":
        items = data if isinstance(data, list) else list(data.values()) if isinstance(data, dict) else []
        return bool(items) and any(resolve(item, rest) for item in items) if rest else bool(items)
    if not isinstance(data, dict) or head not in data:
        return False
    return resolve(data[head], rest) if rest else True


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_event_payload_is_a_json_object_about_this_repository(name: str) -> None:
    data = payload(name)
    assert data["repository"]["full_name"] == "mlci-dev/mlci"
    assert data["repository"]["fork"] is False
    assert data["sender"]["login"]


def test_pull_request_payload_has_what_the_workflows_read() -> None:
    data = payload("pull_request")
    pr = data["pull_request"]
    assert data["number"] == pr["number"] == 42
    assert re.fullmatch(r"[0-9a-f]{40}", pr["head"]["sha"]) and re.fullmatch(
        r"[0-9a-f]{40}", pr["base"]["sha"]
    )
    assert pr["head"]["ref"] and pr["base"]["ref"] == "main"
    assert pr["head"]["repo"]["fork"] is False
    assert "train" in [label["name"] for label in pr["labels"]]


def test_push_and_dispatch_payloads_name_main() -> None:
    assert payload("push")["ref"] == payload("workflow_dispatch")["ref"] == "refs/heads/main"
    assert payload("push")["head_commit"]["id"] == payload("push")["after"]


def _event_references() -> list[tuple[str, str]]:
    found = []
    for path in [*h.workflow_files(), *h.example_workflow_files()]:
        for reference in sorted(set(_EVENT_REFERENCE.findall(path.read_text(encoding="utf-8")))):
            found.append((h.relative(path), reference.rstrip(".")))
    return found


@pytest.mark.parametrize(("workflow", "reference"), _event_references())
def test_every_event_field_a_workflow_reads_is_in_a_payload(workflow: str, reference: str) -> None:
    if reference.startswith("inputs."):
        pytest.skip("workflow_dispatch inputs come from the run, not the payload")
    assert any(resolve(payload(name), reference) for name in PAYLOADS), (
        f"{workflow} reads github.event.{reference}, which none of tests/events/*.json has: add it, so act "
        "runs see what GitHub would send"
    )


# ---------------------------------------------------------------------------------------------- changelog


def test_changelog_follows_keep_a_changelog() -> None:
    text = (h.REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in text
    sections = re.findall(r"^## (.+)$", text, re.M)
    assert sections and sections[0] == "[Unreleased]"
    kinds = set(re.findall(r"^### (.+)$", text, re.M))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, kinds
