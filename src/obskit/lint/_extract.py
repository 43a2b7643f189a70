"""Every attribute, log field, metric and event name a Python file emits, found from its AST alone.

This is the only place that walks syntax trees: ``lint``, ``--fix`` and ``drift`` all consume the
:class:`NameUse` records it yields. Source is parsed, never imported or run.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Final, Literal

from obskit.lint import _semconv_constants
from obskit.lint._files import source_lines

__all__ = [
    "NO_VALUE",
    "Kind",
    "NameUse",
    "Spelling",
    "extract_names",
    "interesting_lines",
    "may_emit",
]

Kind = Literal["attribute", "log_field", "metric", "event"]


class _NoValue:
    """The value is not a literal the linter can see (distinct from a literal ``None``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __reduce__(self) -> str:
        return "NO_VALUE"  # unpickled (from a lint worker process) as the same singleton


NO_VALUE: Final = _NoValue()


@dataclass(frozen=True, slots=True)
class Spelling:
    """Where a name is written literally, for ``--fix``: raw ``ast`` positions (UTF-8 columns)."""

    line: int
    col: int
    end_line: int
    end_col: int
    style: Literal["string", "keyword"]


@dataclass(frozen=True, slots=True)
class NameUse:
    """One name a service emits. ``col``/``end_col`` are 1-based character columns.

    ``dynamic`` uses hold the expression text in ``name``: the linter cannot know the name.
    ``spelling`` is set when the name is a literal that ``--fix`` may rewrite in place.
    """

    name: str
    kind: Kind
    path: str
    line: int
    col: int
    end_col: int
    value: object = NO_VALUE
    dynamic: bool = False
    spelling: Spelling | None = None


#: Every construct the extractor reads has one of these on a line inside its statement, so
#: statements without one are never walked (the walk, not the parse, is what costs). Plain
#: substrings: ``str.find`` scans far faster than a regular expression with alternatives.
_INTEREST: Final = (
    *("set_attribute", "add_event", "create_", "attributes", "extra", "bind", "semconv"),
    *("etLogger", "et_logger", "wrap_logger", "getChild", ".new(", ".add(", ".record(", ".set("),
    *(f".{level}(" for level in ("debug", "info", "warning", "warn", "error", "critical")),
    *(f".{level}(" for level in ("exception", "msg", "fatal")),
)
#: fields holding nested statements; everything else in a statement is walked in full
_BODIES: Final = ("body", "orelse", "finalbody", "handlers")

#: a logger's methods whose keywords are log fields; never ``log``: any API may have one
#: (``logfire.log(level=, msg_template=, attributes=)``, a helper's ``log(log_level=...)``)
_LOG_LEVELS: Final = frozenset(
    {"debug", "info", "warning", "warn", "error", "critical", "exception", "msg", "fatal"}
)
_LOG_BINDERS: Final = frozenset({"bind", "new"})
_STDLIB_LOG_KWARGS: Final = frozenset({"exc_info", "stack_info", "stacklevel", "extra"})
#: calls that make a logger (``structlog.get_logger``, ``obskit.get_logger``,
#: ``logging.getLogger``...); ``bind``/``new`` make one only when called on a logger
_LOGGER_FACTORIES: Final = frozenset({"get_logger", "getLogger", "wrap_logger", "getChild"})
_METRIC_FACTORIES: Final = frozenset(
    {
        "create_counter",
        "create_histogram",
        "create_up_down_counter",
        "create_gauge",
        "create_observable_counter",
        "create_observable_gauge",
        "create_observable_up_down_counter",
    }
)
_SPAN_STARTERS: Final = frozenset({"start_as_current_span", "start_span"})
#: method -> positional index of its ``attributes`` argument
_ATTRIBUTE_ARG: Final = {"add_link": 1, "record_exception": 1, "add": 1, "record": 1, "set": 1}
_TRACED: Final = frozenset({"traced", "publishing"})


def extract_names(source: str | bytes, path: str = "<string>") -> Iterator[NameUse]:
    """Yield every name use in ``source``; raises ``SyntaxError`` / ``ValueError`` if unparsable."""
    tree = ast.parse(source, filename=path)
    text = source.decode("utf-8") if isinstance(source, bytes) else source
    return _Extractor(text, path).run(tree)


def may_emit(text: str) -> bool:
    """Whether ``text`` can hold a name-emitting call at all: the cheap test that decides if a
    file is parsed. Exactly ``interesting_lines(text) != []``, without locating anything."""
    return any(needle in text for needle in _INTEREST)


def interesting_lines(text: str) -> list[int]:
    """Sorted line numbers that may hold (part of) a name-emitting call."""
    offsets: list[int] = []
    find = text.find
    for needle in _INTEREST:
        at = find(needle)
        while at != -1:
            offsets.append(at)
            at = find(needle, at + 1)
    if not offsets:
        return []
    offsets.sort()
    lines: list[int] = []
    line, last = 1, 0
    count = text.count
    lone_cr = "\r" in text  # a lone "\r" ends a line too (an "\r\n" is counted by its "\n")
    for at in offsets:
        line += count("\n", last, at)
        if lone_cr:
            line += count("\r", last, at) - count("\r\n", last, at)
        last = at
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def _nodes(body: list[ast.stmt], lines: list[int]) -> Iterator[ast.AST]:
    """Nodes of the statements whose line range holds an interesting line (pruned ``ast.walk``)."""
    for stmt in body:
        start = stmt.lineno
        decorators = getattr(stmt, "decorator_list", None)
        if decorators:
            start = min(start, decorators[0].lineno)
        end = stmt.end_lineno or start
        index = bisect.bisect_left(lines, start)
        if index == len(lines) or lines[index] > end:
            continue
        nested = [f for f in _BODIES if getattr(stmt, f, None)]
        if not nested:
            yield from ast.walk(stmt)
            continue
        yield stmt
        for name, value in ast.iter_fields(stmt):
            if name in _BODIES:
                if name == "handlers":
                    for handler in value:
                        if handler.type is not None:
                            yield from ast.walk(handler.type)
                        yield from _nodes(handler.body, lines)
                else:
                    yield from _nodes(value, lines)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        yield from ast.walk(item)
            elif isinstance(value, ast.AST):
                yield from ast.walk(value)


class _Extractor:
    """Per-file state: imports, module constants, logger variables, source lines."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self._lines: list[str] | None = None
        self.constants: dict[str, ast.Constant] = {}
        self.imports: dict[str, str] = {}
        self.loggers: set[str] = set()
        #: ``id(use)`` -> the module constant its name came from
        self._via_constant: dict[int, str] = {}
        #: module-level functions, read only when one is given as ``attributes=``
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.functions_read: set[str] = set()

    # -- positions ------------------------------------------------------------------------
    def _col(self, line: int, byte_col: int) -> int:
        if self._lines is None:
            self._lines = source_lines(self.text)
        if 0 < line <= len(self._lines):
            text = self._lines[line - 1]
            if not text.isascii():
                return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1
        return byte_col + 1

    def _use(
        self,
        name: str,
        kind: Kind,
        node: ast.expr | ast.keyword,
        *,
        value: object = NO_VALUE,
        dynamic: bool = False,
        spelling: Spelling | None = None,
        width: int | None = None,
    ) -> NameUse:
        line = node.lineno
        col = self._col(line, node.col_offset)
        if width is not None:
            end_col = col + width
        elif node.end_lineno == line and node.end_col_offset is not None:
            end_col = self._col(line, node.end_col_offset)
        else:
            end_col = col + 1
        return NameUse(name, kind, self.path, line, col, end_col, value, dynamic, spelling)

    # -- the walk -------------------------------------------------------------------------
    def run(self, tree: ast.Module) -> Iterator[NameUse]:
        lines = interesting_lines(self.text)
        if not lines:
            return
        self._module_constants(tree)
        calls: list[ast.Call] = []
        for node in _nodes(tree.body, lines):
            kind = type(node)
            if kind is ast.Call:
                calls.append(node)  # type: ignore[arg-type]
            elif kind is ast.ImportFrom or kind is ast.Import:
                self._import(node)  # type: ignore[arg-type]
            elif kind is ast.Assign or kind is ast.AnnAssign:
                self._maybe_logger(node)  # type: ignore[arg-type]
        uses = [use for call in calls for use in self._call(call)]
        yield from self._unshared(uses)

    def _unshared(self, uses: list[NameUse]) -> Iterator[NameUse]:
        """Drop the ``--fix`` spelling of a constant that is also used for something else: its
        string is not only an attribute name, so rewriting it would change that other use."""
        by_constant: dict[str, int] = {}
        for use in uses:
            constant = self._via_constant.get(id(use))
            if constant is not None:
                by_constant[constant] = by_constant.get(constant, 0) + 1
        text = self.text
        shared = {
            constant
            for constant, count in by_constant.items()
            # the substring count bounds the word count: the regex only runs when it may differ
            if text.count(constant) > count + 1
            and len(re.findall(rf"(?<![\w.]){re.escape(constant)}\b", text)) > count + 1
        }
        for use in uses:
            if self._via_constant.get(id(use)) in shared:
                use = replace(use, spelling=None)
            yield use

    def _module_constants(self, tree: ast.Module) -> None:
        def collect(body: list[ast.stmt], prefix: str) -> None:
            for stmt in body:
                if isinstance(stmt, ast.Assign):
                    targets = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                    value: ast.expr | None = stmt.value
                elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    targets, value = [stmt.target.id], stmt.value
                elif isinstance(stmt, ast.ClassDef) and not prefix:
                    collect(stmt.body, stmt.name + ".")
                    continue
                elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and not prefix:
                    self.functions[stmt.name] = stmt
                    continue
                else:
                    continue
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    for target in targets:
                        self.constants[prefix + target] = value

        collect(tree.body, "")

    def _attribute_source(self, node: ast.expr | None) -> list[ast.expr | None]:
        """What ``attributes=`` builds: a dict, a lambda's dict, or the dict literals a module
        function returns (when every ``return`` in it returns one)."""
        if isinstance(node, ast.Lambda):
            return [node.body]
        if isinstance(node, ast.Name) and node.id in self.functions:
            if node.id in self.functions_read:
                return []  # its names are written once, in the function: reported once
            self.functions_read.add(node.id)
            returns = sorted(
                _own_returns(self.functions[node.id]), key=lambda r: (r.lineno, r.col_offset)
            )
            dicts = [r.value for r in returns if isinstance(r.value, ast.Dict)]
            if dicts and len(dicts) == len(returns):
                return list(dicts)
        return [node]

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.ImportFrom):
            if (
                node.module
                and node.module.startswith(_semconv_constants.PACKAGE)
                and not node.level
            ):
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            return
        for alias in node.names:
            if alias.name.startswith(_semconv_constants.PACKAGE):
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    self.imports["opentelemetry"] = "opentelemetry"

    def _maybe_logger(self, node: ast.Assign | ast.AnnAssign) -> None:
        """Remember names (``log``, ``self.logger``) assigned a logger: where it came from."""
        if node.value is not None and self._is_logger(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = _terminal(target)
                if name:
                    self.loggers.add(name)

    def _is_logger(self, receiver: ast.expr) -> bool:
        """A logger by origin: a factory's result, a logger's ``bind()``, a name assigned one,
        or the ``logging`` module itself; never by its name alone."""
        if isinstance(receiver, ast.Call):
            func = receiver.func
            method = _terminal(func)
            if method in _LOGGER_FACTORIES:
                return True
            return (
                method in _LOG_BINDERS
                and isinstance(func, ast.Attribute)
                and self._is_logger(func.value)
            )
        if isinstance(receiver, ast.Name) and receiver.id == "logging":
            return True
        return _terminal(receiver) in self.loggers

    # -- calls ----------------------------------------------------------------------------
    def _call(self, call: ast.Call) -> Iterator[NameUse]:
        func = call.func
        if isinstance(func, ast.Attribute):
            method, receiver = func.attr, func.value
        elif isinstance(func, ast.Name):
            method, receiver = func.id, None
        else:
            return
        args = call.args
        if method == "set_attribute":
            name = _arg(call, 0, "key")
            if name is not None:
                yield from self._name(name, "attribute", _value(_arg(call, 1, "value")))
        elif method == "set_attributes":
            yield from self._mapping(_arg(call, 0, "attributes"), "attribute")
        elif method in _SPAN_STARTERS:
            yield from self._mapping(_arg(call, 3, "attributes"), "attribute")
        elif method == "add_event":
            name = _arg(call, 0, "name")
            if name is not None:
                yield from self._name(name, "event", NO_VALUE)
            yield from self._mapping(_arg(call, 1, "attributes"), "attribute")
        elif method in _METRIC_FACTORIES:
            name = _arg(call, 0, "name")
            if name is not None:
                yield from self._name(name, "metric", NO_VALUE)
        elif method in _ATTRIBUTE_ARG:
            given = _keyword(call, "attributes")
            if given is None and len(args) > 1 and isinstance(args[1], ast.Dict):
                given = args[1]
            yield from self._mapping(given, "attribute")
        elif method in _TRACED or (receiver is not None and _terminal(receiver) == "traced"):
            # consumers and producers: a dict, or a lambda / function returning one
            for given in self._attribute_source(_keyword(call, "attributes")):
                yield from self._mapping(given, "attribute")
        elif method == "bind_contextvars" or (
            receiver is not None
            and (method in _LOG_LEVELS or method in _LOG_BINDERS)
            and self._is_logger(receiver)
        ):
            yield from self._log_call(call)

    def _log_call(self, call: ast.Call) -> Iterator[NameUse]:
        for keyword in call.keywords:
            arg = keyword.arg
            if arg is None or arg == "extra":
                yield from self._mapping(keyword.value, "log_field")
            elif arg not in _STDLIB_LOG_KWARGS:
                spelling = Spelling(
                    keyword.lineno,
                    keyword.col_offset,
                    keyword.lineno,
                    keyword.col_offset + len(arg.encode("utf-8")),
                    "keyword",
                )
                yield self._use(
                    arg,
                    "log_field",
                    keyword,
                    value=_value(keyword.value),
                    spelling=spelling,
                    width=len(arg),
                )

    def _mapping(self, node: ast.expr | None, kind: Kind) -> Iterator[NameUse]:
        if node is None or (isinstance(node, ast.Constant) and node.value is None):
            return
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    yield from self._mapping(value, kind)
                else:
                    yield from self._name(key, kind, _value(value))
        elif isinstance(node, ast.Call) and _terminal(node.func) == "dict" and not node.args:
            for keyword in node.keywords:
                if keyword.arg is None:
                    yield from self._mapping(keyword.value, kind)
                else:
                    yield self._use(
                        keyword.arg,
                        kind,
                        keyword,
                        value=_value(keyword.value),
                        width=len(keyword.arg),
                    )
        else:
            yield self._use(ast.unparse(node), kind, node, dynamic=True)

    def _name(self, node: ast.expr, kind: Kind, value: object) -> Iterator[NameUse]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield self._use(node.value, kind, node, value=value, spelling=_string(node))
            return
        dotted = _dotted(node)
        if dotted is not None:
            constant = self.constants.get(dotted)
            if constant is not None:
                text = constant.value
                assert isinstance(text, str)
                use = self._use(text, kind, node, value=value, spelling=_string(constant))
                self._via_constant[id(use)] = dotted
                yield use
                return
            head, _, rest = dotted.partition(".")
            qualified = self.imports.get(head)
            if qualified is not None:
                found = _semconv_constants.lookup(f"{qualified}.{rest}" if rest else qualified)
                if found is not None:
                    yield self._use(found, kind, node, value=value)
                    return
        yield self._use(ast.unparse(node), kind, node, dynamic=True)


def _terminal(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _own_returns(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.Return]:
    """The ``return`` statements of ``function`` itself, not of functions nested in it."""
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            yield node
        elif not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
        ):
            stack.extend(ast.iter_child_nodes(node))


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _arg(call: ast.Call, index: int, name: str) -> ast.expr | None:
    args = call.args
    if index < len(args) and not any(isinstance(a, ast.Starred) for a in args[: index + 1]):
        return args[index]
    return _keyword(call, name)


def _value(node: ast.expr | None) -> object:
    """A literal value (for type checks), or ``NO_VALUE`` when it is computed."""
    if node is None:
        return NO_VALUE
    if isinstance(node, ast.Constant):
        return NO_VALUE if node.value is None or node.value is Ellipsis else node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
        and not isinstance(node.operand.value, bool)
    ):
        return -node.operand.value
    if isinstance(node, ast.List | ast.Tuple):
        items = [_value(item) for item in node.elts]
        if items and all(item is not NO_VALUE for item in items):
            return items
    return NO_VALUE


def _string(node: ast.Constant) -> Spelling | None:
    if node.end_lineno is None or node.end_col_offset is None:
        return None
    return Spelling(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, "string")
