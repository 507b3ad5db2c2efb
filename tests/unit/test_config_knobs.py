"""Tuning knobs in the typed config: read from TOML, range-checked, and honoured where they are used."""

from __future__ import annotations

import pandas as pd
import pytest

from relsynth.config import RelsynthConfig, load_config
from relsynth.errors import ConfigurationError
from relsynth.modeling import ColumnSpec, ModelConfig, TableModel
from relsynth.runs import _config_from_dict, _config_to_dict
from relsynth.schema.elements import TypeKind

KNOBS = """
holdout_min_rows = 1000
check_redraws = 2
identifying_redraws = 7

[model]
min_steps = 40
min_patience_steps = 5
marginal_rows = 1000

[report]
sample_rows = 2500
"""


def _load(tmp_path, text: str) -> RelsynthConfig:
    path = tmp_path / "relsynth.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_every_knob_is_read_from_its_section_of_the_toml_file(tmp_path) -> None:
    config = _load(tmp_path, KNOBS)
    assert (config.holdout_min_rows, config.check_redraws, config.identifying_redraws) == (1000, 2, 7)
    assert (config.model.min_steps, config.model.min_patience_steps, config.model.marginal_rows) == (40, 5, 1000)
    assert config.report_sample_rows == 2500


def test_a_flag_still_wins_over_the_file(tmp_path) -> None:
    path = tmp_path / "relsynth.toml"
    path.write_text(KNOBS, encoding="utf-8")
    assert load_config(path, check_redraws=3).check_redraws == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("check_redraws = -1", r"check_redraws -1 is out of range: use a whole number from 0 to 1000"),
        ("holdout_min_rows = 2.5", r"holdout_min_rows 2.5 is out of range"),
        ("identifying_redraws = 0", r"identifying_redraws 0 is out of range: use a whole number from 1 to 10000"),
        ("[report]\nsample_rows = 5", r"\[report\] sample_rows 5 is out of range: use a whole number from 100"),
        ("[model]\nmin_steps = -3", r"ModelConfig.min_steps=-3 is outside its range \[0, 1000000\]"),
        ("[model]\nmarginal_rows = 0", r"ModelConfig.marginal_rows=0 is outside its range \[1, inf\]"),
    ],
)
def test_a_value_out_of_range_is_an_error_that_gives_the_range(tmp_path, text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _load(tmp_path, text)


def test_a_misspelt_report_key_is_an_error(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match=r"unknown key\(s\) sample_row in \[report\].*sample_rows"):
        _load(tmp_path, "[report]\nsample_row = 100")


def test_a_run_saved_before_the_knobs_existed_reads_their_defaults(tmp_path) -> None:
    saved = _config_to_dict(_load(tmp_path, KNOBS))
    assert _config_from_dict(dict(saved)).check_redraws == 2
    for name in ("holdout_min_rows", "check_redraws", "identifying_redraws", "report_sample_rows"):
        del saved[name]
    for name in ("min_steps", "min_patience_steps", "marginal_rows"):
        del saved["model"][name]
    old = _config_from_dict(saved)
    assert old.check_redraws == RelsynthConfig().check_redraws
    assert old.model == ModelConfig()


def test_min_steps_lengthens_training_of_a_one_batch_table() -> None:
    frame = pd.DataFrame({"x": ["a", "b", "c", "a"] * 10})
    specs = (ColumnSpec("x", TypeKind.TEXT),)
    base = ModelConfig(epochs=1, early_stopping_patience=1000, min_patience_steps=0, max_training_seconds=30.0)
    epochs = {
        steps: TableModel.fit(frame, specs=specs, config=ModelConfig(**{**base.to_dict(), "min_steps": steps}), seed=0).summary.epochs
        for steps in (0, 30)
    }
    assert epochs == {0: 1, 30: 30}
