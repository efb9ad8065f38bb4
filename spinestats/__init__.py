"""spinestats: statistics for malignant spinal tumour research, checked against R.

The computation lives in :mod:`spinestats.analysis`, the input contracts in
:mod:`spinestats.data_schemas` and everything a person sees (figures, tables,
report, command line) in :mod:`spinestats.reports`.
"""

__version__ = "0.1.0"
