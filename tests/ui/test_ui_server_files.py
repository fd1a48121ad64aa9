"""A Gradio API call cannot make the demo read a server file and hand it back.

A file input's value is a ``FileData`` that names a path. Gradio accepts only paths in its
own upload folder once an app has *launched*; a mounted app never launches, so before
:func:`seqclf.ui.app.mount` said otherwise, a call naming ``/etc/passwd`` made the server
copy it into its upload folder and serve it back from ``/gradio_api/file=``. These tests
send such calls to every file-taking tab, with and without the API key, and check that
the call is refused, that no copy of the file appears anywhere the demo serves, and that
no answer quotes the file's content.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest
from ui_support import KEY, RunningDemo

#: processes, servers or a browser: left out of the edit loop (pytest -m "not slow")
pytestmark = pytest.mark.slow

FILE_TABS = ("digits", "vowels")
#: unique per run, so a copy left by an earlier run on the same machine is not counted
SECRET = f"s3cret-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def server_file() -> Path:
    """A file only the server should know, written as ``/etc/passwd`` looks (not a number, not audio)."""
    folder = Path(tempfile.mkdtemp(prefix="seqclf-private-"))
    path = folder / "passwd"
    path.write_text(f"root:x:0:0:{SECRET}:/root:/bin/bash\n", encoding="utf-8")
    return path


def call(base: str, tab: str, value: object, headers: dict[str, str]) -> str:
    """Run one ``/gradio_api/call/TAB`` event and return its whole event stream as text."""
    started = httpx.post(f"{base}gradio_api/call/{tab}", json={"data": [value, "", ""]}, headers=headers)
    if started.status_code != 200:
        return started.text
    event = started.json()["event_id"]
    return httpx.get(f"{base}gradio_api/call/{tab}/{event}", headers=headers, timeout=60).text


def copies_of(secret: str, roots: list[Path]) -> list[Path]:
    """Files under ``roots`` holding ``secret``: what a refused call must not leave behind."""
    found = []
    for root in roots:
        for folder, _, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                try:
                    if secret.encode() in path.read_bytes():
                        found.append(path)
                except OSError:
                    continue
    return found


def gradio_folders() -> list[Path]:
    from gradio.utils import get_cache_folder, get_upload_folder

    return [p for p in (Path(get_upload_folder()), Path(get_cache_folder())) if p.exists()]


def assert_refused_without_a_copy(base: str, headers: dict[str, str], server_file: Path) -> None:
    for tab in FILE_TABS:
        for meta in ({"_type": "gradio.FileData"}, None):
            value = {"path": str(server_file), "meta": meta} if meta else {"path": str(server_file)}
            answer = call(base, tab, value, headers)
            assert "event: complete" not in answer, f"{tab} answered a call naming a server file: {answer}"
            assert SECRET not in answer, f"{tab}'s answer quotes the server file: {answer}"
    # nothing was copied where the demo's file route serves from
    assert copies_of(SECRET, gradio_folders()) == []
    direct = httpx.get(f"{base}gradio_api/file={server_file}", headers=headers)
    assert direct.status_code in (403, 404) and SECRET not in direct.text


def test_a_server_path_is_refused_by_every_file_tab(demo: RunningDemo, server_file: Path) -> None:
    assert_refused_without_a_copy(demo.url, {}, server_file)


def test_a_server_path_is_refused_with_the_key_too(guarded: str, server_file: Path) -> None:
    assert_refused_without_a_copy(f"{guarded}/ui/", {"Authorization": f"Bearer {KEY}"}, server_file)


def test_an_uploaded_file_still_runs(demo: RunningDemo) -> None:
    """The refusal is of paths the demo did not receive: a real upload is classified as before."""
    frames = b"0.5,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0,1.1\n" * 8
    uploaded = httpx.post(f"{demo.url}gradio_api/upload", files={"files": ("frames.csv", frames)})
    assert uploaded.status_code == 200
    value = {"path": uploaded.json()[0], "meta": {"_type": "gradio.FileData"}}
    answer = call(demo.url, "vowels", value, {})
    assert "event: complete" in answer
    data = json.loads(answer.split("event: complete\ndata: ", 1)[1].splitlines()[0])
    assert data[0]["label"] in {str(s) for s in range(1, 10)}


def test_an_error_never_quotes_the_file(demo: RunningDemo) -> None:
    """A file the Vowels tab cannot read is named by row and column, not by its content."""
    uploaded = httpx.post(
        f"{demo.url}gradio_api/upload", files={"files": ("frames.csv", f"0.5,0.1\n{SECRET},0.2\n".encode())}
    )
    value = {"path": uploaded.json()[0], "meta": {"_type": "gradio.FileData"}}
    answer = call(demo.url, "vowels", value, {})
    assert "event: error" in answer and "not a number at row 1, column 1" in answer
    assert SECRET not in answer
