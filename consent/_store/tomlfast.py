"""A reader for the plainest TOML, so that the usual config file costs no tomllib import.

Importing tomllib costs about 4.5 ms (its regexes are compiled at import), which a
host command would pay whenever a config file exists. The files lumogon writes,
and most that people keep, use only bare-key tables and `key = value` lines with
strings, booleans and integers. The reader accepts exactly that subset and
returns None for anything else — then tomllib (or tomlkit) decides. It never
accepts what TOML rejects: tests/store/test_tomlfast.py checks every answer against
tomllib. It lives in consent/_glance.py, which reads a host command's files with it before
anything else of consent loads.
"""

from __future__ import annotations

from consent._glance import parse_simple

__all__ = ["parse_simple"]
