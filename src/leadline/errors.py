"""Error families.

Every error leadline raises on purpose derives from :class:`LeadlineError`,
which knows its CLI exit code and HTTP status, so front ends never have to
guess how to present a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class LeadlineError(Exception):
    """Root of every error that leadline raises deliberately."""

    exit_code: int = 1
    http_status: int = 400

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "message": str(self)}


@dataclass(frozen=True)
class Problem:
    """One located problem in a file: ``file:line:column: path: message``."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: tuple[str | int, ...] = ()
    hint: str | None = None

    @property
    def dotted_path(self) -> str:
        out = ""
        for part in self.path:
            if isinstance(part, int):
                out += f"[{part}]"
            else:
                out += f".{part}" if out else str(part)
        return out

    def __str__(self) -> str:
        where = ":".join(
            str(p) for p in (self.file or "<contract>", self.line, self.column) if p is not None
        )
        text = f"{where}: "
        if self.path:
            text += f"{self.dotted_path}: "
        text += self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.dotted_path,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class ContractErrors(LeadlineError):
    """Every problem found in a contract, raised once after all passes ran."""

    problems: list[Problem] = field(default_factory=list)
    exit_code = 2
    http_status = 422

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "ContractErrors",
            "message": f"{len(self.problems)} problem(s) in the contract",
            "errors": [p.to_dict() for p in self.problems],
        }


class CompileError(LeadlineError):
    """The contract is valid but could not be turned into a plan."""


class EngineError(LeadlineError):
    """The store refused an operation (locked, missing, wrong schema version)."""

    exit_code = 3
    http_status = 503


class WorkspaceError(LeadlineError):
    """The workspace folder is missing, incomplete or already initialised."""


class ImportFileError(LeadlineError):
    """A file could not be imported at all (unreadable, unknown format, no header)."""


class MappingError(LeadlineError):
    """A mapping profile is invalid or does not fit the file."""


class NotFound(LeadlineError):
    """A lead, account or other record does not exist."""

    http_status = 404


class TransitionError(LeadlineError):
    """A stage change the contract does not allow."""

    http_status = 409
