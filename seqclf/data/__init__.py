"""Reading data sets, splitting them reproducibly, and batching variable-length sequences."""
