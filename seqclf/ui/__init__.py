"""The Gradio demo: a tab per model with its prediction, why, and how it unfolds.

Needs the ``ui`` extra (``pip install 'seqclf[ui]'``); the library itself never imports it.
"""
