"""seqclf as a package, said in one place: its version, and how to install it (model cards,
docs snippets and error hints).

seqclf is not on PyPI yet, so ``pip install seqclf`` would find nothing (or someone
else's package); until it is published, every instruction installs from a clone of
the repository. Publishing is then a one-line change: ``PUBLISHED = True``.
"""

from __future__ import annotations

from importlib.metadata import version

#: seqclf's version: pyproject.toml's, the one place it is written
VERSION = version("seqclf")

PUBLISHED = False
PACKAGE = "seqclf"
PYPI_URL = f"https://pypi.org/project/{PACKAGE}/"


def pip_install(extra: str | None = None) -> str:
    """The command that installs seqclf (with ``extra``, e.g. ``"serve"``)."""
    extras = f"[{extra}]" if extra else ""
    if PUBLISHED:
        return f'pip install "{PACKAGE}{extras}"'
    return f'pip install -e ".{extras}"  # in a clone of the seqclf repository ({PACKAGE} is not on PyPI yet)'


def project_link() -> str:
    """seqclf's name as a Markdown link to its PyPI page, once there is one."""
    return f"[{PACKAGE}]({PYPI_URL})" if PUBLISHED else PACKAGE
