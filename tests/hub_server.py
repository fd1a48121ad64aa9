"""A stand-in for the Hugging Face Hub's HTTP API, for tests on machines without internet.

It answers the routes huggingface_hub 2.x uses to create a model or dataset repo, commit files to it and
download them again, and keeps every commit, so branches and commit shas resolve as
on the Hub. Writes need the bearer token the server was started with, and so do reads
of private repos. Files are always committed as regular git blobs (the preupload
answer is ``uploadMode: "regular"``), so no LFS or Xet storage is involved.

Also here: :func:`stalled_endpoint`, a Hub that accepts connections and never answers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

REPO = r"(?P<repo>[^/]+/[^/]+)"
KIND = r"(?P<kind>models|datasets)"


def git_blob_id(content: bytes) -> str:
    """The id git (and the Hub's ``oid``) gives a file's content."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass
class Commit:
    sha: str
    message: str
    files: dict[str, bytes]


@dataclass
class Repo:
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        """A branch name or a full commit sha, as the Hub resolves revisions."""
        return self.commits.get(self.branches.get(revision, revision))


class HubState:
    """All repos, by id; the handler threads share it under ``lock``."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.lock = threading.Lock()
        self._count = 0

    def commit(self, repo: Repo, branch: str, message: str, files: dict[str, bytes]) -> Commit:
        self._count += 1
        digest = hashlib.sha1(f"{self._count}\0{message}".encode())
        for path in sorted(files):
            digest.update(f"{path}\0{git_blob_id(files[path])}\0".encode())
        commit = Commit(digest.hexdigest(), message, files)
        repo.commits[commit.sha] = commit
        repo.branches[branch] = commit.sha
        return commit


class _Reply(Exception):
    """An error answer, with the ``X-Error-Code`` huggingface_hub turns into its exceptions."""

    def __init__(self, status: int, message: str, code: str | None = None, **body: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.body = status, message, code, body


class HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HubServer

    # Model repos at /api/models/... and /{repo}/resolve/...; dataset repos at
    # /api/datasets/... and /datasets/{repo}/resolve/..., kept as "datasets/{repo}".
    ROUTES: tuple[tuple[str, str, str], ...] = (
        ("POST", r"/api/repos/create", "create_repo"),
        ("POST", r"/api/validate-yaml", "validate_yaml"),
        ("POST", rf"/api/{KIND}/{REPO}/preupload/(?P<rev>[^/]+)", "preupload"),
        ("POST", rf"/api/{KIND}/{REPO}/commit/(?P<rev>[^/]+)", "commit"),
        ("POST", rf"/api/{KIND}/{REPO}/branch/(?P<rev>[^/]+)", "create_branch"),
        ("GET", rf"/api/{KIND}/{REPO}(?:/revision/(?P<rev>[^/]+))?", "repo_info"),
        ("GET", rf"/api/{KIND}/{REPO}/tree/(?P<rev>[^/]+)(?:/.*)?", "tree"),
        ("GET", rf"(?:/(?P<kind>datasets))?/{REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
        ("HEAD", rf"(?:/(?P<kind>datasets))?/{REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
    )

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows the client's errors, which say what went wrong."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    # -- plumbing --------------------------------------------------------------------

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        for method, pattern, name in self.ROUTES:
            match = re.fullmatch(pattern, path)
            if method == self.command and match:
                args = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                if args.pop("kind", "models") == "datasets":  # kept apart from models, as on the Hub
                    args["repo"] = f"datasets/{args['repo']}"
                try:
                    with self.server.hub.lock:
                        status, body, headers = getattr(self, name)(**args)
                except _Reply as reply:
                    headers = {"X-Error-Message": reply.message}
                    if reply.code:
                        headers["X-Error-Code"] = reply.code
                    status, body = reply.status, {"error": reply.message, **reply.body}
                self._send(status, body, headers)
                return
        self._send(404, {"error": f"no route {self.command} {path}"}, {})

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header(
            "Content-Type", "application/octet-stream" if isinstance(body, bytes) else "application/json"
        )
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _json(self) -> Any:
        return json.loads(self.body or b"{}")

    @property
    def _authorized(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {self.server.hub.token}"

    def _require_token(self) -> None:
        if not self._authorized:
            raise _Reply(401, "Invalid credentials in Authorization header")

    def _repo(self, repo: str) -> Repo:
        found = self.server.hub.repos.get(repo)
        if found is None or (found.private and not self._authorized):
            raise _Reply(404, "Repository not found", "RepoNotFound")
        return found

    def _commit(self, repo: str, rev: str) -> Commit:
        commit = self._repo(repo).resolve(rev)
        if commit is None:
            raise _Reply(404, "Invalid rev id", "RevisionNotFound")
        return commit

    # -- routes ----------------------------------------------------------------------

    def create_repo(self) -> tuple[int, Any, dict[str, str]]:
        self._require_token()
        payload = self._json()
        repo_id = f"{payload['organization']}/{payload['name']}"
        kind = payload.get("type") or "model"
        if kind == "dataset":
            repo_id = f"datasets/{repo_id}"
        url = f"{self.server.url}/{repo_id}"
        if repo_id in self.server.hub.repos:
            raise _Reply(409, f"You already created this {kind} repo", url=url)
        repo = Repo(private=payload.get("visibility") == "private" or bool(payload.get("private")))
        self.server.hub.repos[repo_id] = repo
        self.server.hub.commit(
            repo, "main", "initial commit", {".gitattributes": b"*.safetensors filter=lfs\n"}
        )
        return 200, {"url": url, "name": repo_id.removeprefix("datasets/")}, {}

    def validate_yaml(self) -> tuple[int, Any, dict[str, str]]:
        content = self._json()["content"]
        front = re.match(r"---\n(.*?)\n---\n", content, flags=re.DOTALL)
        try:
            metadata = yaml.safe_load(front.group(1)) if front else {}
        except yaml.YAMLError as err:
            return 400, {"errors": [{"message": f"invalid YAML: {err}"}]}, {}
        if not isinstance(metadata, dict):
            return 400, {"errors": [{"message": "metadata must be a YAML mapping"}]}, {}
        return 200, {"errors": [], "warnings": []}, {}

    def preupload(self, repo: str, rev: str) -> tuple[int, Any, dict[str, str]]:
        self._require_token()
        files = self._commit(repo, rev).files
        return (
            200,
            {
                "files": [
                    {
                        "path": f["path"],
                        "uploadMode": "regular",
                        "shouldIgnore": False,
                        "oid": git_blob_id(files[f["path"]]) if f["path"] in files else None,
                    }
                    for f in self._json()["files"]
                ]
            },
            {},
        )

    def commit(self, repo: str, rev: str) -> tuple[int, Any, dict[str, str]]:
        self._require_token()
        target = self._repo(repo)
        if rev not in target.branches:
            raise _Reply(404, f"branch {rev} not found", "RevisionNotFound")
        files = dict(target.commits[target.branches[rev]].files)
        message = ""
        for line in self.body.splitlines():
            item = json.loads(line)
            key, value = item["key"], item["value"]
            if key == "header":
                message = value["summary"]
                parent = value.get("parentCommit")
                if parent and not target.branches[rev].startswith(parent):
                    raise _Reply(412, "parent commit is not the head of the branch")
            elif key == "file" and value.get("encoding") == "base64":
                files[value["path"]] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                files.pop(value["path"], None)
            else:
                raise _Reply(400, f"the stand-in Hub does not take {key!r} operations")
        commit = self.server.hub.commit(target, rev, message, files)
        url = f"{self.server.url}/{repo}/commit/{commit.sha}"
        return 200, {"commitUrl": url, "commitOid": commit.sha, "pullRequestUrl": None}, {}

    def create_branch(self, repo: str, rev: str) -> tuple[int, Any, dict[str, str]]:
        self._require_token()
        target = self._repo(repo)
        if rev in target.branches:
            raise _Reply(409, f"branch {rev} already exists")
        start = self._commit(repo, self._json().get("startingPoint") or "main")
        target.branches[rev] = start.sha
        return 200, {}, {}

    def repo_info(self, repo: str, rev: str = "main") -> tuple[int, Any, dict[str, str]]:
        target, commit = self._repo(repo), self._commit(repo, rev)
        # like the Hub, file sizes only when asked for (?blobs=true: files_metadata=True)
        blobs = [v.lower() for v in parse_qs(urlsplit(self.path).query).get("blobs", [])] == ["true"]
        siblings = [
            {"rfilename": path, **({"size": len(data), "blobId": git_blob_id(data)} if blobs else {})}
            for path, data in sorted(commit.files.items())
        ]
        return (
            200,
            {
                "id": repo.removeprefix("datasets/"),
                "sha": commit.sha,
                "private": target.private,
                "siblings": siblings,
            },
            {},
        )

    def tree(self, repo: str, rev: str) -> tuple[int, Any, dict[str, str]]:
        files = self._commit(repo, rev).files
        return (
            200,
            [
                {"type": "file", "path": path, "size": len(data), "oid": git_blob_id(data)}
                for path, data in sorted(files.items())
            ],
            {},
        )

    def resolve(self, repo: str, rev: str, path: str) -> tuple[int, Any, dict[str, str]]:
        commit = self._commit(repo, rev)
        if path not in commit.files:
            raise _Reply(404, "Entry not found", "EntryNotFound")
        data = commit.files[path]
        if self.command == "GET":
            self.server.downloads.append(f"{repo}/{path}")
        return 200, data, {"X-Repo-Commit": commit.sha, "ETag": f'"{git_blob_id(data)}"'}


class HubServer(ThreadingHTTPServer):
    """The stand-in Hub on a free loopback port; ``url`` is what HF_ENDPOINT should be.

    ``downloads`` lists each file sent (``"owner/name/path"``), so tests can check what
    a client fetched.
    """

    daemon_threads = True

    def __init__(self, token: str) -> None:
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.hub = HubState(token)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.downloads: list[str] = []

    def __enter__(self) -> HubServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


@contextmanager
def stalled_endpoint() -> Iterator[str]:
    """A Hub URL whose server accepts connections (the kernel does) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def unused_endpoint() -> str:
    """A Hub URL on a loopback port nobody listens on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
