"""A small evaluator for GitHub Actions ``${{ }}`` expressions, enough to run a composite action's steps.

It follows GitHub's rules where they change a result: ``||``/``&&`` return an operand, not a boolean;
comparing different types converts both to numbers (so ``'true' == true`` is false, as on GitHub, where a
composite action's inputs are always strings); string comparison ignores case. It knows GitHub's contexts
(``CONTEXTS``) and the properties of ``job`` (``JOB_PROPERTIES``, with ``job.workflow_*``): a misspelt name is
an error, never an empty string. A known property the context does not hold (``job.workflow_sha`` under act
or on GHES) is null, as there.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<number>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))
      | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\],.*])
      | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.X,
)
_EMBEDDED = re.compile(r"\$\{\{((?:(?!\}\}).)*)\}\}", re.S)


#: the contexts an expression may name (docs.github.com: "Contexts reference")
CONTEXTS = frozenset(
    {
        "github",
        "env",
        "vars",
        "job",
        "jobs",
        "steps",
        "runner",
        "secrets",
        "strategy",
        "matrix",
        "needs",
        "inputs",
    }
)
#: the properties of the ``job`` context; ``workflow_*`` name the workflow file that holds the job (absent on
#: GitHub Enterprise Server and under act)
JOB_PROPERTIES = frozenset(
    {
        "check_run_id",
        "container",
        "services",
        "status",
        "workflow_ref",
        "workflow_sha",
        "workflow_repository",
        "workflow_file_path",
    }
)


class ExpressionError(ValueError):
    """An expression this evaluator does not understand."""


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read {text[pos:]!r} in expression {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        pos = match.end()
    return tokens


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "") or isinstance(value, (dict, list))


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    if type(left) is type(right) and not isinstance(left, (int, float)):
        return left is right if isinstance(left, (dict, list)) else left == right
    return _number(left) == _number(right)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if isinstance(left, str) and isinstance(right, str):
        a, b = left.lower(), right.lower()
    else:
        a, b = _number(left), _number(right)  # type: ignore[assignment]
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def to_string(value: Any) -> str:
    """How GitHub writes a value into a string (``${{ }}`` embedded in text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2)
    return str(value)


class _Parser:
    def __init__(self, text: str, context: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]):
        self.text, self.tokens, self.pos = text, _tokens(text), 0
        self.context, self.functions = context, functions

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ExpressionError(f"unexpected end of expression {self.text!r}")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, got {token[1]!r} in {self.text!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.pos != len(self.tokens):
            raise ExpressionError(f"unexpected {self.peek()!r} in {self.text!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.comparison()
        while self.peek() == "&&":
            self.take()
            right = self.comparison()
            value = right if truthy(value) else value
        return value

    def comparison(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            value = _compare(op, value, self.unary())
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(int(text, 16)) if "x" in text.lower() else float(text)
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == "(":
            return self.call(text)
        if text.lower() not in CONTEXTS:
            raise ExpressionError(f"unknown context {text!r} in {self.text!r}")
        if text.lower() == "job" and self.peek() == ".":
            return self.job_property()
        return self.path(_lookup(self.context, text))

    def job_property(self) -> Any:
        self.take(".")
        _, name = self.take()
        if name.lower() not in JOB_PROPERTIES:
            raise ExpressionError(f"the job context has no property {name!r} (in {self.text!r})")
        return self.path(_lookup(_lookup(self.context, "job"), name))

    def call(self, name: str) -> Any:
        self.take("(")
        args = []
        while self.peek() != ")":
            args.append(self.or_())
            if self.peek() == ",":
                self.take()
        self.take(")")
        function = self.functions.get(name) or self.functions.get(name.lower())
        if function is None:
            raise ExpressionError(f"function {name}() is not supported here (in {self.text!r})")
        return self.path(function(*args))

    def path(self, value: Any) -> Any:
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                kind, key = self.take()
                if key == "*":  # an object filter: every item (or value) of what came before
                    items = (
                        value
                        if isinstance(value, list)
                        else list(value.values()) if isinstance(value, dict) else []
                    )
                    value = _Filtered(items)
                    continue
            else:
                key = to_string(self.or_())
                self.take("]")
            value = _lookup(value, key)
        return value


class _Filtered(list[Any]):
    """The result of an object filter (``labels.*``): a property of it is that property of each item."""


def _lookup(value: Any, key: str) -> Any:
    if isinstance(value, _Filtered):
        return _Filtered(_lookup(item, key) for item in value)
    if isinstance(value, Mapping):
        for name, item in value.items():
            if str(name).lower() == key.lower():
                return item
        return None
    if isinstance(value, list) and key.isdigit() and int(key) < len(value):
        return value[int(key)]
    return None


def _format(template: str, *args: Any) -> str:
    return re.sub(
        r"\{\{|\}\}|\{(\d+)\}", lambda m: to_string(args[int(m[1])]) if m[1] else m[0][0], to_string(template)
    )


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "success": lambda: True,
    "always": lambda: True,
    "failure": lambda: False,
    "cancelled": lambda: False,
    "contains": lambda hay, needle: (
        any(_equal(item, needle) for item in hay)
        if isinstance(hay, list)
        else to_string(needle).lower() in to_string(hay).lower()
    ),
    "startswith": lambda text, prefix: to_string(text).lower().startswith(to_string(prefix).lower()),
    "endswith": lambda text, suffix: to_string(text).lower().endswith(to_string(suffix).lower()),
    "format": _format,
    "join": lambda items, sep=",": (
        to_string(sep).join(map(to_string, items)) if isinstance(items, list) else to_string(items)
    ),
    "tojson": lambda value: json.dumps(value, indent=2),
    "fromjson": lambda text: json.loads(text),
    "hashfiles": lambda *patterns: "0" * 64,
}


def evaluate(
    expression: str, context: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None
) -> Any:
    """The value of one expression (the text inside ``${{ }}``, or an ``if:`` condition)."""
    return _Parser(expression, context, functions or FUNCTIONS).parse()


def render(text: Any, context: Mapping[str, Any]) -> str:
    """A YAML value with its ``${{ }}`` parts replaced, as the runner does for ``env:`` and ``with:``."""
    if not isinstance(text, str):
        return to_string(text)
    whole = _EMBEDDED.fullmatch(text.strip())
    if whole:
        return to_string(evaluate(whole[1], context))
    return _EMBEDDED.sub(lambda match: to_string(evaluate(match[1], context)), text)


_STATUS_FUNCTION = re.compile(r"\b(?:success|failure|always|cancelled)\s*\(", re.I)


def condition(text: Any, context: Mapping[str, Any], failed: bool = False, cancelled: bool = False) -> bool:
    """A step's ``if:`` (with or without ``${{ }}``) after earlier steps succeeded (or ``failed``, or the run
    was ``cancelled``), with GitHub's implied ``success() &&`` when the condition calls no status function."""
    return _status_condition(
        text, context, success=not (failed or cancelled), failure=failed, cancelled=cancelled
    )


def job_condition(text: Any, context: Mapping[str, Any], cancelled: bool = False) -> bool:
    """A job's ``if:``, as GitHub documents the status functions for jobs: ``success()`` when every job in
    ``needs`` (``context["needs"][job]["result"]``) succeeded and the run was not cancelled, ``failure()``
    when one failed, ``cancelled()`` when the run was cancelled, ``always()`` even then; and the implied
    ``success() &&`` (a skipped or cancelled need skips the job unless a status function says otherwise)."""
    results = [str((need or {}).get("result", "")) for need in (context.get("needs") or {}).values()]
    success = not cancelled and all(result == "success" for result in results)
    return _status_condition(
        text, context, success=success, failure="failure" in results, cancelled=cancelled
    )


def _status_condition(
    text: Any, context: Mapping[str, Any], *, success: bool, failure: bool, cancelled: bool
) -> bool:
    functions = {
        **FUNCTIONS,
        "success": lambda: success,
        "failure": lambda: failure,
        "cancelled": lambda: cancelled,
    }
    if text is None or text == "":
        return success
    if isinstance(text, bool):
        return text and success
    source = str(text).strip()
    whole = _EMBEDDED.fullmatch(source)
    if whole:
        source = whole[1]
    elif "${{" in source:
        return truthy(render(source, context)) and success
    if not success and not _STATUS_FUNCTION.search(source):
        return False
    return truthy(evaluate(source, context, functions))
