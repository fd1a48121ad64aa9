"""Runs seqclf's Hub operations in a fresh process and prints what happened as JSON.

huggingface_hub reads HF_ENDPOINT, HF_HUB_CACHE, HF_HUB_OFFLINE and its timeouts once,
when it is imported, so the tests start this script with those variables set, as a
user's shell would, instead of patching the library's internals.

Usage: ``python hub_client.py STEPS_JSON`` where each step is one of
``["load", repo_id, revision, inputs]`` (``Predictor.from_pretrained`` then predict,
every label's score), ``["push", folder, repo_id, revision]`` or ``["visitor", mode,
max_bytes, source, revision, inputs]`` (the UI's Model source box under that policy).
Prints one JSON list with, per step, ``{"predictions": ...}``/``{"commit": ...}`` or
``{"error": class name, "message": ...}``, and the seconds the step took.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from seqclf import Predictor, SeqclfError
from seqclf.network.publish import push_model


def run(step: list[Any]) -> dict[str, Any]:
    start = time.monotonic()
    try:
        if step[0] == "load":
            _, repo_id, revision, inputs = step
            predictor = Predictor.from_pretrained(repo_id, revision=revision, device="cpu")
            result: dict[str, Any] = {"predictions": predictor.predict(inputs, top_k=None)}
        elif step[0] == "visitor":
            from seqclf.ui.visitor_models import SourcePolicy, load_visitor_model

            _, mode, max_bytes, source, revision, inputs = step
            loaded = load_visitor_model(SourcePolicy(mode, max_bytes), source, revision)
            result = {"predictions": loaded.predictor.predict(inputs, top_k=None), "commit": loaded.commit}
        else:
            _, folder, repo_id, revision = step
            result = {"commit": push_model(folder, repo_id, revision=revision).commit}
    except SeqclfError as err:
        result = {"error": type(err).__name__, "message": str(err)}
    return {**result, "seconds": time.monotonic() - start}


if __name__ == "__main__":
    print(json.dumps([run(step) for step in json.loads(sys.argv[1])]))
