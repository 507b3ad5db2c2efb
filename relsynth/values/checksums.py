"""Checksums that tell a real account or card number from any string of digits.

An IBAN is valid when its digits, read mod 97 after moving the country code and check digits to
the end, leave 1 (ISO 13616); a payment card number when it passes Luhn's mod-10 check (ISO/IEC
7812). Only about one random 16-digit number in ten passes Luhn, so a column is taken for card
numbers only when nearly all of its values pass.
"""

from __future__ import annotations

import re

_IBAN_RE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_CARD_RE = re.compile(r"^\d{13,19}$")


def _compact(value: str) -> str:
    return re.sub(r"[\s\-]", "", str(value)).upper()


def iban_valid(value: str) -> bool:
    """``value`` (spaces allowed) is an IBAN whose mod-97 check holds."""
    text = _compact(value)
    if not _IBAN_RE.match(text):
        return False
    moved = text[4:] + text[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def luhn_valid(value: str) -> bool:
    """``value`` (spaces or dashes allowed) is 13 to 19 digits that pass Luhn's check."""
    text = _compact(value)
    if not _CARD_RE.match(text) or len(set(text)) == 1:  # 0000 0000 0000 0000 passes, and is no card
        return False
    total = 0
    for position, char in enumerate(reversed(text)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
