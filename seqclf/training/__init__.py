"""Training: the loop, checkpoints, torchrun, and one run from data to model folder."""
