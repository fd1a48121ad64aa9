"""One tab per model: an input widget for its modality, examples, and the three answers.

Every tab shows the same three things, whatever the model reads: the top classes
(``gr.Label``), which steps drove the answer (highlighted text for characters and
words, a per-frame plot for audio and feature frames), and how the answer unfolds
over prefixes. The input widget, what it hands over and the bundled examples are the
model's modality's (:mod:`seqclf.modalities`): a textbox for text, a microphone/WAV
upload for audio, a CSV upload for feature frames.

The event's ``api_name`` is the model's name, so ``gradio_client`` users call
``/names``, ``/sentiment``, ``/digits`` or ``/vowels`` whatever the UI looks like. Its
parameters are always the input, a model source and a revision, whether or not the
operator lets visitors name other models (:mod:`seqclf.ui.visitor_models`): with the Model
source box off, the two fields are hidden and a call that fills them is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from seqclf.cards.card import describe
from seqclf.errors import SeqclfError
from seqclf.inference.predictor import Predictor
from seqclf.inference.requests import Limits, check_steps
from seqclf.modalities import Modality
from seqclf.ui import views
from seqclf.ui.visitor_models import SourcePolicy, load_visitor_model

#: how many classes the label shows
TOP_K = 5
#: most bundled examples offered per tab
MAX_EXAMPLES = 12


@dataclass(frozen=True)
class TabOptions:
    """What the operator allows in every tab: other models, and the longest input."""

    sources: SourcePolicy = field(default_factory=SourcePolicy)
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class ModelTab:
    """A shipped model and the name its tab and API endpoint go by."""

    name: str
    predictor: Predictor
    source: str

    @property
    def modality(self) -> Modality:
        return self.predictor.modality

    @property
    def named_steps(self) -> bool:
        """Whether the model's steps are tokens with names (a character, a word), shown as
        highlighted text; other steps are frames, shown as a plot over time."""
        return self.predictor.encoder.input_kind == "tokens"

    @property
    def description(self) -> str:
        """What the model is for, as its card says it."""
        return describe(self.predictor.pretrained)

    def examples(self, examples_dir: Path) -> list[Any]:
        """The operator's examples for this tab (``examples_dir``), else the test inputs the
        model's folder keeps (a text model of one's own data: :func:`seqclf.training.run.kept_examples`)."""
        bundled = self.modality.examples(examples_dir, self.name, MAX_EXAMPLES)
        training = self.predictor.pretrained.training
        return bundled or (training.examples[:MAX_EXAMPLES] if training is not None else [])


def _resolve(tab: ModelTab, source: str, revision: str, policy: SourcePolicy) -> Predictor:
    source, revision = (source or "").strip(), (revision or "").strip()
    if not source:
        if revision:
            raise gr.Error("A revision needs a Hub repo id in the model field.")
        return tab.predictor
    loaded = load_visitor_model(policy, source, revision or None)
    if loaded.commit:
        gr.Info(f"{source} at commit {loaded.commit[:12]}")
    predictor = loaded.predictor
    if predictor.modality is not tab.modality:
        raise gr.Error(
            f"{source} reads {predictor.modality.name}, but this tab sends {tab.modality.name}; "
            "open it in a tab of its kind."
        )
    return predictor


def analyse_fn(tab: ModelTab, options: TabOptions) -> Callable[..., tuple[Any, Any, Any]]:
    """The tab's event handler: input, model source and revision -> label, why, unfolding."""

    def analyse(value: Any, source: str = "", revision: str = "") -> tuple[Any, Any, Any]:
        try:
            predictor = _resolve(tab, source, revision, options.sources)
            # encoded once (an audio file decoded once) for the check and both answers
            prepared = predictor.prepare(tab.modality.from_widget(value))
            check_steps(prepared.encoded, options.limits)  # as at the REST door
            explanation = predictor.explain(prepared)
            unfolding = predictor.unfold(prepared)
        except SeqclfError as err:
            raise gr.Error(str(err), print_exception=False) from err
        why = (
            views.highlighted_steps(explanation)
            if tab.named_steps
            else views.step_importance_frame(explanation)
        )
        return views.label_scores(unfolding), why, views.unfolding_frame(unfolding)

    return analyse


def _why_output(named_steps: bool) -> gr.components.Component:
    if named_steps:
        return gr.HighlightedText(
            label="Why: each step's share of the evidence",
            show_legend=False,
            combine_adjacent=False,
            render=False,
        )
    return gr.LinePlot(
        x="step",
        y="importance",
        tooltip=["step", "time", "importance"],
        x_title="frame",
        y_title="importance (scaled)",
        label="Why: each frame's share of the evidence",
        render=False,
    )


def _source_fields(tab: ModelTab, policy: SourcePolicy) -> tuple[gr.Textbox, gr.Textbox]:
    """The model source and revision fields; hidden (but still API parameters) when off."""
    what = "Hub repo id (owner/name)" if policy.mode == "hub" else "Model folder or Hub repo id"
    # value="" gives the API parameters a default: callers may leave them out.
    source = gr.Textbox(
        value="",
        label=what,
        placeholder=f"empty: the shipped model ({tab.source})",
        visible=policy.enabled,
        render=False,
    )
    revision = gr.Textbox(
        value="", label="Revision (Hub only)", placeholder="main", visible=policy.enabled, render=False
    )
    return source, revision


def build_tab(tab: ModelTab, examples_dir: Path, options: TabOptions) -> None:
    """Lay out one model's tab inside the current ``gr.Blocks``.

    The outputs and the model-source fields are created first and placed later, so the
    examples (which need them) can sit right under the input.
    """
    label = gr.Label(num_top_classes=TOP_K, label="Prediction", render=False)
    why = _why_output(tab.named_steps)
    text = tab.named_steps
    unfolding = gr.LinePlot(
        # text: whole steps named by their character or word; frames: whole frame numbers
        x="step_name" if text else "step",
        x_axis_format=None if text else "d",
        x_label_angle=-45 if text else 0,
        y="probability",
        # coloured by the line's place, not its class: the colours are ours (views.LINE_COLORS)
        # whatever the model's labels, so the legend below can say which is which
        color="line",
        color_map=views.LINE_COLOR_MAP,
        colors_in_legend=[],  # no legend of the chart's own: see views.legend_html
        tooltip=["read", "label", "probability"],
        x_title="step read (and its character or word)" if text else "frames read",
        y_title="probability",
        y_lim=[0, 1],
        label="Unfolding: the answer after each prefix",
        elem_id=f"unfolding-{tab.name}",
        render=False,
    )
    legend = gr.HTML(elem_id=f"unfolding-legend-{tab.name}", render=False)
    source, revision = _source_fields(tab, options.sources)
    outputs = [label, why, unfolding]
    analyse = analyse_fn(tab, options)
    prefix_note = (
        views.PREFIX_NOTE if tab.predictor.model.config.bidirectional else views.UNIDIRECTIONAL_PREFIX_NOTE
    )

    with gr.Tab(tab.name.capitalize(), id=tab.name, elem_id=f"tab-{tab.name}"):
        gr.Markdown(tab.description, elem_id=f"description-{tab.name}")
        with gr.Row():
            with gr.Column(scale=1):
                example_input = tab.modality.widget()
                run = gr.Button("Classify", variant="primary")
                examples = tab.examples(examples_dir)
                if examples:
                    # Clicking an example fills the input and runs the model with the model
                    # source the user chose (the source columns are empty, so they stay as they are).
                    gr.Examples(
                        examples=[[e, None, None] for e in examples],
                        inputs=[example_input, source, revision],
                        outputs=outputs,
                        fn=analyse,
                        run_on_click=True,
                        cache_examples=False,
                        examples_per_page=MAX_EXAMPLES,
                        api_visibility="private",
                        elem_id=f"examples-{tab.name}",
                    )
                note = examples_dir / f"{tab.name}.md"  # what the examples show, e.g. a known weakness
                if note.is_file():
                    gr.Markdown(note.read_text(encoding="utf-8"), elem_id=f"examples-note-{tab.name}")
                with gr.Accordion("Model source", open=False, visible=options.sources.enabled):
                    source.render()
                    revision.render()
            with gr.Column(scale=1):
                label.render()
        with gr.Row():
            with gr.Column(scale=1):
                why.render()
                gr.Markdown(views.why_note(tab.named_steps))
            with gr.Column(scale=1):
                unfolding.render()
                legend.render()
                gr.Markdown(prefix_note)
        triggers = [run.click] + ([example_input.submit] if tab.modality.submit_on_enter else [])
        gr.on(triggers, analyse, inputs=[example_input, source, revision], outputs=outputs, api_name=tab.name)
        # whichever event drew the chart (Classify, Enter, an example), its legend follows it
        unfolding.change(_legend, unfolding, legend, api_visibility="private", queue=False)


def _legend(plot: Any) -> str:
    """The legend of the unfolding chart the browser shows (its table, as ``gr.LinePlot`` hands it over)."""
    table = plot.model_dump() if isinstance(plot, gr.data_classes.GradioModel) else plot
    if not isinstance(table, dict):
        return ""
    return views.legend_html(table.get("columns") or [], table.get("data") or [])
