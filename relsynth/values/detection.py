"""The one rule that says which columns identify a person: by their names, then by their values.

Every part of relsynth asks this module: roles (which columns get fake values), the reference-table
copy decision, the report's verbatim check and the benchmarks. The column name proposes and the
values confirm (``first_name``, ``BillingPostalCode``), so that ``title`` of a film, an integer
``city_id`` or a boolean ``email_verified`` are left to the table model. A column with no telling
name is identifying when its values are, beyond doubt: emails, IP addresses, URLs, phone numbers,
IBANs (mod-97 check), card numbers (Luhn check), or people's names (Faker's name lists of every
locale: ``track.composer`` holds "Angus Young, Malcolm Young").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum

import numpy as np
import pandas as pd

from relsynth.values.checksums import iban_valid, luhn_valid
from relsynth.values.person_names import person_name_share

__all__ = [
    "COMMON_VALUE_KINDS",
    "IdentifyingKind",
    "detect",
    "is_birth_date",
    "is_free_text",
    "tokens",
]

class IdentifyingKind(str, Enum):
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    FULL_NAME = "full_name"
    EMAIL = "email"
    PHONE = "phone"
    STREET_ADDRESS = "street_address"
    SECONDARY_ADDRESS = "secondary_address"  # address2, address_line_2: "Apt. 5", "Suite 300"
    CITY = "city"
    POSTAL_CODE = "postal_code"
    USERNAME = "username"
    URL = "url"
    IP_ADDRESS = "ip_address"
    COMPANY = "company"
    IBAN = "iban"
    CARD_NUMBER = "card_number"
    NATIONAL_ID = "national_id"  # social security, passport, tax or national identity numbers


K = IdentifyingKind

# ---------------------------------------------------------------------------------------------
# Detection

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")

# A last token that makes the column something *about* the value, not the value itself.
_NOT_VALUE = frozenset(
    "id ids key uuid guid fk pk count cnt type kind flag verified confirmed status hash md5 sha"
    " length len valid validated opt optin enabled disabled date at time ts timestamp format"
    " pattern template label domain visible public private consent required bounced".split()
)
_NEVER = [("mac", "address"), ("title",), ("job",)]

# Ordered: the first phrase found in the column's tokens wins.
_PHRASES: list[tuple[tuple[str, ...], IdentifyingKind]] = [
    (("ip",), K.IP_ADDRESS),
    (("ipaddr",), K.IP_ADDRESS),
    (("ipaddress",), K.IP_ADDRESS),
    (("remote", "addr"), K.IP_ADDRESS),
    (("email",), K.EMAIL),
    (("e", "mail"), K.EMAIL),
    (("emailaddress",), K.EMAIL),
    (("mail",), K.EMAIL),
    (("first", "name"), K.FIRST_NAME),
    (("firstname",), K.FIRST_NAME),
    (("fname",), K.FIRST_NAME),
    (("given", "name"), K.FIRST_NAME),
    (("givenname",), K.FIRST_NAME),
    (("forename",), K.FIRST_NAME),
    (("middle", "name"), K.FIRST_NAME),
    (("last", "name"), K.LAST_NAME),
    (("lastname",), K.LAST_NAME),
    (("lname",), K.LAST_NAME),
    (("surname",), K.LAST_NAME),
    (("family", "name"), K.LAST_NAME),
    (("familyname",), K.LAST_NAME),
    (("user", "name"), K.USERNAME),
    (("username",), K.USERNAME),
    (("login",), K.USERNAME),
    (("screen", "name"), K.USERNAME),
    (("nickname",), K.USERNAME),
    (("handle",), K.USERNAME),
    (("display", "name"), K.USERNAME),
    (("displayname",), K.USERNAME),
    (("full", "name"), K.FULL_NAME),
    (("fullname",), K.FULL_NAME),
    (("contact", "name"), K.FULL_NAME),
    (("contactname",), K.FULL_NAME),
    (("customer", "name"), K.FULL_NAME),
    (("person", "name"), K.FULL_NAME),
    (("employee", "name"), K.FULL_NAME),
    (("client", "name"), K.FULL_NAME),
    # the party an order ships or bills to, or a message goes to: a person or a company
    (("ship", "name"), K.FULL_NAME),
    (("shipto", "name"), K.FULL_NAME),
    (("bill", "name"), K.FULL_NAME),
    (("billing", "name"), K.FULL_NAME),
    (("recipient", "name"), K.FULL_NAME),
    (("receiver", "name"), K.FULL_NAME),
    (("sender", "name"), K.FULL_NAME),
    (("holder", "name"), K.FULL_NAME),
    (("owner", "name"), K.FULL_NAME),
    (("consignee",), K.FULL_NAME),
    (("company",), K.COMPANY),
    (("companyname",), K.COMPANY),
    (("organization",), K.COMPANY),
    (("organisation",), K.COMPANY),
    (("employer",), K.COMPANY),
    (("business", "name"), K.COMPANY),
    (("phone",), K.PHONE),
    (("phonenumber",), K.PHONE),
    (("telephone",), K.PHONE),
    (("tel",), K.PHONE),
    (("mobile",), K.PHONE),
    (("cellphone",), K.PHONE),
    (("fax",), K.PHONE),
    (("msisdn",), K.PHONE),
    (("address", "line", "2"), K.SECONDARY_ADDRESS),
    (("addressline", "2"), K.SECONDARY_ADDRESS),
    (("address", "2"), K.SECONDARY_ADDRESS),
    (("street", "address"), K.STREET_ADDRESS),
    (("address",), K.STREET_ADDRESS),
    (("addressline",), K.STREET_ADDRESS),
    (("addr",), K.STREET_ADDRESS),
    (("street",), K.STREET_ADDRESS),
    (("city",), K.CITY),
    (("town",), K.CITY),
    (("postal", "code"), K.POSTAL_CODE),
    (("postalcode",), K.POSTAL_CODE),
    (("postcode",), K.POSTAL_CODE),
    (("post", "code"), K.POSTAL_CODE),
    (("zip",), K.POSTAL_CODE),
    (("zipcode",), K.POSTAL_CODE),
    (("iban",), K.IBAN),
    (("card", "number"), K.CARD_NUMBER),
    (("cardnumber",), K.CARD_NUMBER),
    (("credit", "card"), K.CARD_NUMBER),
    (("creditcard",), K.CARD_NUMBER),
    (("cc", "number"), K.CARD_NUMBER),
    (("ssn",), K.NATIONAL_ID),
    (("social", "security"), K.NATIONAL_ID),
    (("passport",), K.NATIONAL_ID),
    (("tax", "id"), K.NATIONAL_ID),
    (("taxid",), K.NATIONAL_ID),
    (("national", "id"), K.NATIONAL_ID),
    (("url",), K.URL),
    (("homepage",), K.URL),
    (("home", "page"), K.URL),
    (("website",), K.URL),
    (("web", "site"), K.URL),
    (("weburl",), K.URL),
]

_ID_PHRASES = (("tax", "id"), ("national", "id"), ("ssn",), ("passport", "number"), ("passport", "no"))

# Share of a column's distinct values that must name a person for a column with no telling name
# to be one of people's names: chinook's track.composer scores 0.52, artist.name (bands and
# artists, public figures) 0.24, album.title 0.04, track.name 0.02.
PERSON_NAME_SHARE = 0.3

# Tables whose bare ``name`` column names a person, or a company.
_PERSON_TABLES = frozenset(
    "customer customers client clients person persons people user users employee employees staff"
    " member members contact contacts author authors patient patients student students"
    " account_holder owner owners".split()
)
_COMPANY_TABLES = frozenset(
    "company companies supplier suppliers vendor vendors shipper shippers publisher publishers"
    " organization organizations organisation organisations manufacturer manufacturers".split()
)

_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+'\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
_IPV4_RE = re.compile(r"^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$")
_IPV6_RE = re.compile(r"^[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}$")
_URL_RE = re.compile(r"^(https?|ftp)://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_PHONE_CHARS_RE = re.compile(r"^[\d\s()+\-./]+((ext|x|#)\.?\s*\d+)?$", re.IGNORECASE)
_DATE_RE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
_TOKEN_RE = re.compile(r"^[\w.\-]+$")


def tokens(column_name: str) -> tuple[str, ...]:
    """Lower-case word tokens of a column name: ``BillingPostalCode`` -> billing, postal, code."""
    parts = re.split(r"[^A-Za-z0-9]+", _CAMEL.sub("_", column_name))
    return tuple(part.lower() for part in parts if part)


def _find(needle: tuple[str, ...], haystack: tuple[str, ...]) -> bool:
    size = len(needle)
    return any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))


def _kind_from_name(column_name: str, table_name: str) -> IdentifyingKind | None:
    words = tokens(column_name)
    if not words:
        return None
    # ``address2`` ends in a digit token: judge the word before it.
    last = next((w for w in reversed(words) if not w.isdigit()), "")
    for phrase in _ID_PHRASES:  # "tax_id" is a number, not a key into a table of taxes
        if words[-len(phrase):] == phrase:
            return K.NATIONAL_ID
    if last in _NOT_VALUE or any(_find(never, words) for never in _NEVER):
        return None
    for phrase, kind in _PHRASES:
        if _find(phrase, words):
            return kind
    if words == ("name",):
        table = tokens(table_name)[-1] if table_name else ""
        if table in _PERSON_TABLES:
            return K.FULL_NAME
        if table in _COMPANY_TABLES:
            return K.COMPANY
    return None


def _share(values: Sequence[str], pattern: re.Pattern[str]) -> float:
    if not values:
        return 0.0
    return sum(1 for v in values if pattern.match(v)) / len(values)


def _phone_like(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    return 5 <= digits <= 18 and bool(_PHONE_CHARS_RE.match(value)) and not _DATE_RE.match(value)


def _strings(values: pd.Series, limit: int = 2000) -> list[str] | None:
    """Up to ``limit`` non-empty string values, or None when the column does not hold text."""
    present = values.dropna()
    if present.empty:
        return []
    head = present.iloc[:limit]
    if pd.api.types.is_bool_dtype(head) or pd.api.types.is_numeric_dtype(head):
        return None
    if pd.api.types.is_datetime64_any_dtype(head):
        return None
    texts = [v for v in head if isinstance(v, str)]
    if len(texts) < 0.9 * len(head):
        return None
    return [v.strip() for v in texts if v.strip()]


def _confirm(kind: IdentifyingKind, texts: list[str]) -> IdentifyingKind | None:
    """Check a name-based guess against the values; may refine it (``email`` holding logins)."""
    if not texts:
        return kind  # an empty column: the name is all there is
    if kind is K.EMAIL:
        if sum("@" in v for v in texts) >= 0.5 * len(texts):
            return kind
        # hr.employees.email holds "SKING": a login, not an address
        return K.USERNAME if _share(texts, _TOKEN_RE) >= 0.9 else None
    if kind is K.PHONE:
        return kind if sum(_phone_like(v) for v in texts) >= 0.8 * len(texts) else None
    if kind is K.IP_ADDRESS:
        hits = sum(bool(_IPV4_RE.match(v) or _IPV6_RE.match(v)) for v in texts)
        return kind if hits >= 0.8 * len(texts) else None
    if kind is K.POSTAL_CODE:
        ok = sum(len(v) <= 12 and bool(re.match(r"^[\w\s\-]+$", v)) for v in texts)
        return kind if ok >= 0.8 * len(texts) else None
    if kind is K.URL:
        return kind
    if kind is K.IBAN:
        return kind if sum(iban_valid(v) for v in texts) >= 0.8 * len(texts) else None
    if kind is K.CARD_NUMBER:
        return kind if sum(luhn_valid(v) for v in texts) >= 0.8 * len(texts) else None
    if kind is K.NATIONAL_ID:
        ok = sum(len(v) <= 24 and bool(re.match(r"^[\w\s\-./]+$", v)) for v in texts)
        return kind if ok >= 0.8 * len(texts) else None
    # Names, streets, cities, companies: text, not codes or numbers written as text.
    numeric = sum(bool(re.match(r"^[\d\s.,\-+]+$", v)) for v in texts)
    if numeric > 0.2 * len(texts):
        return None
    if kind in (K.FIRST_NAME, K.LAST_NAME, K.CITY, K.USERNAME):
        if np.mean([len(v) for v in texts]) > 40:
            return None
    return kind


def detect(column_name: str, values: pd.Series, *, table_name: str = "") -> IdentifyingKind | None:
    """The kind of identifying text ``values`` hold, or None when they are not identifying.

    The column name proposes, the values confirm; a column with no telling name is identifying
    only when its values are emails, IP addresses, URLs, phone numbers, IBANs, card numbers or
    people's names beyond doubt (see ``_kind_from_values``).
    """
    texts = _strings(values)
    if texts is None:
        return None
    kind = _kind_from_name(column_name, table_name)
    if kind is not None:
        return _confirm(kind, texts)
    words = tokens(column_name)
    if words and words[-1] in _NOT_VALUE or len(texts) < 5:
        return None
    return _kind_from_values(texts)


def _kind_from_values(texts: list[str]) -> IdentifyingKind | None:
    """The kind of a column with no telling name, from its values alone."""
    if _share(texts, _EMAIL_RE) >= 0.9:
        return K.EMAIL
    if sum(bool(_IPV4_RE.match(v) or _IPV6_RE.match(v)) for v in texts) >= 0.9 * len(texts):
        return K.IP_ADDRESS
    if _share(texts, _URL_RE) >= 0.9:
        return K.URL
    # Phone numbers without a telling name: need separators or '+' and many distinct values,
    # so that codes like "1234" or categories stay with the table model.
    phone = [v for v in texts if _phone_like(v) and re.search(r"[\s()+\-.]", v)]
    if len(phone) >= 0.9 * len(texts) and len(set(texts)) >= 0.8 * len(texts):
        return K.PHONE
    if sum(iban_valid(v) for v in texts) >= 0.9 * len(texts):
        return K.IBAN
    # about one random number in ten passes Luhn: a column of codes never reaches 90 %
    if sum(luhn_valid(v) for v in texts) >= 0.9 * len(texts):
        return K.CARD_NUMBER
    if person_name_share(texts) >= PERSON_NAME_SHARE:
        return K.FULL_NAME
    return None


# ---------------------------------------------------------------------------------------------
# Values that are not text, and what is not identifying but still points at a row.

# Identifying kinds whose single values are shared by many people: a first name or a city alone
# identifies nobody, so they are not forbidden one by one (a real (first, last) pair is).
COMMON_VALUE_KINDS = frozenset({K.FIRST_NAME, K.LAST_NAME, K.CITY})

_BIRTH_DATE = re.compile(r"(^|_)(birth_?date|date_of_birth|dob|birthday)($|_)", re.IGNORECASE)


def is_birth_date(column_name: str) -> bool:
    """A date column that holds birth dates: learned like any date, but no real one is emitted."""
    return _BIRTH_DATE.search(column_name) is not None


# A text column with more distinct values than this share of its rows is free text, not a category.
FREE_TEXT_DISTINCT_SHARE = 0.5
FREE_TEXT_MIN_DISTINCT = 30
# ... and so is a small table's column of names seen once each (a department's or a job's title):
# as a category every value would be copied, and each one points at its row.
LABEL_MIN_DISTINCT = 10


def is_free_text(values: pd.Series) -> bool:
    """Free text (or a column of labels seen once each), not a category of repeated values."""
    present = values.dropna()
    if present.empty:
        return False
    counts = present.astype(str).value_counts()
    if counts.size <= FREE_TEXT_DISTINCT_SHARE * len(present):
        return False
    return counts.size >= FREE_TEXT_MIN_DISTINCT or (counts.size >= LABEL_MIN_DISTINCT and (counts == 1).mean() > 0.5)

