"""One door: ``seqclf serve --ui`` with ``SEQCLF_API_KEY`` guards the UI as it guards REST.

Without the key, the UI's page, its Gradio API (``gradio_client``), its file routes and
the REST routes are all refused; the health routes stay open. With the key (a bearer
header for programs, the login form for people) everything answers as without a key.
The Model source box is off under ``serve --ui``: a call that fills it is refused with
the same words whatever it names, so the answer says nothing about the server's files.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from ui_support import KEY, LANGUAGE, REPO, SURNAME, audio_example

from seqclf import Predictor
from seqclf.ui.access import SESSION_SECONDS, session_token, valid_bearer, valid_token
from seqclf.ui.app import default_source_mode

#: processes, servers or a browser: left out of the edit loop (pytest -m "not slow")
pytestmark = pytest.mark.slow

BEARER = {"Authorization": f"Bearer {KEY}"}


def example_file_url(base: str) -> str:
    return f"{base}/ui/gradio_api/file={audio_example()}"


def test_without_the_key_nothing_that_runs_a_model_answers(guarded: str) -> None:
    refused = [
        httpx.get(f"{guarded}/ui/"),
        httpx.get(f"{guarded}/ui/config"),
        httpx.get(f"{guarded}/ui/gradio_api/info"),
        httpx.get(example_file_url(guarded)),
        httpx.post(f"{guarded}/ui/gradio_api/call/names", json={"data": [SURNAME]}),
        httpx.post(f"{guarded}/v1/models/names/predict", json={"inputs": [SURNAME]}),
        httpx.post(f"{guarded}/models/names", json={"inputs": SURNAME}),
        httpx.get(f"{guarded}/ui/config", headers={"Authorization": "Bearer wrong"}),
    ]
    assert [r.status_code for r in refused] == [401] * len(refused)
    assert "Bearer" in refused[0].json()["error"]
    with pytest.raises(ValueError, match="credentials were not provided"):
        Client(f"{guarded}/ui/", verbose=False)
    # what a load balancer and Prometheus need stays open
    assert [httpx.get(f"{guarded}{p}").status_code for p in ("/healthz", "/readyz", "/metrics")] == [200] * 3


def test_a_browser_without_the_key_is_sent_to_the_login_form(guarded: str) -> None:
    root = httpx.get(f"{guarded}/", headers={"accept": "text/html"})
    assert root.status_code == 307 and root.headers["location"] == "/ui/"  # the address leads to the UI
    assert httpx.get(f"{guarded}/").json()["ui"] == "/ui/"
    page = httpx.get(f"{guarded}/ui/", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/ui/"
    wrong = httpx.post(f"{guarded}/login", data={"key": "nope", "next": "/ui/"})
    assert wrong.status_code == 401 and "not the key" in wrong.text and "set-cookie" not in wrong.headers
    # the form never sends anyone to another site
    elsewhere = httpx.post(f"{guarded}/login", data={"key": KEY, "next": "//evil.example/"})
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/ui/"
    with httpx.Client(base_url=guarded) as browser:
        assert browser.post("/login", data={"key": KEY, "next": "/ui/"}).status_code == 303
        assert browser.get("/ui/config").status_code == 200
        assert browser.get(example_file_url("")).status_code == 200
        browser.get("/logout")
        assert browser.get("/ui/config").status_code == 401


def test_crafted_cookies_and_websockets_are_refusals_not_errors(guarded: str) -> None:
    for cookie in ("\u00b2.x", "9" * 5000 + ".x", "1.", ".", "x" * 10_000):
        answer = httpx.get(f"{guarded}/ui/config", headers=[(b"cookie", f"seqclf_ui={cookie}".encode())])
        assert answer.status_code == 401, (cookie[:20], answer.status_code)
    upgrade = {
        "connection": "Upgrade",
        "upgrade": "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    for path in ("/ui/", "/ui/gradio_api/queue/join", "/ui/anything"):
        assert httpx.get(f"{guarded}{path}", headers=upgrade).status_code == 403


@pytest.mark.parametrize(
    ("target", "sent_to"),
    [
        ("/ui/../v1/models", "/ui/"),
        ("/ui/%2e%2e/v1/models", "/ui/"),
        ("/\\evil.example/", "/ui/"),
        ("/%5Cevil.example/", "/ui/"),
        ("https://evil.example/ui/", "/ui/"),
        ("/ui/a/../config", "/ui/config"),
        ("/ui/?view=api", "/ui/?view=api"),
    ],
)
def test_login_sends_people_only_under_the_ui(guarded: str, target: str, sent_to: str) -> None:
    answer = httpx.post(f"{guarded}/login", data={"key": KEY, "next": target})
    assert answer.status_code == 303 and answer.headers["location"] == sent_to


def test_with_the_key_the_ui_and_rest_answer_as_the_library_does(guarded: str, models_dir: Path) -> None:
    expected = Predictor.from_pretrained(models_dir / "names", device="cpu").predict(SURNAME)[0]
    client = Client(f"{guarded}/ui/", headers=BEARER, verbose=False)
    label, _, _ = client.predict(SURNAME, api_name="/names")
    assert label["label"] == expected["label"] == LANGUAGE
    rest = httpx.post(f"{guarded}/v1/models/names/predict", json={"inputs": [SURNAME]}, headers=BEARER)
    assert rest.status_code == 200 and rest.json()["predictions"][0][0]["label"] == LANGUAGE
    assert httpx.get(example_file_url(guarded), headers=BEARER).status_code == 200


def test_the_model_source_box_is_off_and_says_nothing_about_paths(guarded: str, models_dir: Path) -> None:
    config = httpx.get(f"{guarded}/ui/config", headers=BEARER).json()
    sources = [
        c for c in config["components"] if c.get("props", {}).get("label") == "Model folder or Hub repo id"
    ]
    assert sources and all(c["props"]["visible"] is False for c in sources)
    client = Client(f"{guarded}/ui/", headers=BEARER, verbose=False)
    messages = []
    for source in (str(models_dir / "names"), "/etc", "/no/such/folder", "owner/name", str(REPO)):
        with pytest.raises(Exception) as refused:
            client.predict("Kim", source, "", api_name="/names")
        messages.append(str(refused.value))
    assert "only the models it was started with" in messages[0]
    assert len(set(messages)) == 1, messages


def test_the_demo_offers_other_models_only_on_loopback_unless_told() -> None:
    assert default_source_mode("127.0.0.1") == "any" and default_source_mode("localhost") == "any"
    assert default_source_mode("::1") == "any"
    assert default_source_mode("0.0.0.0") == "off" and default_source_mode("192.0.2.7") == "off"
    assert default_source_mode("my-host.example") == "off"


def test_session_tokens_prove_the_key_until_they_expire() -> None:
    token = session_token(KEY, now=1_000)
    assert valid_token(KEY, token, now=1_000 + SESSION_SECONDS - 1)
    assert not valid_token(KEY, token, now=1_000 + SESSION_SECONDS + 1)
    assert not valid_token("another-key", token, now=1_001)
    expires, _, signature = token.partition(".")
    assert not valid_token(KEY, f"{int(expires) + 3600}.{signature}", now=1_001)  # a stretched expiry
    assert not valid_token(KEY, "", now=0) and not valid_token(KEY, "garbage", now=0)
    assert valid_bearer(KEY, f"Bearer {KEY}") and valid_bearer(KEY, f"bearer {KEY}")
    assert not valid_bearer(KEY, KEY) and not valid_bearer(KEY, None) and not valid_bearer(KEY, "Bearer ")
