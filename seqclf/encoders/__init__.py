"""Encoders turn raw examples into model inputs; each registers itself by ``type``."""

from seqclf.encoders.base import Encoder, encoder_from_dict
from seqclf.encoders.chars import CharEncoder

__all__ = ["CharEncoder", "Encoder", "encoder_from_dict"]
