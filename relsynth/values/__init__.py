"""Values generated without a learned table model.

Identifying text (names, emails, phones, addresses) is replaced by realistic fake values
(``identifying``); free text is synthesised from a word-level Markov chain that never learns rare
words (``text``); keys are owned by the generator (``keys``); binary, UUID and JSON values are
synthesised from their structure (``opaque``). Everything is deterministic from a seed, its state
is JSON (no pickle), and no real value is ever copied verbatim.
"""

from __future__ import annotations

from relsynth.values.identifying import (
    IdentifyingGenerator,
    IdentifyingKind,
    ValueProfile,
    detect,
    detect_locale,
    random_like,
    shape_of,
)
from relsynth.values.keys import KeyGenerator, KeyKind, drop_duplicate_keys
from relsynth.values.opaque import BinaryModel, JsonModel, UuidModel
from relsynth.values.text import TextModel

__all__ = [
    "BinaryModel",
    "IdentifyingGenerator",
    "IdentifyingKind",
    "JsonModel",
    "KeyGenerator",
    "KeyKind",
    "TextModel",
    "UuidModel",
    "ValueProfile",
    "detect",
    "detect_locale",
    "drop_duplicate_keys",
    "random_like",
    "shape_of",
]
