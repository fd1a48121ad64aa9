"""Models on the Hugging Face Hub: push a model folder, pull a repo, turn a repo id into a folder.

Everything goes through ``huggingface_hub``, so its settings apply as for any Hub
library: ``HF_TOKEN`` (or a stored ``hf auth login``), ``HF_ENDPOINT``, ``HF_HUB_CACHE``
and ``HF_HUB_OFFLINE``. Only the files a seqclf model consists of (:data:`MODEL_FILES`)
are uploaded or downloaded, and a pulled folder is loaded by :mod:`seqclf.network.pretrained`,
which reads JSON and safetensors only: nothing from a repo is ever run or unpickled. This
module moves folders; :mod:`seqclf.network.publish` checks that what it moves is a model.

huggingface_hub waits without limit for the Hub's answer to a repo lookup, so each
operation starts with a lookup of our own bounded by ``HF_HUB_ETAG_TIMEOUT`` (the
seconds huggingface_hub already waits for file metadata; default 10). A Hub that is
down or stalls thus gives a clear error within that time, or, when pulling, the copy
already in the local cache.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seqclf.errors import DataError, HubError, ModelLoadError, SeqclfError

if TYPE_CHECKING:
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import DatasetInfo, ModelInfo

logger = logging.getLogger(__name__)

MODEL_FILES = ["config.json", "model.safetensors", "README.md", "*.png"]
REQUIRED_FILES = ("config.json", "model.safetensors")


@dataclass(frozen=True)
class Pushed:
    """Where a push landed: the commit to pin with ``--revision`` and the files it holds."""

    repo_id: str
    commit: str
    commit_url: str
    files: list[str]


def is_repo_id(text: str) -> bool:
    """Whether ``text`` is a Hub repo id ``owner/name``, by huggingface_hub's own rules."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if text.count("/") != 1:
        return False
    try:
        validate_repo_id(text)
    except HFValidationError:
        return False
    return True


def hub_timeout() -> float:
    """Seconds to wait for the Hub's first answer: huggingface_hub's ``HF_HUB_ETAG_TIMEOUT``."""
    from huggingface_hub import constants

    return float(constants.HF_HUB_ETAG_TIMEOUT)


def _where(repo_id: str, revision: str | None) -> str:
    return f"{repo_id}@{revision}" if revision else repo_id


class _Unreachable(Exception):
    """The Hub gave no usable answer in time; the message says why."""


def _lookup(
    api: HfApi, repo_id: str, revision: str | None, files_metadata: bool = False, repo_type: str = "model"
) -> ModelInfo | DatasetInfo:
    """The repo's info at ``revision`` (with file sizes if ``files_metadata``), asked within :func:`hub_timeout`.

    A Hub that cannot be reached, stalls or fails (5xx) raises :class:`_Unreachable`;
    its other answers (no such repo or revision, no access) raise as huggingface_hub
    raises them.
    """
    import httpx2  # huggingface_hub 2.x's HTTP client
    from huggingface_hub.errors import HfHubHTTPError

    timeout = hub_timeout()
    try:
        return api.repo_info(
            repo_id, revision=revision, repo_type=repo_type, timeout=timeout, files_metadata=files_metadata
        )
    except HfHubHTTPError as err:
        if err.response.status_code < 500:
            raise
        reason = f"it answered {err.response.status_code}"
    except httpx2.TimeoutException:
        reason = f"no answer within {timeout:g} s (HF_HUB_ETAG_TIMEOUT)"
    except httpx2.TransportError as err:
        reason = f"{type(err).__name__}: {err}"
    raise _Unreachable(f"cannot reach the Hub at {api.endpoint} ({reason})")


def _check_files(info: ModelInfo, repo_id: str, revision: str | None, max_bytes: int | None = None) -> None:
    """Refuse, before downloading anything, a repo that lacks a seqclf model's files.

    With ``max_bytes``, also one whose model files (those a download fetches) are larger
    together, or whose sizes the Hub does not report.
    """
    from huggingface_hub.utils import filter_repo_objects

    present = sorted(s.rfilename for s in info.siblings or [])
    missing = [name for name in REQUIRED_FILES if name not in present]
    if missing:
        raise ModelLoadError(
            f"{_where(repo_id, revision)} is not a seqclf model: it has no {' or '.join(missing)} "
            f"(its files: {', '.join(present) or 'none'}). seqclf loads repos published with "
            "`seqclf push`."
        )
    if max_bytes is None:
        return
    fetched = set(filter_repo_objects(present, allow_patterns=MODEL_FILES))
    sizes = [s.size for s in info.siblings or [] if s.rfilename in fetched]
    if any(size is None for size in sizes):
        raise ModelLoadError(f"the Hub did not report the size of {_where(repo_id, revision)}'s files")
    if sum(sizes) > max_bytes:
        raise ModelLoadError(
            f"{_where(repo_id, revision)} is {sum(sizes) / 2**20:.1f} MiB, more than the "
            f"{max_bytes / 2**20:.1f} MiB this server downloads"
        )


def download(
    repo_id: str, revision: str | None = None, local_dir: Path | None = None, max_bytes: int | None = None
) -> Path:
    """Fetch a model repo's files into the Hub cache (or ``local_dir``) and return the folder.

    When the Hub cannot be reached, or ``HF_HUB_OFFLINE=1``, the cached copy is used.
    ``max_bytes`` refuses, before anything is fetched, a model whose files are larger.
    """
    folder, _ = _snapshot(
        repo_id,
        revision,
        repo_type="model",
        allow_patterns=MODEL_FILES,
        check=lambda info: _check_files(info, repo_id, revision, max_bytes),
        files_metadata=max_bytes is not None,
        local_dir=local_dir,
        error=ModelLoadError,
    )
    return folder


def download_dataset(repo_id: str, revision: str | None, allow_patterns: list[str]) -> tuple[Path, str]:
    """Fetch a dataset repo's files matching ``allow_patterns``; the folder and its commit sha.

    The sha pins what was read, so a model card can name the exact data; offline, or
    with the Hub unreachable, the cached copy of ``revision`` is used.
    """
    from huggingface_hub.utils import filter_repo_objects

    def check(info: ModelInfo | DatasetInfo) -> None:
        present = sorted(s.rfilename for s in info.siblings or [])
        if not list(filter_repo_objects(present, allow_patterns=allow_patterns)):
            raise DataError(
                f"dataset {_where(repo_id, revision)} has no data files seqclf reads "
                f"({', '.join(allow_patterns)}); its files: {', '.join(present) or 'none'}"
            )

    return _snapshot(
        repo_id,
        revision,
        repo_type="dataset",
        allow_patterns=allow_patterns,
        check=check,
        error=DataError,
    )


def _snapshot(
    repo_id: str,
    revision: str | None,
    *,
    repo_type: str,
    allow_patterns: list[str],
    check: Callable[[ModelInfo | DatasetInfo], None],
    error: type[SeqclfError],
    files_metadata: bool = False,
    local_dir: Path | None = None,
) -> tuple[Path, str]:
    """Look the repo up (bounded in time), ``check`` it, download ``allow_patterns``: (folder, sha).

    The one place that turns huggingface_hub's failures into ``error`` with a message
    that says what to do, for models and datasets alike.
    """
    from huggingface_hub import HfApi, is_offline_mode, snapshot_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    api = HfApi()
    where = _where(repo_id, revision)
    kind = "model" if repo_type == "model" else "dataset"
    unreachable: _Unreachable | None = None
    pinned = revision
    try:
        if not is_offline_mode():
            info = _lookup(api, repo_id, revision, files_metadata=files_metadata, repo_type=repo_type)
            check(info)
            pinned = info.sha or revision
    except _Unreachable as err:  # said once: as the warning below, or as the error if not cached
        unreachable = err
    except RepositoryNotFoundError as err:
        raise error(
            f"no {kind} repo {repo_id!r} on the Hub at {api.endpoint}, or no access to it: for a "
            "private repo set HF_TOKEN or run `hf auth login`"
        ) from err
    except RevisionNotFoundError as err:
        raise error(f"{kind} repo {repo_id!r} has no revision {revision!r}") from err
    except HfHubHTTPError as err:
        raise error(f"the Hub refused to look up {repo_id!r}: {err}") from err
    try:
        folder = snapshot_download(
            repo_id,
            repo_type=repo_type,
            revision=revision,  # not the sha: the cache then records the branch, for offline use
            local_dir=local_dir,
            allow_patterns=allow_patterns,
            local_files_only=unreachable is not None,
            etag_timeout=hub_timeout(),
        )
    except LocalEntryNotFoundError as err:
        if unreachable is None and not is_offline_mode():
            raise error(f"downloading {where} failed: {err}") from err
        if unreachable is None:
            raise error(
                f"HF_HUB_OFFLINE is set, and {where} is not in the local cache: unset "
                "HF_HUB_OFFLINE to download it"
            ) from err
        raise error(
            f"{unreachable}, and {where} is not in the local cache. Check your connection "
            f"and HF_ENDPOINT, or pull the {kind} once while online."
        ) from err
    except HfHubHTTPError as err:
        raise error(f"the Hub failed while sending {where}: {err}") from err
    except OSError as err:  # a full disk, an unwritable cache, ...
        raise error(f"downloading {where} failed: {err}") from err
    if unreachable is not None:
        logger.warning("%s; using the copy of %s in the local cache", unreachable, where)
    folder = Path(folder)
    if pinned is not None and len(pinned) == 40:
        return folder, pinned
    # offline: the cache keeps a snapshot in a folder named by its commit sha
    return folder, folder.name if local_dir is None else revision or "main"


def resolve_model_dir(name_or_path: str | Path, revision: str | None = None) -> Path:
    """Return a local folder holding the model, downloading it from the Hub if needed."""
    path = Path(name_or_path)
    if path.is_dir():
        if revision is not None:
            raise ModelLoadError(f"{path} is a local folder: a revision applies only to Hub repo ids")
        return path
    text = str(name_or_path)
    if not is_repo_id(text):
        raise ModelLoadError(f"{text!r} is neither a model folder nor a Hub repo id like 'owner/name'")
    try:
        return download(text, revision)
    except ModelLoadError as err:
        # 'models/names' typed in the wrong folder is also a valid repo id: say both.
        raise ModelLoadError(f"{err} (There is no local folder {path.resolve()} either.)") from err


def model_files(folder: Path) -> list[Path]:
    """The files of a model folder that make up the model (and so are published)."""
    from huggingface_hub.utils import filter_repo_objects

    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    return [folder / name for name in filter_repo_objects(names, allow_patterns=MODEL_FILES)]


def push(
    folder: Path,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    commit_message: str | None = None,
) -> Pushed:
    """Publish a model folder's files as one commit to ``repo_id`` (created if needed).

    Uploads only: :func:`seqclf.network.publish.push_model` checks first that the folder loads.
    ``revision`` names a branch, created from ``main`` if it does not exist yet;
    ``private`` applies when the repo is created.
    """
    from huggingface_hub import CommitOperationAdd, HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    if not is_repo_id(repo_id):
        raise HubError(f"{repo_id!r} is not a Hub repo id like 'owner/name'")
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelLoadError(f"{folder} is not a folder: pass a model folder written by `seqclf train`")
    if get_token() is None:
        raise HubError(
            "pushing needs a Hugging Face token with write access: set HF_TOKEN or run `hf auth login`"
        )
    api = HfApi()
    files = model_files(folder)
    try:
        with contextlib.suppress(RepositoryNotFoundError):  # a new repo is created next
            _lookup(api, repo_id, None)
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        commit = api.create_commit(
            repo_id,
            operations=[CommitOperationAdd(path_in_repo=f.name, path_or_fileobj=f) for f in files],
            commit_message=commit_message or f"Upload seqclf model {folder.resolve().name}",
            revision=revision,
        )
    except _Unreachable as err:
        raise HubError(f"{err}; nothing was pushed") from None
    except HfHubHTTPError as err:
        status = err.response.status_code
        hint = " (check that your token may write to this namespace)" if status in (401, 403) else ""
        raise HubError(f"the Hub refused the push to {_where(repo_id, revision)}{hint}: {err}") from err
    except ValueError as err:  # the Hub rejected the card's metadata
        raise HubError(f"the Hub rejected {folder / 'README.md'}: {err}") from err
    return Pushed(repo_id, commit.oid, commit.commit_url, [f.name for f in files])
