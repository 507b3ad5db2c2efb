"""Column encoders: each turns one column into integer codes and back, one module per column kind.

Every encoder reserves code 0 for NULL, so NULLs keep their real rate in every kind. Two families:

* ``NumericEncoder`` (``numeric``) for INTEGER, FLOAT, DECIMAL (``quantities``) and the temporal
  kinds as numbers (``temporal``: DATE in days since 1970-01-01, TIMESTAMP in microseconds since
  the epoch (UTC), TIME in microseconds since midnight, INTERVAL in microseconds). At most
  ``max_bins`` distinct values are kept exactly; otherwise frequent exact values get codes of
  their own and the rest fall into quantile bins.
* ``CategoricalEncoder`` (``categorical``) for BOOLEAN (``boolean``), TEXT, ENUM, JSON, ARRAY
  (``structured``) and OTHER: one code per category, code 1 for rare or unseen values.

``base`` holds ``ColumnSpec`` and the interface; ``registry`` picks the encoder for a kind. Pure
numpy/pandas: no torch here.

Decoded dtypes (what ``decode`` returns, NULL as shown):

=========  ==================================================================  ==========
kind       dtype / Python type                                                 NULL
=========  ==================================================================  ==========
INTEGER    pandas ``Int64``                                                    ``<NA>``
FLOAT      ``float64``                                                         NaN
DECIMAL    object of ``decimal.Decimal``, quantized to ``scale`` places         None
DATE       object of ``datetime.date`` (covers years 1-9999, unlike [ns])       None
TIMESTAMP  ``datetime64[us]``; ``datetime64[us, UTC]`` when ``timezone``         NaT
TIME       object of ``datetime.time``                                         None
INTERVAL   ``timedelta64[ns]`` (elements are ``pd.Timedelta``)                 NaT
BOOLEAN    pandas ``boolean``                                                  ``<NA>``
TEXT/ENUM  object of ``str``                                                   None
OTHER      object of ``str``                                                   None
JSON/ARRAY object of Python values (``json.loads`` of the canonical form)        None
=========  ==================================================================  ==========
"""

from relsynth.modeling.encoding.base import NULL_CODE, RARE_CODE, ColumnSpec, Encoder, _is_null
from relsynth.modeling.encoding.categorical import CategoricalEncoder, _category_key
from relsynth.modeling.encoding.numeric import (
    FINE_ROWS,
    MIN_BINS,
    MIN_EXACT_COUNT,
    NumericEncoder,
    to_numbers,
)
from relsynth.modeling.encoding.registry import (
    CATEGORICAL_KINDS,
    NUMERIC_KINDS,
    encoder_from_dict,
    fit_encoder,
)

__all__ = [
    "CATEGORICAL_KINDS",
    "FINE_ROWS",
    "MIN_BINS",
    "MIN_EXACT_COUNT",
    "NULL_CODE",
    "NUMERIC_KINDS",
    "RARE_CODE",
    "CategoricalEncoder",
    "ColumnSpec",
    "Encoder",
    "NumericEncoder",
    "_category_key",
    "_is_null",
    "encoder_from_dict",
    "fit_encoder",
    "to_numbers",
]
