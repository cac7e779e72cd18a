"""Many observables pasted at once, one per line: each line's type is the one chosen for
all, the one the line names (`sha256: …`, `filename<TAB>…`) or the one guessed; each
line is then recognised (type and normalised value) or refused, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from observables.values import guess_type, normalise, split_explicit_type

MAX_LINES = 1000
MAX_PASTE_CHARACTERS = 1024**2


@dataclass
class PastedLine:
    number: int
    text: str
    type: str | None = None
    normalized: str | None = None
    error: str | None = None
    outcome: str | None = None  # after saving: "added", "updated", "already there"

    @property
    def recognised(self) -> bool:
        return self.error is None and self.normalized is not None


def parse(text: str, *, type_: str | None = None) -> list[PastedLine]:
    """Every non-empty line of `text`, recognised or refused (nothing is saved here)."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        line = PastedLine(number=number, text=raw.strip())
        chosen, value = (type_, raw.strip()) if type_ else split_explicit_type(raw)
        line.type = chosen or guess_type(value)
        if line.type is None:
            line.error = "Type not recognised: choose a type, or start the line with one (md5: …)."
        else:
            try:
                line.normalized = normalise(line.type, value)
            except ValidationError as error:
                line.error = " ".join(
                    message for messages in error.message_dict.values() for message in messages
                )
            line.text = value
        lines.append(line)
    return lines
