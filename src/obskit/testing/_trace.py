"""Reading captured spans as trees: parents, children, links."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind


class SpanNotFound(AssertionError):
    """The span a test asked for is not there (or not exactly once)."""


def _span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    span_id: int = span.context.span_id
    return span_id


class TraceTree:
    """The spans of one trace; parent/child questions answered from the recorded ids."""

    def __init__(self, spans: Sequence[ReadableSpan]) -> None:
        self.spans = list(spans)
        self._by_id = {_span_id(s): s for s in self.spans}

    @property
    def roots(self) -> list[ReadableSpan]:
        return [s for s in self.spans if s.parent is None or s.parent.span_id not in self._by_id]

    def children(self, span: ReadableSpan) -> list[ReadableSpan]:
        sid = _span_id(span)
        return [s for s in self.spans if s.parent is not None and s.parent.span_id == sid]

    def parent(self, span: ReadableSpan) -> ReadableSpan | None:
        return self._by_id.get(span.parent.span_id) if span.parent is not None else None

    def walk(self) -> Iterator[tuple[int, ReadableSpan]]:
        """Depth-first ``(depth, span)`` from each root, children in start order."""

        def visit(span: ReadableSpan, depth: int) -> Iterator[tuple[int, ReadableSpan]]:
            yield depth, span
            for child in sorted(self.children(span), key=lambda s: s.start_time or 0):
                yield from visit(child, depth + 1)

        for root in sorted(self.roots, key=lambda s: s.start_time or 0):
            yield from visit(root, 0)

    def find(self, name: str, kind: SpanKind | None = None) -> ReadableSpan:
        found = [s for s in self.spans if s.name == name and (kind is None or s.kind == kind)]
        if len(found) != 1:
            raise SpanNotFound(f"expected one span {name!r} in the trace, found {len(found)}")
        return found[0]

    def render(self) -> str:
        """An indented outline, handy in assertion messages."""
        return "\n".join(
            f"{'  ' * depth}{span.name} [{span.kind.name}]" for depth, span in self.walk()
        )


def assert_parent(parent: ReadableSpan, child: ReadableSpan) -> None:
    """``child`` is a direct child of ``parent`` in the same trace."""
    assert parent.context is not None and child.context is not None
    if child.parent is None or child.parent.span_id != parent.context.span_id:
        raise AssertionError(f"{child.name!r} is not a child of {parent.name!r}")
    if child.context.trace_id != parent.context.trace_id:
        raise AssertionError(f"{child.name!r} is in another trace than {parent.name!r}")


def assert_linked(span: ReadableSpan, target: ReadableSpan) -> None:
    """``span`` carries a link to ``target``'s span context."""
    assert target.context is not None
    for link in span.links:
        if (
            link.context.span_id == target.context.span_id
            and link.context.trace_id == target.context.trace_id
        ):
            return
    raise AssertionError(f"{span.name!r} has no link to {target.name!r}")
