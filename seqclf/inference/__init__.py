"""Answering with a trained model: the Predictor, the one request path every door uses, batching
of concurrent requests, and explanations (which steps decided, how the answer unfolds)."""
