"""What the UI's components are given: pure functions of library results (discovery: test_sources.py)."""

from __future__ import annotations

import re

from seqclf.inference.explain import Explanation, Unfolding
from seqclf.ui import views


def explanation(steps: list[str], scores: list[float]) -> Explanation:
    return Explanation(steps, scores, "A", 0.9, 2.0, 0.0, 2.0 - sum(scores))


def test_characters_are_highlighted_joined_and_words_apart() -> None:
    chars = views.highlighted_steps(explanation(list("kim"), [1.0, -2.0, 0.5]))
    assert chars == [("k", 0.5), ("i", -1.0), ("m", 0.25)]
    words = views.highlighted_steps(explanation(["not", "bad"], [-1.0, 4.0]))
    assert words == [("not", -0.25), (" ", None), ("bad", 1.0)]


def test_an_input_with_no_evidence_is_all_zeros_not_a_division_by_zero() -> None:
    assert views.scaled_scores(explanation(list("ab"), [0.0, 0.0])) == [0.0, 0.0]


def test_frames_are_plotted_by_number_with_their_time() -> None:
    frame = views.step_importance_frame(explanation(["0.00s", "0.01s"], [0.5, -1.0]))
    assert frame.to_dict("list") == {"step": [1, 2], "time": ["0.00s", "0.01s"], "importance": [0.5, -1.0]}


def test_prefixes_are_named_by_what_was_read() -> None:
    assert views.prefix_names(list("abc")) == ["a", "ab", "abc"]
    assert views.prefix_names(["not", "bad"]) == ["not", "not bad"]
    long = views.prefix_names(list("x" * 50))[-1]
    assert long.startswith("…") and len(long) == views.PREFIX_TEXT_LIMIT + 1


def test_the_chart_keeps_the_final_top_classes_and_any_early_leader() -> None:
    labels = [f"c{i}" for i in range(10)]
    early = [0.0] * 10
    early[9] = 1.0  # c9 leads after the first step only
    final = [0.2, 0.19, 0.18, 0.17, 0.16, 0.1, 0.0, 0.0, 0.0, 0.0]
    unfolding = Unfolding(["a", "b"], labels, [early, final])
    assert views.chart_labels(unfolding) == ["c0", "c1", "c2", "c3", "c9"]
    frame = views.unfolding_frame(unfolding)
    assert len(frame) == 5 * 2
    assert frame[frame.label == "c9"].probability.tolist() == [1.0, 0.0]
    assert frame[frame.label == "c9"].step_name.tolist() == ["1 a", "2 b"]
    assert views.label_scores(unfolding)["c0"] == 0.2


def test_step_names_sort_in_step_order_and_name_each_token() -> None:
    names = views.step_names(list("Nakamura") + ["s"] * 4)  # twelve steps: two-digit numbers
    assert names[:3] == ["01 N", "02 a", "03 k"] and names[-1] == "12 s"
    assert sorted(names) == names  # the chart sorts a text axis; this order is the steps'


def test_each_line_has_its_colour_and_the_legend_names_it_in_that_colour() -> None:
    labels = ["Portuguese (Brazil)", "Vietnamese", "<b>Czech</b>", "Arabic", "Dutch"]
    unfolding = Unfolding(["a", "b"], labels, [[0.1, 0.1, 0.1, 0.1, 0.6], [0.5, 0.2, 0.15, 0.1, 0.05]])
    frame = views.unfolding_frame(unfolding)
    lines = dict(zip(frame.label, frame.line, strict=True))
    # the final top four by place, then Dutch, which led after the first step
    assert lines == {
        "Portuguese (Brazil)": "1",
        "Vietnamese": "2",
        "<b>Czech</b>": "3",
        "Arabic": "4",
        "Dutch": "5",
    }
    legend = views.legend_html(list(frame.columns), frame.values.tolist())
    entries = re.findall(r'background:(#[0-9a-f]{6})"></span>([^<]*)</span>', legend)
    assert entries == [
        (views.LINE_COLORS[0], "Portuguese (Brazil)"),
        (views.LINE_COLORS[1], "Vietnamese"),
        (views.LINE_COLORS[2], "&lt;b&gt;Czech&lt;/b&gt;"),  # a model's label is text, never markup
        (views.LINE_COLORS[3], "Arabic"),
        (views.LINE_COLORS[4], "Dutch"),
    ]
    assert views.LINE_COLOR_MAP[lines["Dutch"]] == views.LINE_COLORS[4]  # the chart's colour for that line
    assert "flex-wrap:wrap" in legend  # it wraps where the chart's own one-row legend was cut off
    assert views.legend_html(["step", "probability"], [[1, 0.5]]) == ""  # not the chart's table: no legend
