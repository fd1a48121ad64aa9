"""Turning predictions, explanations and prefix predictions into what the UI's components show.

Pure functions of library results, so they are tested without a browser and the
components stay dumb: ``gr.Label`` gets ``{label: probability}``,
``gr.HighlightedText`` gets ``(step, score)`` pairs with scores scaled into
[-1, 1], and the plots get long-format pandas frames.
"""

from __future__ import annotations

import html

import pandas as pd

from seqclf.inference.explain import MAX_PREFIXES, Explanation, Unfolding

#: each line's colour on the prefix chart, by its place among the chart's classes (the first
#: eight of Vega's tableau10, the chart's colours before): the chart and its legend take them from here
LINE_COLORS = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6")
#: lines on the prefix chart: the final top classes plus any class that led at some prefix,
#: one colour each
FINAL_TOP_CLASSES = 4
MAX_LINES = len(LINE_COLORS)
PREFIX_TEXT_LIMIT = 40
#: the HTML class of the unfolding chart's legend (:func:`legend_html`), one entry per child
LEGEND_CLASS = "seqclf-legend"

#: said under every prefix chart: a long input's chart has points at some prefixes only
SPACED_PREFIXES_NOTE = (
    f" An input longer than {MAX_PREFIXES} steps gets at most {MAX_PREFIXES} points, evenly "
    "spaced from the first step to the last."
)
PREFIX_NOTE = (
    "Each point is the model's answer after reading only the first *t* steps, as if the "
    "input ended there. The model reads in both directions; on a prefix, its backward "
    "direction starts at the prefix's last step and never sees what comes later. So a "
    "point is not what the model thought midway through the whole input: the chart shows "
    "how the answer forms as the input arrives." + SPACED_PREFIXES_NOTE
)
UNIDIRECTIONAL_PREFIX_NOTE = (
    "Each point is the model's answer for the first *t* steps alone: what it would say "
    "if the input ended there." + SPACED_PREFIXES_NOTE
)
#: how to read the "why" output: highlighted text for named steps, a per-frame plot otherwise
WHY_NOTES = {
    "tokens": (
        "Red steps pushed the model towards its answer, purple ones away from it; the stronger "
        "the colour, the larger the push (integrated gradients, see docs/ui.md)."
    ),
    "frames": (
        "Frames above zero pushed the model towards its answer, frames below zero away from "
        "it; the strongest is ±1 (integrated gradients, see docs/ui.md)."
    ),
}


def why_note(named_steps: bool) -> str:
    return WHY_NOTES["tokens" if named_steps else "frames"]


def is_character_level(steps: list[str]) -> bool:
    """Whether steps are single characters, to be shown joined rather than space-separated."""
    return all(len(step) == 1 for step in steps)


def label_scores(unfolding: Unfolding) -> dict[str, float]:
    """The full input's class probabilities: the last prefix is the whole input."""
    return dict(zip(unfolding.labels, unfolding.probabilities[-1], strict=True))


def scaled_scores(explanation: Explanation) -> list[float]:
    """Scores divided by the largest magnitude, so colours compare within one input."""
    peak = max((abs(s) for s in explanation.scores), default=0.0)
    return [s / peak if peak > 0 else 0.0 for s in explanation.scores]


def highlighted_steps(explanation: Explanation) -> list[tuple[str, float | None]]:
    """``gr.HighlightedText`` pairs; words are kept apart by unscored spaces."""
    pairs: list[tuple[str, float | None]] = list(
        zip(explanation.steps, scaled_scores(explanation), strict=True)
    )
    if is_character_level(explanation.steps):
        return pairs
    spaced: list[tuple[str, float | None]] = []
    for pair in pairs:
        if spaced:
            spaced.append((" ", None))
        spaced.append(pair)
    return spaced


def step_importance_frame(explanation: Explanation) -> pd.DataFrame:
    """One row per frame (1-based) with its name (e.g. its time) and scaled importance."""
    return pd.DataFrame(
        {
            "step": range(1, len(explanation.steps) + 1),
            "time": explanation.steps,
            "importance": scaled_scores(explanation),
        }
    )


def prefix_names(steps: list[str]) -> list[str]:
    """What the model has read at each prefix: the text so far, or the latest frame's name."""
    if not steps:
        return []
    joiner = "" if is_character_level(steps) else " "
    names, text = [], ""
    for i, step in enumerate(steps):
        text = step if i == 0 else text + joiner + step
        names.append(text if len(text) <= PREFIX_TEXT_LIMIT else "…" + text[-PREFIX_TEXT_LIMIT:])
    return names


def chart_labels(unfolding: Unfolding) -> list[str]:
    """The classes worth a line: the final top few, then any that led at some prefix."""
    final = unfolding.probabilities[-1]
    by_final = sorted(range(len(unfolding.labels)), key=lambda c: -final[c])
    leaders = [max(range(len(row)), key=row.__getitem__) for row in unfolding.probabilities]
    chosen = list(dict.fromkeys(by_final[:FINAL_TOP_CLASSES] + leaders))[:MAX_LINES]
    return [unfolding.labels[c] for c in chosen]


def step_names(steps: list[str]) -> list[str]:
    """Each step as the text chart's x axis shows it: its number, zero-padded, and its token.

    The padding makes the names sort in step order, as the chart orders a text axis;
    a numeric axis would put ticks between steps (1.2, 3.8) on short inputs.
    """
    width = len(str(len(steps)))
    return [f"{i + 1:0{width}d} {step}" for i, step in enumerate(steps)]


def line_name(place: int) -> str:
    """The chart's name for its line at ``place`` (0-based), which its colour is keyed by."""
    return str(place + 1)


#: the unfolding chart's colours, by line name (``gr.LinePlot``'s ``color_map``)
LINE_COLOR_MAP = {line_name(place): color for place, color in enumerate(LINE_COLORS)}


def unfolding_frame(unfolding: Unfolding) -> pd.DataFrame:
    """Long format for ``gr.LinePlot``: one row per (prefix length, class).

    A long input's unfolding has only some prefix lengths (:attr:`Unfolding.lengths`);
    each row is named by its own length, so the chart's points sit where they belong.
    ``line`` is the class's place on the chart (1 for the answer), which picks its colour
    from :data:`LINE_COLORS` whatever the model's labels are.
    """
    names, named = prefix_names(unfolding.steps), step_names(unfolding.steps)
    rows = [
        {
            "step": t,
            "step_name": named[t - 1],
            "read": names[t - 1],
            "line": line_name(place),
            "label": label,
            "probability": row[unfolding.labels.index(label)],
        }
        for place, label in enumerate(chart_labels(unfolding))
        for t, row in zip(unfolding.lengths, unfolding.probabilities, strict=True)
    ]
    return pd.DataFrame(rows, columns=["step", "step_name", "read", "line", "label", "probability"])


def legend_html(columns: list[str], data: list[list[object]]) -> str:
    """The unfolding chart's legend, from the chart's own table: each class in its line's colour.

    Not the chart's own legend: that one is a single row of SVG, cut off on a phone once the
    classes' names are longer than the chart is wide. This one wraps.
    """
    if "line" not in columns or "label" not in columns:  # the browser sends the table back
        return ""
    line, label = columns.index("line"), columns.index("label")
    rows = (row for row in data if isinstance(row, list) and len(row) > max(line, label))
    entries = dict.fromkeys((str(row[line]), str(row[label])) for row in rows)
    items = "".join(
        '<span style="display:inline-flex;align-items:center;gap:0.35em;overflow-wrap:anywhere">'
        f'<span style="flex:none;width:0.8em;height:0.8em;border-radius:50%;background:{LINE_COLOR_MAP[name]}">'
        f"</span>{html.escape(text)}</span>"
        for name, text in entries
        if name in LINE_COLOR_MAP
    )
    return (
        f'<div class="{LEGEND_CLASS}" style="display:flex;flex-wrap:wrap;gap:0.25em 1em">{items}</div>'
        if items
        else ""
    )
