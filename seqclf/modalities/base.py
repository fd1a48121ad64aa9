"""The interface of a modality: every way one kind of input reaches a model.

Each method answers one route an input takes (see :mod:`seqclf.modalities`); what a
modality cannot take (a text model and an uploaded file) is refused here with a message
that says what it does take.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from seqclf.errors import ConfigError, InvalidInputError
from seqclf.modalities.files import Item

#: every modality made, by name: constructing one registers it (one module per kind)
_REGISTRY: dict[str, Modality] = {}


@dataclass(frozen=True)
class Wire:
    """How one input of a kind travels in JSON: its branch of the request schema.

    Kinds that travel alike share one (text and base64 audio are both strings). The REST
    schema is built from the wires of the registered modalities
    (:mod:`seqclf.serving.schemas`): ``tag`` names the branch (it shows in error
    locations, ``inputs.0.frames.0.1``), ``claims`` says whether a JSON value is meant for
    it, ``is_one`` whether a value is one input rather than a list of them (the Hugging
    Face route takes either), and ``schema`` builds the pydantic type of one input, on
    demand, since pydantic comes with the serve extra.
    """

    tag: str
    description: str
    claims: Callable[[Any], bool]
    is_one: Callable[[Any], bool]
    schema: Callable[[], Any]


def modality_named(name: str) -> Modality:
    """The modality an encoder names; an unknown name is a model this seqclf cannot serve."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown input modality {name!r}; this seqclf knows {sorted(_REGISTRY)}")
    return _REGISTRY[name]


def modalities() -> list[Modality]:
    """Every registered modality, in the order made."""
    return list(_REGISTRY.values())


class Modality(ABC):
    """One kind of input (text, feature frames, audio): a stateless singleton per kind, registered when made."""

    name: ClassVar[str]
    #: one input as a JSON request carries it, for messages ("a string")
    json_type: ClassVar[str]
    #: how one input travels in JSON
    wire: ClassVar[Wire]
    #: whether raw bytes (an uploaded file, a non-JSON HTTP body) are one input
    accepts_files: ClassVar[bool] = False
    #: whether encoding is real work (decoding a file), worth a thread off the event loop
    costly_to_encode: ClassVar[bool] = False
    #: forward-pass batches of a file's inputs ``seqclf predict --input`` reads ahead and sorts
    #: by length together: one for recordings and series, whose frames can be large when long
    read_ahead_batches: ClassVar[int] = 1
    #: whether the Hugging Face route answers one input with one flat list of scores, as
    #: ``InferenceClient.audio_classification`` expects (``text_classification`` gets a
    #: list per input even for one)
    flat_single_answer: ClassVar[bool] = True
    #: the ``huggingface_hub.InferenceClient`` method that sends one such input ("": none)
    hf_client_method: ClassVar[str] = ""
    #: whether pressing Enter in the UI's input widget runs the model
    submit_on_enter: ClassVar[bool] = False
    #: file suffixes of the UI's bundled examples, in ``<examples>/<model name>/``
    example_suffixes: ClassVar[tuple[str, ...]] = ()
    #: what a UI visitor should do when they ran the model without an input
    missing_hint: ClassVar[str]
    #: whether a model keeps a few test inputs in its record, for a demo to offer without
    #: the data: short strings do; a recording or a series would outweigh the rest of the config
    keeps_examples: ClassVar[bool] = False

    def __init__(self) -> None:
        _REGISTRY[self.name] = self

    def __repr__(self) -> str:
        return f"<modality {self.name}>"

    @abstractmethod
    def is_single(self, inputs: Any) -> bool:
        """Whether ``inputs`` to ``predict`` is one example rather than a batch of them."""

    def from_json(self, item: Any, index: int) -> Any:
        """What the encoder takes for input ``index`` of a JSON request, its type checked."""
        if not self.wire.claims(item):
            raise InvalidInputError(f"input {index}: this model takes {self.json_type} per input")
        return item

    def from_bytes(self, data: bytes, index: int = 0) -> Any:
        """One input from raw bytes; only modalities that ``accepts_files`` take them."""
        raise InvalidInputError(f"this model takes {self.json_type} per input, not a file")

    def from_cell(self, value: Any) -> Any:
        """What the encoder takes for one cell of a DataFrame column (a Spark column as pandas
        hands it over, through Arrow); a null cell is no input."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise InvalidInputError(f"the value is null: this model takes {self.json_type}")
        return value

    def from_argument(self, text: str) -> Any:
        """The input a command-line argument stands for: the text itself by default."""
        return text

    def argument_warning(self, text: str) -> str | None:
        """A warning for an argument that is probably not what the user meant, if any."""
        return None

    def curl_data(self, literal: str) -> str:
        """The shell-quoted JSON body of a ``/v1`` request for the input ``literal`` (model cards)."""
        return f"""'{{"inputs": [{literal}], "parameters": {{"top_k": 3}}}}'"""

    @abstractmethod
    def read_items(self, source: str, column: str) -> Iterator[Item]:
        """The inputs in a file, folder, glob or stdin (``-``), for ``seqclf predict --input``."""

    @abstractmethod
    def widget(self) -> Any:
        """The Gradio component a UI visitor gives an input with (needs the ``ui`` extra)."""

    def from_widget(self, value: Any) -> Any:
        """What the widget handed over -> what the encoder takes; nothing is the user's mistake."""
        if not value:
            raise InvalidInputError(f"Give an input first: {self.missing_hint}")
        return value

    def examples(self, folder: Path, name: str, limit: int) -> list[Any]:
        """Bundled UI examples for model ``name``: files in ``<folder>/<name>/``."""
        directory = folder / name
        if not directory.is_dir():
            return []
        files = sorted(p for p in directory.iterdir() if p.suffix.lower() in self.example_suffixes)
        return [str(p) for p in files[:limit]]


def _one_string(value: Any) -> bool:
    return isinstance(value, str)


#: a string per input: text, or a recording as base64
STRING = Wire(
    tag="text",
    description="a string (text, or base64-encoded WAV for audio models)",
    claims=_one_string,
    is_one=_one_string,
    schema=lambda: str,
)
