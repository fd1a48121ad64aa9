"""The seqclf demo: ``python app.py``, then open http://127.0.0.1:7860.

A thin launcher; the UI lives in :mod:`seqclf.ui`. See docs/ui.md for options and
environment variables.
"""

from pathlib import Path

from seqclf.ui.app import main

if __name__ == "__main__":
    main(root=Path(__file__).resolve().parent)
