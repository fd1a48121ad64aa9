"""Uploads and inputs in the UI are bounded as REST requests are, with a message that says so."""

from __future__ import annotations

import gradio as gr
import httpx
import numpy as np
import pytest
import soundfile as sf
from gradio_client import Client, handle_file
from ui_support import SURNAME, RunningDemo

from seqclf import Predictor
from seqclf.inference.requests import Limits
from seqclf.limits import MAX_BODY_BYTES
from seqclf.ui.tabs import ModelTab, TabOptions, analyse_fn


def test_an_upload_larger_than_the_body_limit_is_refused(demo: RunningDemo) -> None:
    big = b"0.5," * (MAX_BODY_BYTES // 4 + 1)
    refused = httpx.post(f"{demo.url}gradio_api/upload", files={"files": ("frames.csv", big)})
    assert refused.status_code == 413 and "maximum allowed size" in refused.text
    small = httpx.post(f"{demo.url}gradio_api/upload", files={"files": ("frames.csv", b"0.5,0.5\n")})
    assert small.status_code == 200


def test_a_recording_longer_than_the_model_takes_is_a_message(demo: RunningDemo, tmp_path) -> None:
    predictor = Predictor.from_pretrained(demo.models_dir / "digits", device="cpu")
    limit = predictor.encoder.frontend.max_seconds
    path = tmp_path / "long.wav"
    rate = 8000
    sf.write(path, 0.1 * np.sin(np.arange(int((limit + 1) * rate)) / 5.0), rate)
    with pytest.raises(Exception, match=f"at most {limit:g} s"):
        Client(demo.url, verbose=False).predict(handle_file(str(path)), api_name="/digits")


def test_an_input_longer_than_the_operator_allows_is_refused(demo: RunningDemo) -> None:
    predictor = Predictor.from_pretrained(demo.models_dir / "names", device="cpu")
    tab = ModelTab("names", predictor, "names")
    with pytest.raises(
        gr.Error, match=f"the input is {len(SURNAME)} steps long; this server takes at most 4"
    ):
        analyse_fn(tab, TabOptions(limits=Limits(max_steps=4)))(SURNAME)
    label, _, _ = analyse_fn(tab, TabOptions(limits=Limits(max_steps=len(SURNAME))))(SURNAME)
    assert max(label, key=label.get) == predictor.predict(SURNAME)[0]["label"]
