"""``--fix`` and ``--diff``: stated renames and aliases rewritten in place, guesses reported."""

from __future__ import annotations

from pathlib import Path

from tests.lint.conftest import SAMPLES, RunCli

FIXED_LINES = {
    24: '        span.set_attribute("http.request.method", "GET")',
    25: '        span.set_attribute("app.customer.id", order.customer)',
    28: '        span.set_attributes({"app.order.id": order.number, "orderStatus": order.status})',
    30: '        log.info("order_placed", order_id=order.id, orderId=order.id)',
    32: '        log.bind(order_id=order.id, customer_id=order.customer).debug("bound")  # keep me',
}


def test_fix_rewrites_in_place_keeping_everything_else(shop: Path, cli: RunCli) -> None:
    before = (shop / "orders" / "service.py").read_text().splitlines()
    result = cli("lint", "--fix")
    after = (shop / "orders" / "service.py").read_text().splitlines()
    assert len(after) == len(before)
    for number, (old, new) in enumerate(zip(before, after, strict=True), 1):
        assert new == FIXED_LINES.get(number, old), number
    assert (shop / "legacy" / "old.py").read_text().splitlines()[5] == (
        '    span.set_attribute("http.request.method", "GET")'
    )
    fixes = [line for line in result.out.splitlines() if ": fixed " in line]
    assert fixes == [
        "legacy/old.py:6:24: fixed 'http.method' -> 'http.request.method'",
        "orders/service.py:24:28: fixed 'http.method' -> 'http.request.method'",
        "orders/service.py:25:28: fixed 'app.client.id' -> 'app.customer.id'",
        "orders/service.py:28:30: fixed 'app.order_number' -> 'app.order.id'",
        "orders/service.py:32:18: fixed 'orderId' -> 'order_id'",
        "orders/service.py:32:36: fixed 'client_id' -> 'customer_id'",
    ]
    not_fixed = [line for line in result.out.splitlines() if ": not fixed " in line]
    assert not_fixed == [
        "orders/service.py:23:28: not fixed 'http.method': defined by a constant outside this "
        "file; use 'http.request.method'",
        "orders/service.py:30:53: not fixed 'orderId': renaming to 'order_id' would not parse "
        "(a duplicate keyword?)",
    ]
    # what is left is reported as usual: the semconv constant and the duplicate keyword
    assert "orders/service.py:23:28: deprecated" in result.out
    assert "orders/service.py:24:28: deprecated" not in result.out
    assert result.code == 1


def test_fix_follows_rename_chains(tmp_path: Path, cli: RunCli) -> None:
    source = tmp_path / "chain.py"
    source.write_text("def f(span):\n    span.set_attribute('app.client.id', 'c')  # chain\n")
    registry = SAMPLES / "shop" / "conventions"
    cli("lint", "--fix", "--registry", registry, "--no-semconv", source)
    assert source.read_text() == (
        "def f(span):\n    span.set_attribute('app.customer.id', 'c')  # chain\n"
    )


def test_near_duplicates_are_not_guessed(tmp_path: Path, cli: RunCli) -> None:
    source = tmp_path / "guess.py"
    text = "def f(span):\n    span.set_attribute('app.customerId', 'c')\n"
    source.write_text(text)
    registry = SAMPLES / "shop" / "conventions"
    result = cli("lint", "--fix", "--registry", registry, "--no-semconv", source)
    assert source.read_text() == text
    assert f"{source}:2:24: not fixed 'app.customerId': no replacement stated in the registry" in (
        result.out
    )


def test_diff_prints_without_writing(shop: Path, cli: RunCli) -> None:
    before = (shop / "legacy" / "old.py").read_text()
    result = cli("lint", "--diff", "legacy")
    assert (shop / "legacy" / "old.py").read_text() == before
    assert result.out == (
        "--- a/legacy/old.py\n"
        "+++ b/legacy/old.py\n"
        "@@ -3,4 +3,4 @@\n"
        " \n"
        " def legacy(span: trace.Span) -> None:\n"
        '     span.set_attribute("legacy", 1)\n'
        '-    span.set_attribute("http.method", "GET")\n'
        '+    span.set_attribute("http.request.method", "GET")\n'
    )
    assert result.code == 1


def test_diff_with_nothing_to_fix_exits_zero(tmp_path: Path, cli: RunCli) -> None:
    source = tmp_path / "ok.py"
    source.write_text("x = 1\n")
    result = cli("lint", "--diff", "--no-semconv", source)
    assert (result.code, result.out) == (0, "")
