"""The image's Python requirements: pyproject.toml's dependencies and its extras', less some.

The Dockerfile installs these in a layer before it copies the source, so that a code change
reinstalls none of them. pip cannot list a project's dependencies without the project's
source, so this reads them from pyproject.toml, the one place they are declared.

    python requirements.py serve,speech matplotlib,scikit-learn > /tmp/requirements.txt
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib


def requirement_name(requirement: str) -> str:
    """The normalised distribution name a requirement string starts with (PEP 503)."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match[0]).lower()


def requirements(project: dict, extras: list[str], without: set[str]) -> list[str]:
    """``project``'s dependencies and those of ``extras``, in order, once each, less ``without``.

    An extra may name the project itself (``seqclf[speech]``); its extras are followed.
    """
    own = requirement_name(project["name"])
    optional = project.get("optional-dependencies", {})
    found: list[str] = []

    def add(requirement: str) -> None:
        if requirement_name(requirement) != own:
            found.append(requirement)
            return
        named = re.search(r"\[(.*)\]", requirement)
        for extra in named[1].split(",") if named else []:
            add_extra(extra.strip())

    def add_extra(extra: str) -> None:
        if extra not in optional:
            raise SystemExit(f"pyproject.toml has no extra {extra!r}: choose from {', '.join(optional)}")
        for requirement in optional[extra]:
            add(requirement)

    for requirement in project.get("dependencies", []):
        add(requirement)
    for extra in extras:
        add_extra(extra)
    left_out = {requirement_name(name) for name in without}
    return [r for r in dict.fromkeys(found) if requirement_name(r) not in left_out]


def main(argv: list[str]) -> None:
    """``requirements.py EXTRAS WITHOUT``: comma-separated lists (either may be empty)."""
    if len(argv) != 2:
        raise SystemExit("usage: requirements.py EXTRAS WITHOUT  (comma-separated, may be empty)")
    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras, without = ([name for name in arg.split(",") if name] for arg in argv)
    print("\n".join(requirements(project, extras, set(without))))


if __name__ == "__main__":
    main(sys.argv[1:])
