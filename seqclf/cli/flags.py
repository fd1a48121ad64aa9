"""``seqclf train``'s recipe flags, made from the config dataclasses' fields.

Each field of :class:`~seqclf.config.ModelConfig` and :class:`~seqclf.config.TrainConfig`
declared with :func:`~seqclf.config.setting` becomes one ``--flag`` (``--x/--no-x`` for
a bool, the choices of a ``Literal``), with the field's help text: a field added to a
config gets its flag with no second list to keep in step. A flag left out is ``None``, so
the task's recipe decides it.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import fields
from typing import Annotated, Any

import typer


def setting_names(config: type) -> list[str]:
    """The fields of ``config`` a user may set."""
    return [f.name for f in fields(config) if "help" in f.metadata]


def _parameters(config: type) -> list[inspect.Parameter]:
    hints = typing.get_type_hints(config)
    parameters = []
    for f in fields(config):
        if "help" not in f.metadata:
            continue
        kind = hints[f.name]
        if kind is bool:
            flag = f.name.replace("_", "-")
            option = typer.Option(f"--{flag}/--no-{flag}", help=f.metadata["help"])
        else:
            option = typer.Option(help=f.metadata["help"], min=f.metadata.get("minimum"))
        parameters.append(
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[kind | None, option],
            )
        )
    return parameters


def with_settings(command: Callable[..., Any], *configs: type) -> Callable[..., Any]:
    """``command`` (which takes ``**settings``) with one option per settable field of ``configs``."""
    signature = inspect.signature(command, eval_str=True)
    fixed = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    command.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=fixed + [p for config in configs for p in _parameters(config)]
    )
    return command
