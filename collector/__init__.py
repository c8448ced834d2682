"""collector: gather, check and consolidate the returned 活动进展情况统计表.

The library is usable without the CLI: ``forms`` (form files → models), ``workbook`` (safe opening),
``reader`` (finding the blanks), ``values`` (what was written), ``check`` (pydantic checks).
"""

__version__ = "0.1.0"
