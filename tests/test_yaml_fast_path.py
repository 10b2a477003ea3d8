"""When the libyaml fast path reads a studies file and when it leaves it to the round-trip parser.

The fast path (:func:`ldn_evidence.records.yaml.fast_parse`) must never accept what the
round-trip parser refuses (anchors, aliases, tags, merge keys, directives), and should not step
aside for prose that merely contains ``&``, ``*`` or ``!`` ("Sloan & Wyrwich"): such a file was
sent to the round-trip parser, about ten times slower.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ldn_evidence.errors import StudiesFileError
from ldn_evidence.records.yaml import fast_parse, parse_yaml, plain

#: YAML that the round-trip parser refuses, one construct at each place a node can start
REFUSED = [
    "a: &x 1\nb: *x\n",                 # anchor and alias after "key: "
    "a:\n  &x b\n",                     # anchor at the start of a line
    "- &x a\n- *x\n",                   # after a sequence indicator
    "a: [&x 1, *x]\n",                  # in a flow sequence
    "a: {b: &x 1, c: *x}\n",            # in a flow mapping
    "? &k a\n: b\n",                    # explicit key
    "--- &d\na: 1\n",                   # after the document marker
    "\ufeff&d\na: 1\n",                 # after a byte-order mark
    "a: !!str 012\n",                   # tags
    "a: !custom x\n",
    "a:\t&x 1\n",                       # tab before the anchor
    "base: {x: 1}\nc:\n  <<: {x: 1}\n",  # merge keys
    "a: {<<: {b: 1}}\n",
    "{<<}\n",  # a merge key without its colon (found by the property test below)
    "%YAML 1.1\n---\na: yes\n",         # a directive (YAML 1.1 would read yes as true)
]

#: prose in which &, * and ! are not at a node start: read by the fast path
PROSE = [
    "citation: Sloan & Wyrwich 2020, J Pain Res\n",
    "note: >-\n  reviewed by Pollock & Co, p*q from the\n  table (sic!)\n",
    "a: 'p < 0.05 & q'\n",
    "a: x*y\n",
    "url: http://x.org/a?b=1&c=2\n",
    "a: [Sloan & Wyrwich, Li et al]\n",
    "a: 2 << 3\n",
]


@pytest.mark.parametrize("text", REFUSED)
def test_what_the_round_trip_parser_refuses_never_takes_the_fast_path(text):
    assert fast_parse(text) is None
    if not text.startswith("%"):  # a directive is allowed, just read by the round-trip parser
        with pytest.raises(StudiesFileError):
            parse_yaml(text, "x.yaml")


@pytest.mark.parametrize("text", PROSE)
def test_prose_with_ampersands_and_stars_takes_the_fast_path(text):
    fast = fast_parse(text)
    assert fast is not None, text
    assert fast == plain(parse_yaml(text, "x.yaml"))


def test_a_studies_file_citing_sloan_and_wyrwich_takes_the_fast_path():
    from ldn_evidence.records import default_studies_path

    text = default_studies_path().read_text(encoding="utf-8")
    text = text.replace("\nstudies:\n", "\n# see Sloan & Wyrwich (2020) * and ! in a comment\nstudies:\n", 1)
    assert "Sloan & Wyrwich" in text
    assert fast_parse(text) is not None


_PIECES = st.sampled_from(["a", "b", "1", " ", " ", ": ", "- ", "? ", "&x", "*x", "!t", "!!str", "<<", "[", "]",
                           "{", "}", ", ", "\n", "\n  ", "\n- ", "'", "x & y", "---", "%"])


@settings(max_examples=600, deadline=None)
@given(pieces=st.lists(_PIECES, min_size=1, max_size=14))
def test_the_fast_path_never_accepts_what_the_round_trip_parser_refuses(pieces):
    """Random YAML-ish text: when the fast path reads it, the round-trip parser reads the same."""
    text = "".join(pieces) + "\n"
    fast = fast_parse(text)
    if fast is None:
        return
    try:
        rt = plain(parse_yaml(text, "x.yaml"))
    except StudiesFileError as exc:  # pragma: no cover - the failure this test looks for
        raise AssertionError(f"the fast path read {text!r}, which the round-trip parser refuses: {exc}")
    assert fast == rt, text
