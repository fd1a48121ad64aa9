"""The speech front end: decoding and resampling audio, MFCC frames, training perturbations."""
