"""The demo's stable endpoints, called through gradio_client against a launched app."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from tolerances import SAME_SCORES
from ui_support import LANGUAGE, SURNAME, RunningDemo, audio_example, frames_example

from seqclf import Predictor
from seqclf.audio.io import resample
from seqclf.data.frames import read_frames_csv


@pytest.fixture(scope="module")
def client(demo: RunningDemo) -> Client:
    return Client(demo.url, verbose=False)


def test_every_model_has_its_stable_endpoint(client: Client) -> None:
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    # one per model, and the examples' helper events stay out of the public API
    assert set(endpoints) == {"/names", "/sentiment", "/digits", "/vowels"}


def test_names_endpoint_matches_the_library(client: Client, demo: RunningDemo) -> None:
    label, why, unfolding = client.predict(SURNAME, api_name="/names")
    expected = Predictor.from_pretrained(demo.models_dir / "names", device="cpu").predict(SURNAME, top_k=None)
    assert label["label"] == expected[0]["label"] == LANGUAGE
    scores = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert scores[LANGUAGE] == pytest.approx(expected[0]["score"], abs=SAME_SCORES)
    assert "".join(part["token"] for part in why) == SURNAME.lower()
    # scaled by the largest score, so the largest is 1 up to one division's rounding
    assert max(abs(part["class_or_confidence"]) for part in why) == pytest.approx(1.0, abs=SAME_SCORES)
    rows = [dict(zip(unfolding["columns"], row, strict=True)) for row in unfolding["data"]]
    final = {row["label"]: row["probability"] for row in rows if row["step"] == len(SURNAME)}
    assert final[LANGUAGE] == pytest.approx(expected[0]["score"], abs=SAME_SCORES)
    assert [row["read"] for row in rows if row["label"] == LANGUAGE][:3] == ["k", "ka", "kam"]


def assert_label_is_the_library_s(label: dict, predictor: Predictor, example: object) -> None:
    """The UI's label and every confidence are ``Predictor.predict``'s for the same input."""
    expected = predictor.predict(example, top_k=None)
    assert label["label"] == expected[0]["label"]
    shown = {c["label"]: c["confidence"] for c in label["confidences"]}
    for prediction in expected[: len(shown)]:
        assert shown[prediction["label"]] == pytest.approx(prediction["score"], abs=SAME_SCORES)


def test_sentiment_endpoint_highlights_words(client: Client, demo: RunningDemo) -> None:
    sentence = "It's not bad at all, really."
    label, why, _ = client.predict(sentence, api_name="/sentiment")
    assert_label_is_the_library_s(label, Predictor.from_pretrained(demo.models_dir / "sentiment"), sentence)
    words = [part["token"] for part in why if part["class_or_confidence"] is not None]
    assert words[:4] == ["it", "'s", "not", "bad"]


def test_digits_endpoint_takes_a_wav(client: Client, demo: RunningDemo) -> None:
    label, why, _ = client.predict(handle_file(str(audio_example())), api_name="/digits")
    digits = Predictor.from_pretrained(demo.models_dir / "digits")
    assert_label_is_the_library_s(label, digits, str(audio_example()))
    frames = why["data"]
    assert len(frames) > 10
    assert frames[0][1].endswith("s")  # each frame is named by its time


def test_a_browser_recording_gets_the_front_end_of_an_upload(
    client: Client, demo: RunningDemo, tmp_path: Path
) -> None:
    """Browsers record 48 kHz stereo, with room noise before and after the word.

    The microphone hands the server a WAV file like an upload, so the digit is read
    through the same front end (resampling, mono mix-down, trimming): the UI's answer is
    the library's for that file, and the digit is the one the 8 kHz original says.
    """
    import soundfile as sf

    samples, rate = sf.read(audio_example(), dtype="float32")
    word = resample(samples, rate, 48000)
    room = np.random.default_rng(0).normal(0, 1e-3 * np.abs(word).max(), 24000)  # 0.5 s, 60 dB down
    mono = np.concatenate([room, word, room])
    recording = tmp_path / "recording.wav"
    sf.write(recording, np.stack([mono, 0.8 * mono], axis=1), 48000, subtype="FLOAT")
    label, _, _ = client.predict(handle_file(str(recording)), api_name="/digits")
    digits = Predictor.from_pretrained(demo.models_dir / "digits")
    assert_label_is_the_library_s(label, digits, str(recording))
    assert label["label"] == digits.predict(str(audio_example()))[0]["label"]


def test_vowels_endpoint_takes_a_csv(client: Client, demo: RunningDemo) -> None:
    label, why, _ = client.predict(handle_file(str(frames_example())), api_name="/vowels")
    vowels = Predictor.from_pretrained(demo.models_dir / "vowels")
    assert_label_is_the_library_s(label, vowels, read_frames_csv(frames_example()))
    assert len(why["data"]) == 18  # speaker1.csv has 18 frames


def test_a_bad_input_is_a_message_not_a_traceback(client: Client) -> None:
    # said to a person, as the other tabs say it; not the REST API's "input 0: the input is empty"
    with pytest.raises(Exception, match=r"^Give an input first: type a text or pick an example\.$"):
        client.predict("   ", api_name="/names")
    # one input, so the encoder's message without a batch's "input 0:"
    with pytest.raises(Exception, match=r"^the input has 500 characters; this model takes at most \d+$"):
        client.predict("k" * 500, api_name="/names")
    with pytest.raises(Exception, match="could not be decoded as audio"):
        client.predict(handle_file(str(frames_example())), api_name="/digits")
    with pytest.raises(Exception, match=r"not a seqclf model folder|neither a model folder"):
        client.predict("Kim", "/nonexistent/model", "", api_name="/names")


def test_another_model_can_answer_in_a_tab(client: Client, demo: RunningDemo) -> None:
    label, _, _ = client.predict("Kim", str(demo.models_dir / "names"), "", api_name="/names")
    assert label["label"] in {"Alpha", "Beta", "Gamma", "Delta"}
    with pytest.raises(Exception, match="reads features, but this tab sends text"):
        client.predict("Kim", str(demo.models_dir / "vowels"), "", api_name="/names")
