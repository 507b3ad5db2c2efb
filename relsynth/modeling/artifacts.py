"""A table model on disk: ``model.json`` (format version, specs, config, encoders) and
``weights.pt`` (the network's state_dict). Nothing is pickled; weights load with
``weights_only=True``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from relsynth.errors import ArtifactError

FORMAT_VERSION = 1
METADATA_FILE = "model.json"
WEIGHTS_FILE = "weights.pt"


@dataclass(frozen=True)
class StoredModel:
    """What a saved table model holds: JSON metadata and the network's weights."""

    metadata: dict[str, Any]
    weights: dict[str, torch.Tensor]


def write_model(
    directory: Path, *, metadata: dict[str, Any], weights: dict[str, torch.Tensor]
) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    payload = {"format_version": FORMAT_VERSION, **metadata}
    # allow_nan=False: a NaN here would be a bug, and strict JSON readers reject it
    text = json.dumps(payload, indent=1, allow_nan=False, ensure_ascii=False)
    (directory / METADATA_FILE).write_text(text, encoding="utf-8")
    torch.save(
        {name: tensor.detach().cpu() for name, tensor in weights.items()}, directory / WEIGHTS_FILE
    )


def read_model(directory: Path) -> StoredModel:
    directory = Path(directory)
    meta_path, weights_path = directory / METADATA_FILE, directory / WEIGHTS_FILE
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise ArtifactError(
                f"table model at {directory} is incomplete: {path.name} is missing; "
                "retrain the table or restore the run directory"
            )
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(
            f"cannot read {meta_path}: {exc}; the file is damaged, retrain the table"
        ) from exc
    version = metadata.get("format_version") if isinstance(metadata, dict) else None
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"table model at {directory} has format version {version!r}, but this relsynth reads "
            f"version {FORMAT_VERSION}; retrain with this version or use the relsynth that wrote it"
        )
    try:
        weights = torch.load(weights_path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for damaged or unsafe files
        raise ArtifactError(
            f"cannot load weights from {weights_path}: {exc}; the file is damaged or not a "
            "relsynth artifact, retrain the table"
        ) from exc
    if not isinstance(weights, dict):
        raise ArtifactError(f"{weights_path} holds no state_dict; retrain the table")
    return StoredModel(metadata=metadata, weights=weights)
