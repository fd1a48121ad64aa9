"""How good a model is: the metrics, scoring it on labelled data, and the practitioner's baseline beside it."""
