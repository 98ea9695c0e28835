"""The real ``ferry serve`` for the Python clients: tests/py's fixture, loaded under its own
module name (both files are called conftest.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "ferry_py_conftest", Path(__file__).resolve().parents[1] / "py" / "conftest.py"
)
_py = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _py  # dataclasses look their module up there
_spec.loader.exec_module(_py)

ferry_server = _py.ferry_server
