"""Trace each input of a composite action to the mlci command line it produces.

The action's scripts run for real (see :mod:`devtools.composite`); the recorded ``python -m mlci ...`` calls
are parsed by mlci's own argparse parser, and every input must arrive at the attribute its flag sets: a
renamed flag, a forgotten input or a typo in a script fails here instead of in a user's workflow.

How: every input gets a unique marker value (``mlci.<input>.sample``); where the marker shows up on a
recorded command line says which flag (or argument) carries the input. An input whose flag has ``choices``
(``--launcher local|sagemaker``) also gets one run per choice, so inputs used on one branch only are found.
An input that never shows up as text is tried as a switch ('true'/'false' flipped). Then a second run with
values each flag's ``type=`` accepts is parsed by mlci's parser and each value is looked up where it belongs.
Each of these runs again with mlci's own step outputs as ``s3://`` URIs, so an input used only when such an
output is a URI is found too. An input of ``ACTION_ONLY`` that is a switch ('true'/'false') is tried as one.
scripts/gen_docs.py writes the docs tables from these routes.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.composite import STAND_IN, Invocation, Result, Runner

#: inputs that configure the action itself, never mlci: input -> a value the scripts can work with
ACTION_ONLY: dict[str, str] = {
    "python-version": "3.11",
    "working-directory": ".",
    "cache": "false",
}
#: environment variables that the libraries mlci drives read themselves (an input may arrive as one of these)
LIBRARY_ENV = {
    "HF_TOKEN",
    "HF_ENDPOINT",
    "HF_HUB_CACHE",
    "HF_HUB_OFFLINE",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "GITHUB_TOKEN",
}
#: values tried, in order, for a flag whose ``type=`` rejects the sample marker
_CANDIDATES = ["7", "0.25", "accuracy: 0.5", "flake8"]
#: the stand-in outputs of mlci steps in the scenario where they are URIs (an S3 code destination, say)
URI_STAND_IN = "s3://mlci-output/{name}"


#: inputs whose value the action's scripts check for shape: the marker goes inside a value of that shape
SHAPED = {"tool-versions": "black==0.{}"}


def marker(name: str) -> str:
    """A value no other input's marker contains (input names are kebab-case: no dots)."""
    return SHAPED.get(name, "{}").format(f"mlci.{name}.sample")


@dataclass
class Scenario:
    """One set of input values and the calls the action made with them."""

    name: str
    values: dict[str, str]
    calls: list[Invocation]
    fixed: str | None = None  # the input this scenario pins to one of its flag's choices
    stand_in: str = STAND_IN  # what mlci's own steps leave in their outputs


@dataclass
class Route:
    """Where one input's value went in one mlci (or pip) call."""

    input: str
    command: str
    kind: str  # "flag", "positional", "embedded", "switch", "env" or "install"
    target: str  # "--model", "positional", "--trust-pickle", "HF_TOKEN" or "pip"
    scenario: int = 0
    value: str = ""  # a switch: the input value that puts the flag on the command line
    argument: str = ""  # a positional: its name in mlci's usage ("SRC", "DEST", "PATH")

    def __str__(self) -> str:
        where = "pip install" if self.kind == "install" else f"mlci {self.command} {self.target}"
        return f"{self.input} -> {where} ({self.kind})"


@dataclass
class Trace:
    routes: list[Route] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    commands: set[str] = field(default_factory=set)
    log: list[str] = field(default_factory=list)

    def explain(self) -> str:
        routes = sorted(set(map(str, self.routes)))
        return "\n  ".join([*self.problems, "routes found:", *routes, "steps (first run):", *self.log])


def subparser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(command or "")
    return None


def option(parser: argparse.ArgumentParser, command: str | None, flag: str) -> argparse.Action | None:
    sub = subparser(parser, command)
    return sub._option_string_actions.get(flag) if sub else None


def _is_switch(value: str) -> bool:
    return value.strip().lower() in ("true", "false")


def _flip(value: str) -> str:
    return "false" if value.strip().lower() == "true" else "true"


def _run(runner: Runner, values: Mapping[str, str], stand_in: str = STAND_IN) -> Result:
    runner.machine.stand_in = stand_in
    return runner.run(values)


def _positional(call: Invocation, index: int, sub: argparse.ArgumentParser | None) -> str:
    """The name (metavar) of the positional argument that ``call.argv[index]`` fills."""
    names = [str(a.metavar or a.dest.upper()) for a in (sub._actions if sub else []) if not a.option_strings]
    options = sub._option_string_actions if sub else {}
    start = call.argv.index(call.command) + 1 if call.command in call.argv else 0
    count, pending, only_positionals = 0, False, False
    for token in call.argv[start:index]:
        if pending:
            pending = False
        elif token == "--" and not only_positionals:  # nosec B105: argparse's end of options, not a password
            only_positionals = True
        elif token.startswith("-") and not only_positionals:
            pending = token in options and options[token].nargs != 0
        else:
            count += 1
    names = names or ["ARGUMENT"]
    return names[min(count, len(names) - 1)]


def _places(call: Invocation, value: str, parser: argparse.ArgumentParser) -> Iterator[tuple[str, str, str]]:
    """(kind, target, positional name) for each place ``value`` appears on one recorded command line."""
    if call.tool == "pip":
        if any(value in token for token in call.argv):
            yield "install", "pip", ""
        return
    sub = subparser(parser, call.command)
    options = {**parser._option_string_actions, **(sub._option_string_actions if sub else {})}
    for index, token in enumerate(call.argv):
        if token.startswith("--") and token.endswith(f"={value}"):
            yield "flag", token.split("=", 1)[0], ""
        elif value in token:
            previous = call.argv[index - 1] if index else ""
            takes_value = previous in options and options[previous].nargs != 0
            kind = ("flag" if takes_value else "positional") if token == value else "embedded"
            if takes_value:
                yield kind, previous, ""
            else:
                yield kind, "positional", _positional(call, index, sub)


def _routes(name: str, index: int, scenario: Scenario, parser: argparse.ArgumentParser) -> list[Route]:
    value = scenario.values[name]
    if _is_switch(value):  # 'true' and 'false' are not unique: found by flipping them instead
        return []
    found = [
        Route(name, call.command or "?", kind, target, index, argument=argument)
        for call in scenario.calls
        for kind, target, argument in _places(call, value, parser)
    ]
    if found:
        return found
    return [
        Route(name, call.command or "?", "env", variable, index)
        for call in scenario.calls
        if call.tool == "mlci"
        for variable, current in call.env.items()
        if current == value and variable in LIBRARY_ENV
    ]


def _switch_routes(name: str, index: int, scenario: Scenario, runner: Runner) -> list[Route]:
    """Flip the input ('true' <-> 'false'); the flags that appear or disappear are its switch, added by the
    value that puts them on the command line."""
    value = scenario.values[name]
    flipped = _flip(value)
    after = _run(runner, {**scenario.values, name: flipped}, scenario.stand_in).invocations
    return [
        Route(name, new.command or "?", "switch", flag, index, flipped if flag in new.argv else value)
        for old, new in zip(scenario.calls, after)
        if new.tool == "mlci"
        for flag in sorted(set(new.argv) ^ set(old.argv))
        if flag.startswith("-")
    ]


def sample_value(action: argparse.Action | None, name: str) -> str:
    """A value this flag's ``type=``/``choices=`` accept (the marker when it is accepted)."""
    if action is None:
        return marker(name)
    if action.choices:
        choices = [str(choice) for choice in action.choices]
        return next((choice for choice in choices if choice != str(action.default)), choices[0])
    convert = action.type
    if not callable(convert):  # none, or a type registered by name
        return marker(name)
    for candidate in [marker(name), *_CANDIDATES]:
        try:
            convert(candidate)
        except Exception:  # noqa: BLE001  # nosec B112: any rejection means: try the next candidate
            continue
        return candidate
    return marker(name)


def _switched(action: argparse.Action, flag: str) -> Any:
    """The value a switch sets (``--x``/``--no-x`` of BooleanOptionalAction, or store_true's const)."""
    if isinstance(action, argparse.BooleanOptionalAction):
        return not flag.startswith("--no-")
    return action.const


def arrived(actual: Any, expected: Any, embedded: bool = False) -> bool:
    """The parsed attribute holds the input's value (alone, as one item of a list, or inside a string)."""
    if embedded:
        items = actual if isinstance(actual, list) else [actual]
        return any(str(expected) in str(item) for item in items)
    if actual == expected:
        return True
    if isinstance(actual, list):
        return all(item in actual for item in (expected if isinstance(expected, list) else [expected]))
    return False


def parse(parser: argparse.ArgumentParser, call: Invocation) -> tuple[argparse.Namespace | None, str]:
    try:
        return parser.parse_args(call.argv), ""
    except SystemExit as exc:
        return None, f"argparse exited with {exc.code}"
    except Exception as exc:  # noqa: BLE001 - mlci's parser raises UserError: report its sentence
        return None, str(exc)


def _baseline(specs: Mapping[str, Any]) -> dict[str, str]:
    values = {}
    for name, spec in specs.items():
        default = str(spec.get("default", ""))
        values[name] = ACTION_ONLY.get(name) or (default if _is_switch(default) else marker(name))
    return values


def _choice_scenarios(first: Scenario, runner: Runner, parser: argparse.ArgumentParser) -> list[Scenario]:
    """One more scenario per choice of each input that lands on a flag with ``choices``."""
    found = []
    for name, value in first.values.items():
        for call in first.calls:
            for kind, target, _ in _places(call, value, parser) if call.tool == "mlci" else ():
                action = option(parser, call.command, target) if kind == "flag" else None
                for choice in (action.choices or []) if action else []:
                    values = {**first.values, name: str(choice)}
                    found.append(Scenario(f"{name}={choice}", values, _run(runner, values).invocations, name))
    return found


def _with_uris(scenario: Scenario, runner: Runner) -> Scenario:
    """The same values, with mlci's own steps answering ``s3://`` URIs (an S3 code destination, say)."""
    calls = _run(runner, scenario.values, URI_STAND_IN).invocations
    return Scenario(f"{scenario.name}, outputs as URIs", scenario.values, calls, scenario.fixed, URI_STAND_IN)


def trace(action: Path, scratch: Path, parser: argparse.ArgumentParser) -> Trace:
    """Find where every input goes, then check with sample values that each arrives where it should."""
    runner = Runner(action, scratch)
    specs: Mapping[str, Any] = {name: spec or {} for name, spec in (runner.spec.get("inputs") or {}).items()}
    result = Trace()
    values = _baseline(specs)
    first_run = _run(runner, values)
    first = Scenario("baseline", values, first_run.invocations)
    result.log = first_run.log
    result.commands = {call.command or "?" for call in first.calls if call.tool == "mlci"}
    if not result.commands:
        result.problems.append("the action never ran 'python -m mlci ...'")
        return result
    # some inputs are used on one branch only: each choice of each choice input, with mlci's outputs as URIs
    scenarios = [first, *_choice_scenarios(first, runner, parser)]
    scenarios += [_with_uris(scenario, runner) for scenario in scenarios]
    wanted = [name for name in specs if name not in ACTION_ONLY]
    found: dict[str, list[Route]] = {name: [] for name in wanted}
    for name in wanted:
        for index, scenario in enumerate(scenarios):
            seen = {_where(route) for route in found[name]}
            if scenario.fixed != name:
                found[name] += [r for r in _routes(name, index, scenario, parser) if _where(r) not in seen]
    for name in wanted:
        for index, scenario in enumerate(scenarios):
            if found[name]:
                break
            if scenario.fixed != name:
                found[name] = _switch_routes(name, index, scenario, runner)
        if not found[name]:
            result.problems.append(
                f"input {name!r} reaches no mlci command line (no flag, no argument, no library environment "
                "variable, no pip install), in any scenario tried "
                f"({', '.join(scenario.name for scenario in scenarios)}); pass it through, or add it to "
                "ACTION_ONLY in scripts/devtools/drift.py if it only configures the action"
            )
        result.routes += found[name]
    for name in (name for name in specs if name in ACTION_ONLY and _is_switch(values[name])):
        result.routes += _switch_routes(name, 0, first, runner)  # --no-cache: an action-only switch
    for index, scenario in enumerate(scenarios):
        routes = [route for route in result.routes if route.scenario == index]
        if routes or index == 0:
            _check_values(runner, scenario, routes, parser, result)
    return result


def _where(route: Route) -> tuple[str, str, str, str]:
    return route.command, route.kind, route.target, route.argument


def _check_values(
    runner: Runner, scenario: Scenario, routes: list[Route], parser: argparse.ArgumentParser, result: Trace
) -> None:
    """Run the scenario with values each flag's type accepts (for every route found, in any scenario); parse
    each call; find the values of this scenario's routes where they belong."""
    samples = dict(scenario.values)
    for route in result.routes:
        if route.input == scenario.fixed:
            continue
        if route.kind == "flag":
            samples[route.input] = sample_value(option(parser, route.command, route.target), route.input)
        elif route.kind == "switch":
            samples[route.input] = route.value
    calls = _run(runner, samples, scenario.stand_in).invocations
    for route in routes:
        if route.kind == "install" and not any(
            samples[route.input] in token for call in calls if call.tool == "pip" for token in call.argv
        ):
            result.problems.append(f"input {route.input!r} did not reach pip install ({scenario.name})")
    for call in (call for call in calls if call.tool == "mlci"):
        namespace, error = parse(parser, call)
        if namespace is None:
            result.problems.append(
                f"mlci {call.command} rejects the action's command line {call.argv} "
                f"({scenario.name}): {error}"
            )
            continue
        for route in (route for route in routes if route.command == call.command and route.kind != "install"):
            problem = _arrival_problem(route, samples[route.input], call, namespace, parser)
            if problem:
                result.problems.append(f"{problem} ({scenario.name})")


def _arrival_problem(
    route: Route, value: str, call: Invocation, namespace: argparse.Namespace, parser: argparse.ArgumentParser
) -> str:
    if route.kind == "env":
        return (
            ""
            if call.env.get(route.target) == value
            else f"input {route.input!r} did not arrive as ${route.target}"
        )
    sub = subparser(parser, call.command)
    actions = sub._actions if sub else []
    if route.target == "positional":
        candidates = [action for action in actions if not action.option_strings]
    else:
        candidates = [action for action in actions if route.target in action.option_strings]
    if not candidates:
        return (
            f"input {route.input!r} goes to {route.target}, which is not an option of mlci {call.command} "
            "(argparse may have taken it as an abbreviation of a longer option: spell it out)"
        )
    for action in candidates:
        actual = getattr(namespace, action.dest, None)
        if route.kind == "switch" and actual == _switched(action, route.target):
            return ""
        if route.kind == "embedded" and arrived(actual, value, embedded=True):
            return ""
        if route.kind in ("flag", "positional"):
            expected = action.type(value) if callable(action.type) else value
            if arrived(actual, expected):
                return ""
    parsed = {action.dest: getattr(namespace, action.dest, None) for action in candidates}
    return (
        f"input {route.input!r} = {value!r} went to {route.target}, but mlci {call.command} parsed {parsed}"
    )
