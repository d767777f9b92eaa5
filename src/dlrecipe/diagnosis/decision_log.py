"""The decision log of the recipe: each step's numbers, diagnosis, action and result."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Entry:
    """One step: what was measured, what was concluded, what was done and what came of it."""

    number: int
    phase: str  # data, check, bias, variance, budget, test
    action: str
    result: str
    seconds: float  # since the recipe started
    diagnosis: dict[str, Any] | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)


class DecisionLog:
    """Entries in order; written as JSON (for tools) and as text (for people)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, phase: str, action: str, result: str, seconds: float, **details: Any) -> Entry:
        entry = Entry(len(self.entries) + 1, phase, action, result, round(seconds, 3), **details)
        self.entries.append(entry)
        return entry

    def to_dict(self) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in self.entries]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def to_text(self) -> str:
        lines = []
        for entry in self.entries:
            lines.append(f"{entry.number}. [{entry.phase}, {entry.seconds:.1f} s] {entry.action}")
            for candidate in entry.candidates:
                mark = "→" if candidate.get("chosen") else " "
                train, dev = _percent(candidate["train_error"]), _percent(candidate["dev_error"])
                note = f"  {candidate['note']}" if candidate.get("note") else ""
                lines.append(
                    f"   {mark} {candidate['change']:<34} train {train}  dev {dev}"
                    f"  ({candidate['seconds']:.1f} s){note}"
                )
            if entry.diagnosis is not None:
                lines.append(f"   diagnosis: {entry.diagnosis['verdict']}")
            lines.append(f"   result: {entry.result}")
        return "\n".join(lines) + "\n"


def _percent(value: float | None) -> str:
    if value is None or value != value:  # None or NaN
        return "   —   "
    return f"{100 * value:6.2f}%"
