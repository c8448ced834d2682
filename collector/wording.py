"""The Chinese words for a file's state, a problem's level and a blank's kind, shared by every stage and the CLI.

Kept apart so that printing a word never imports the ledger (sqlite3) or the readers.
"""

from __future__ import annotations

#: a file's state in the ledger → what the clerk reads
STATE_NAMES = {"accepted": "已接收", "returned": "退回", "held": "待确认", "duplicate": "重复", "ignored": "忽略"}
#: a problem's level → what the clerk reads
LEVEL_NAMES = {"error": "错误", "warning": "提醒"}
#: a blank's kind → what the clerk reads
KIND_NAMES = {"count": "数量", "percent": "百分比", "text": "文字", "yesno": "是/否"}
