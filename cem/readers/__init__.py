"""Readers: one file in, a validated table (or mapping) and its warnings out.

Each reader refuses plainly what it cannot read (an :class:`cem.errors.InputError` naming the
file, the line or key, and what is expected) and returns warnings for what it read with a
doubt. Readers know files, never a study: :mod:`cem.study` decides which files to read.
"""
from .csv import read_csv
from .customers import read_customers
from .events import read_events, unplaced
from .mapping import apply_renames
from .model import MODEL_FILES, check_structure, check_tables, find_model_file, read_model_tables
from .study_config import read_study_config
from .survey import read_survey
from .transactions import read_cdnow, read_transactions
from .workbook import read_workbook
from .xes import read_xes
from .yaml import read_yaml

__all__ = ["read_csv", "read_yaml", "read_xes", "read_survey", "read_customers", "read_events", "read_transactions",
           "read_cdnow", "read_workbook", "apply_renames", "unplaced", "read_model_tables", "find_model_file", "check_tables",
           "check_structure", "read_study_config", "MODEL_FILES"]
