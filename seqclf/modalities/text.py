"""Text: a string per input (a surname, a sentence), in JSON, on the command line, in a textbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqclf.errors import InvalidInputError
from seqclf.modalities.base import STRING, Modality
from seqclf.modalities.files import Item, texts


class TextModality(Modality):
    name = "text"
    json_type = "a string"
    wire = STRING
    flat_single_answer = False
    hf_client_method = "text_classification"
    submit_on_enter = True
    keeps_examples = True
    missing_hint = "type a text or pick an example."
    #: a text encodes to a few hundred ids at most: 16 batches sorted together pad about as
    #: little as sorting a whole file would, and still cost little memory
    read_ahead_batches = 16

    def is_single(self, inputs: Any) -> bool:
        return isinstance(inputs, str)

    def argument_warning(self, text: str) -> str | None:
        if Path(text).is_file():
            return (
                f"{text!r} is a file; this classifies its name as text. To classify its lines, "
                f"use --input {text}"
            )
        return None

    def read_items(self, source: str, column: str) -> Iterator[Item]:
        return texts(source, column)

    def widget(self) -> Any:
        import gradio as gr  # the ui extra: only the UI asks for a widget

        return gr.Textbox(label="Input", placeholder="Type here, or click an example below", lines=1)

    def from_widget(self, value: Any) -> Any:
        """A blank box is no input, as an empty upload is: the visitor is told what to give."""
        if value is None or not value.strip():
            raise InvalidInputError(f"Give an input first: {self.missing_hint}")
        return value

    def examples(self, folder: Path, name: str, limit: int) -> list[Any]:
        """The non-blank lines of ``<folder>/<name>.txt``."""
        path = folder / f"{name}.txt"
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        return [line for line in (raw.strip() for raw in lines) if line][:limit]


TEXT = TextModality()
