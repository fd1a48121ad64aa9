"""Training: hyperparameters, the loop, metrics."""
