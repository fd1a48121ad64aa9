"""Encoders turn raw examples into model inputs; each registers itself by ``type``."""

from seqclf.encoders.audio import AudioEncoder  # noqa: F401  (registers "audio")
from seqclf.encoders.base import Encoder, encoder_from_dict
from seqclf.encoders.chars import CharEncoder
from seqclf.encoders.features import FeatureEncoder  # noqa: F401  (registers "features")
from seqclf.encoders.words import WordEncoder  # noqa: F401  (registers "words")

__all__ = ["CharEncoder", "Encoder", "encoder_from_dict"]
