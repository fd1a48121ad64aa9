"""Flags made from settings: ``seqclf train``'s from the config dataclasses, ``serve``'s from the service's.

Each field of :class:`~seqclf.config.ModelConfig` and :class:`~seqclf.config.TrainConfig`
declared with :func:`~seqclf.config.setting` becomes one ``--flag`` (``--x/--no-x`` for
a bool, the choices of a ``Literal``), with the field's help text; so does each field of
:class:`~seqclf.serving.settings.ServiceSettings` (pydantic), with its description. A
field added to a config or to the settings gets its flag with no second list to keep in
step. A flag left out is ``None``, so the recipe (or the environment) decides it.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import fields
from typing import Annotated, Any

import typer


def _parameters(config: type) -> list[inspect.Parameter]:
    hints = typing.get_type_hints(config)
    return [
        _option(f.name, hints[f.name], f.metadata["help"], f.metadata.get("minimum"))
        for f in fields(config)
        if "help" in f.metadata
    ]


def with_settings(command: Callable[..., Any], *configs: type) -> Callable[..., Any]:
    """``command`` (which takes ``**settings``) with one option per settable field of ``configs``."""
    return _with_options(command, [p for config in configs for p in _parameters(config)])


def _with_options(command: Callable[..., Any], options: list[inspect.Parameter]) -> Callable[..., Any]:
    """``command`` whose signature (what typer reads) ends in ``options``, in place of its ``**settings``.

    Options already there under the same names are replaced, so a command can gain the
    options of several sources.
    """
    signature = inspect.signature(command, eval_str=True)
    names = {option.name for option in options}
    kept = [
        p
        for p in signature.parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD and p.name not in names
    ]
    command.__signature__ = signature.replace(parameters=kept + options)  # type: ignore[attr-defined]
    return command


def _option(name: str, kind: Any, help: str, minimum: Any = None) -> inspect.Parameter:
    if kind is bool:
        flag = name.replace("_", "-")
        option = typer.Option(f"--{flag}/--no-{flag}", help=help)
    else:
        option = typer.Option(help=help, min=minimum)
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[kind | None, option]
    )


def with_fields(
    command: Callable[..., Any],
    model: Any,
    exclude: set[str],
    renames: dict[str, str],
    prefix: str = "",
) -> Callable[..., Any]:
    """``command`` (which takes ``**settings``) with one option per field of the pydantic ``model``.

    ``exclude`` names fields that must not be flags (a secret: flags show in process lists);
    ``renames`` gives a field's flag another name (``models`` is the repeatable ``--model``),
    which :func:`field_values` maps back; ``prefix`` starts each help text. Called again with
    another model, it adds that model's flags to those already there.
    """
    parameters = []
    for name, field in model.model_fields.items():
        if name in exclude:
            continue
        # no bounds on the flag: pydantic checks them and says which flag broke which, in one line
        kind = _without_none(field.annotation)
        help = prefix + (field.description or "")
        if not field.is_required() and field.default_factory is None and field.default is not None:
            # the flag's own default is None (a flag left out is not passed): say the field's here
            help += f" (default: {field.default})"
        parameters.append(_option(renames.get(name, name), kind, help))
    return _with_options(command, parameters)


def field_values(flags: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    """The flags given (not None), under their fields' names."""
    back = {flag: name for name, flag in renames.items()}
    return {back.get(flag, flag): value for flag, value in flags.items() if value is not None}


def _without_none(kind: Any) -> Any:
    """``int`` for ``int | None``: a flag left out is None anyway."""
    arguments = [a for a in typing.get_args(kind) if a is not type(None)]
    return arguments[0] if type(None) in typing.get_args(kind) and len(arguments) == 1 else kind
