"""Where a model comes from: a local folder, or a Hugging Face Hub repo id at a revision.

Downloads go through ``huggingface_hub`` (its cache, ``HF_TOKEN``, ``HF_ENDPOINT`` and
``HF_HUB_OFFLINE`` all apply) and fetch only the files a seqclf model consists of,
so nothing else in a repo is ever downloaded, let alone run.
"""

from __future__ import annotations

import re
from pathlib import Path

from seqclf.errors import ModelLoadError

MODEL_FILES = ["config.json", "model.safetensors", "README.md", "*.png"]
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def resolve_model_dir(name_or_path: str | Path, revision: str | None = None) -> Path:
    """Return a local folder holding the model, downloading it from the Hub if needed."""
    path = Path(name_or_path)
    if path.is_dir():
        if revision is not None:
            raise ModelLoadError(f"{path} is a local folder: a revision applies only to Hub repo ids")
        return path
    text = str(name_or_path)
    if not _REPO_ID.match(text):
        raise ModelLoadError(f"{text!r} is neither a model folder nor a Hub repo id like 'owner/name'")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        return Path(snapshot_download(repo_id=text, revision=revision, allow_patterns=MODEL_FILES))
    except RepositoryNotFoundError as err:
        raise ModelLoadError(f"no model repo {text!r} on the Hub (or no access to it: set HF_TOKEN)") from err
    except RevisionNotFoundError as err:
        raise ModelLoadError(f"repo {text!r} has no revision {revision!r}") from err
    except LocalEntryNotFoundError as err:
        raise ModelLoadError(
            f"cannot reach the Hub for {text!r} and it is not in the local cache: {err}"
        ) from err
    except HfHubHTTPError as err:
        raise ModelLoadError(f"the Hub refused {text!r}: {err}") from err
