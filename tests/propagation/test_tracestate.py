"""``tracestate`` grammar: the current W3C key grammar, combined lines, limits, duplicates."""

from __future__ import annotations

import pytest

from obskit import _tracestate


def _parse(*lines: str) -> dict[str, str]:
    return dict(_tracestate.parse(list(lines)))


@pytest.mark.parametrize(
    "key",
    [
        "foo",
        "0foo",  # digit first: allowed by the current grammar
        "foo@",  # '@' is an ordinary key character now
        "foo@@bar",
        "foo@bar@baz",
        "t" * 242 + "@v",  # the old 241-char tenant limit is gone
        "t@" + "v" * 15,  # so is the 14-char system limit
        "z" * 256,
        "abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/",
    ],
)
def test_current_key_grammar_accepts(key: str) -> None:
    assert _parse(f"{key}=1") == {key: "1"}


@pytest.mark.parametrize("key", ["@foo", "FOO", "foo.bar", "foo ", "z" * 257, "", "_a"])
def test_invalid_keys_discard_the_whole_header(key: str) -> None:
    assert _parse(f"foo=1,{key}=1") == {}


def test_sdk_parser_would_reject_what_obskit_accepts() -> None:
    from opentelemetry.trace import TraceState

    assert len(TraceState.from_header(["foo@bar@baz=1"])) == 0  # the SDK's older grammar
    assert _parse("foo@bar@baz=1") == {"foo@bar@baz": "1"}


def test_all_allowed_value_characters_are_kept() -> None:
    value = "".join(map(chr, [*range(0x20, 0x2C), *range(0x2D, 0x3D), *range(0x3E, 0x7F)]))
    assert _parse(f"k={value}") == {"k": value}


@pytest.mark.parametrize("member", ["foo=bar=baz", "foo=", "foo", "foo=a\tb", "foo=é"])
def test_invalid_values_discard_the_whole_header(member: str) -> None:
    assert _parse(f"{member},bar=3") == {}


def test_lines_are_combined_in_order_and_ows_and_empty_members_are_ignored() -> None:
    state = _tracestate.parse(["foo=1 \t , \t bar=2", "", " , ", "rojo=1,congo=2", "\tbaz=3 "])
    assert state.to_header() == "foo=1,bar=2,rojo=1,congo=2,baz=3"


def test_leading_spaces_of_a_value_are_preserved() -> None:
    assert _parse("foo=  x") == {"foo": "  x"}


def test_thirty_two_members_are_kept_and_thirty_three_discard_the_header() -> None:
    members = [f"bar{i:02d}={i:02d}" for i in range(1, 33)]
    assert len(_parse(",".join(members))) == 32
    assert _parse(",".join([*members, "bar33=33"])) == {}


@pytest.mark.parametrize(
    "lines", [["foo=1,foo=1"], ["foo=1,foo=2"], ["foo=1", "foo=1"], ["foo=1", "foo=2"]]
)
def test_duplicated_keys_keep_the_header_and_drop_the_later_duplicate(lines: list[str]) -> None:
    assert _parse(*lines) == {"foo": "1"}
