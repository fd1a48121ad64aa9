"""What the operator decides about the demo, in one place: its examples and what visitors may load.

Both entry points make their flags from these fields, as ``seqclf train`` makes its flags
from the config dataclasses: ``seqclf serve --ui`` (``--examples-dir``,
``--ui-model-source``, ``--ui-max-download-mb``, through typer) and ``python app.py``
(through pydantic-settings' own command line, :func:`seqclf.ui.app.main`). The key, the
limits and the models come from where the rest of the service's settings come from.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from seqclf.ui.visitor_models import DEFAULT_MAX_DOWNLOAD_BYTES, SourceMode, SourcePolicy


class DemoSettings(BaseSettings):
    """The demo's examples and its Model source box; ``SEQCLF_UI_*`` variables, or flags."""

    model_config = SettingsConfigDict(env_prefix="SEQCLF_UI_", frozen=True)

    examples_dir: Path = Field(Path("examples"), description="The demo's example inputs.")
    model_source: SourceMode | None = Field(
        None,
        description="What visitors may load in a tab's Model source box. off: only the models served "
        "here; hub: Hub repo ids only (never server paths), up to the download limit; any: server "
        "folders too (trusted networks only). Default: off under `seqclf serve --ui`; under "
        "`python app.py`, any when it listens on loopback only, off otherwise.",
    )
    max_download_mb: float = Field(
        DEFAULT_MAX_DOWNLOAD_BYTES / 2**20,
        ge=0,
        le=2**20,  # a tebibyte: a bound, so the byte count is a number (inf is refused too)
        allow_inf_nan=False,
        description="The largest model (its files together) a visitor may make the server download "
        "when the model source is hub, in MiB.",
    )

    def source_policy(self, default: SourceMode) -> SourcePolicy:
        """What visitors may load: the operator's choice, or the entry point's ``default``."""
        return SourcePolicy(self.model_source or default, int(self.max_download_mb * 2**20))
