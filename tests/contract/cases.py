"""Read table-driven contract fixtures: YAML cases with their expected problems.

A fixture file holds cases separated by ``---`` lines.  Each case starts with
comment lines; ``# expect: <problem>`` lines give the exact set of problems
(``file:line:col: path: message``) the case must report, and a case with
none must load cleanly.  Leading comments are stripped before loading, so
line 1 is the case's first YAML line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECT = "# expect: "


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    text: str
    expected: frozenset[str]


def read_cases(path: Path) -> list[Case]:
    cases: list[Case] = []
    chunks = path.read_text(encoding="utf-8").split("\n---\n")[1:]  # [0] is the file header
    for n, chunk in enumerate(chunks):
        lines = chunk.splitlines()
        head = 0
        while head < len(lines) and lines[head].startswith("#"):
            head += 1
        comments = lines[:head]
        expected = frozenset(c[len(EXPECT) :] for c in comments if c.startswith(EXPECT))
        title = next((c[2:] for c in comments if not c.startswith(EXPECT)), f"case {n}")
        cases.append(
            Case(f"{path.stem}[{n}] {title}", title, "\n".join(lines[head:]) + "\n", expected)
        )
    return cases


def all_cases() -> list[Case]:
    return [case for f in sorted(FIXTURES.glob("*.yaml")) for case in read_cases(f)]
