"""Detection of identifying columns, and the fake values that replace them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from relsynth.errors import GenerationError
from relsynth.values.identifying import (
    IdentifyingGenerator,
    IdentifyingKind,
    ValueProfile,
    detect,
    detect_locale,
    random_like,
    shape_of,
    tokens,
)

K = IdentifyingKind
EMAIL = re.compile(r"^[a-z0-9._]+@[a-z0-9.\-]+\.[a-z]{2,}$")

# chinook.customer (a few real rows, as text)
CHINOOK_CUSTOMER = {
    "first_name": ["Luís", "Leonie", "François", "Bjørn", "František", "Helena"],
    "last_name": ["Gonçalves", "Köhler", "Tremblay", "Hansen", "Wichterlová", "Holý"],
    "company": [
        "Embraer - Empresa Brasileira de Aeronáutica S.A.",
        None,
        None,
        None,
        "JetBrains s.r.o.",
        None,
    ],
    "address": [
        "Av. Brigadeiro Faria Lima, 2170",
        "Theodor-Heuss-Straße 34",
        "1498 rue Bélanger",
        "Ullevålsveien 14",
        "Klanova 9/506",
        "Rilská 3174/6",
    ],
    "city": ["São José dos Campos", "Stuttgart", "Montréal", "Oslo", "Prague", "Prague"],
    "state": ["SP", None, "QC", None, None, None],
    "country": ["Brazil", "Germany", "Canada", "Norway", "Czech Republic", "Czech Republic"],
    "postal_code": ["12227-000", "70174", "H2G 1A7", "0171", "14700", "14300"],
    "phone": [
        "+55 (12) 3923-5555",
        "+49 0711 2842222",
        "+1 (514) 721-4711",
        "+47 22 44 22 22",
        "+420 2 4172 5555",
        "+420 2 4177 0449",
    ],
    "fax": ["+55 (12) 3923-5566", None, None, None, "+420 2 4172 5555", None],
    "email": [
        "luisg@embraer.com.br",
        "leonekohler@surfeu.de",
        "ftremblay@gmail.com",
        "bjorn.hansen@yahoo.no",
        "frantisekw@jetbrains.com",
        "hholy@gmail.com",
    ],
    "support_rep_id": [3, 5, 3, 4, 4, 5],
}
CHINOOK_EXPECTED = {
    "first_name": K.FIRST_NAME,
    "last_name": K.LAST_NAME,
    "company": K.COMPANY,
    "address": K.STREET_ADDRESS,
    "city": K.CITY,
    "state": None,
    "country": None,
    "postal_code": K.POSTAL_CODE,
    "phone": K.PHONE,
    "fax": K.PHONE,
    "email": K.EMAIL,
    "support_rep_id": None,
}


def test_detects_chinook_customer_columns() -> None:
    frame = pd.DataFrame(CHINOOK_CUSTOMER)
    found = {col: detect(col, frame[col], table_name="customer") for col in frame.columns}
    assert found == CHINOOK_EXPECTED


def test_pagila_film_text_is_not_identifying() -> None:
    titles = pd.Series(
        ["ACADEMY DINOSAUR", "ACE GOLDFINGER", "ADAPTATION HOLES", "AFFAIR PREJUDICE"] * 3
    )
    descriptions = pd.Series(
        [
            "A Epic Drama of a Feminist And a Mad Scientist who must Battle a Teacher",
            "A Astounding Epistle of a Database Administrator And a Explorer who must Find a Car",
        ]
        * 6
    )
    assert detect("title", titles, table_name="film") is None
    assert detect("description", descriptions, table_name="film") is None


def test_northwind_contacts() -> None:
    names = pd.Series(["Maria Anders", "Ana Trujillo", "Antonio Moreno", "Thomas Hardy"])
    titles = pd.Series(["Sales Representative", "Owner", "Owner", "Sales Representative"])
    homepages = pd.Series(
        [None, "#CAJUN.HTM#", None, "Mayumi's (on the World Wide Web)#http://x.htm#"]
    )
    assert detect("contact_name", names, table_name="customers") is K.FULL_NAME
    assert detect("contact_title", titles, table_name="customers") is None
    assert detect("homepage", homepages, table_name="suppliers") is K.URL
    assert detect("ContactName", names) is K.FULL_NAME
    assert detect("CompanyName", pd.Series(["Alfreds Futterkiste", "Around the Horn"])) is K.COMPANY


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        ("city_id", pd.Series([1, 2, 3, 300]), None),
        ("address_id", pd.Series([5, 6, 7]), None),
        ("city", pd.Series([1, 2, 3]), None),  # an integer code, whatever its name
        ("email_verified", pd.Series([True, False, True]), None),
        ("last_update", pd.Series(["2022-02-15 10:02:19"] * 4), None),
        ("address2", pd.Series([None, "", "Apt. 5"]), K.SECONDARY_ADDRESS),
        ("AddressLine2", pd.Series(["Suite 300", None]), K.SECONDARY_ADDRESS),
        ("BillingPostalCode", pd.Series(["T6G 2C7", "10012-2612"]), K.POSTAL_CODE),
        ("zip", pd.Series(["94103", "10001"]), K.POSTAL_CODE),
        ("FirstName", pd.Series(["Andrew", "Nancy"]), K.FIRST_NAME),
        ("username", pd.Series(["Mike", "Jon"]), K.USERNAME),
        ("login", pd.Series(["mhillyer", "jstephens"]), K.USERNAME),
        ("ip", pd.Series(["10.0.0.1", "192.168.1.20"]), K.IP_ADDRESS),
        ("phone", pd.Series(["n/a", "unknown", "ask"]), None),  # not numbers
        ("mac_address", pd.Series(["00:1A:2B:3C:4D:5E"]), None),
        ("email", pd.Series(["SKING", "NYANG", "LDEHAAN"]), K.USERNAME),  # hr.employees
        ("name", pd.Series(["AC/DC", "Accept", "Aerosmith"]), None),  # chinook.artist
    ],
)
def test_detection_cases(column: str, values: pd.Series, expected: IdentifyingKind | None) -> None:
    assert detect(column, values) is expected


def test_name_column_needs_a_person_or_company_table() -> None:
    names = pd.Series(["Mike Hillyer", "Jon Stephens"])
    assert detect("name", names, table_name="customer") is K.FULL_NAME
    assert (
        detect("name", pd.Series(["Speedy Express", "United Package"]), table_name="shippers")
        is K.COMPANY
    )
    assert detect("name", pd.Series(["Action", "Animation"]), table_name="category") is None


def test_value_patterns_without_a_telling_name() -> None:
    emails = pd.Series([f"user{i}@example.org" for i in range(10)])
    assert detect("contact", emails) is K.EMAIL
    ips = pd.Series([f"10.1.{i}.{i * 3}" for i in range(10)])
    assert detect("origin", ips) is K.IP_ADDRESS
    phones = pd.Series([f"+1 (604) 555-{1000 + i * 7}" for i in range(10)])
    assert detect("contact", phones) is K.PHONE
    # Dates and repeated codes look phone-ish but are not.
    assert detect("shipped", pd.Series([f"2021-03-{i + 10}" for i in range(10)])) is None
    assert detect("code", pd.Series(["12-3456"] * 10)) is None
    assert detect("count", pd.Series(["12345678"] * 10)) is None


def test_tokens_split_snake_and_camel_case() -> None:
    assert tokens("BillingPostalCode") == ("billing", "postal", "code")
    assert tokens("address2") == ("address", "2")
    assert tokens("EMail_Address") == ("e", "mail", "address")
    assert tokens("IPAddress") == ("ip", "address")


def test_detect_locale() -> None:
    german = pd.Series(["Müller", "Schäfer", "Größe", "Köhler"])
    assert detect_locale(german) == "de_DE"
    mixed = pd.Series(CHINOOK_CUSTOMER["last_name"])
    assert detect_locale(mixed) == "en_US"
    assert detect_locale(pd.Series([1, 2]), default="fr_FR") == "fr_FR"


def test_shape_and_random_like() -> None:
    assert shape_of("+1 (604) 555-3255") == "+9 (999) 999-9999"
    assert shape_of("H2G 1A7") == "A9A 9A9"
    rng = np.random.default_rng(0)
    values = {random_like("A9A 9A9", rng) for _ in range(50)}
    assert all(shape_of(v) == "A9A 9A9" for v in values)
    assert len(values) > 45  # random content, not one value repeated


def _person_generator(seed: int, **options: object) -> IdentifyingGenerator:
    kinds = {
        "first_name": K.FIRST_NAME,
        "last_name": K.LAST_NAME,
        "email": K.EMAIL,
        "phone": K.PHONE,
        "postal_code": K.POSTAL_CODE,
        "username": K.USERNAME,
        "company": K.COMPANY,
        "address": K.STREET_ADDRESS,
        "city": K.CITY,
    }
    frame = pd.DataFrame(CHINOOK_CUSTOMER)
    profiles = {
        "phone": ValueProfile.fit(frame["phone"], K.PHONE),
        "postal_code": ValueProfile.fit(frame["postal_code"], K.POSTAL_CODE),
        "username": ValueProfile.fit(pd.Series(["SKING", "NYANG", "LDEHAAN"]), K.USERNAME),
    }
    # A small Faker pool keeps the tests fast (Faker costs ~50 µs a value).
    options.setdefault("pool_size", 100)
    return IdentifyingGenerator(kinds, seed=seed, profiles=profiles, **options)  # type: ignore[arg-type]


def test_emails_follow_the_row_names_and_are_unique_and_valid() -> None:
    gen = _person_generator(3, unique={"email", "username"})
    frame = pd.concat([gen.generate(400), gen.generate(400)], ignore_index=True)
    assert frame["email"].is_unique and frame["username"].is_unique  # across both chunks
    for first, last, email, login in frame[
        ["first_name", "last_name", "email", "username"]
    ].itertuples(index=False):
        assert EMAIL.match(email), email
        local = email.split("@")[0]
        f = re.sub(r"[^a-z]", "", first.lower())[:1]
        surname = re.sub(r"[^a-z]", "", last.lower())
        assert local.startswith(f) and (surname[:1] in local), (first, last, email)
        assert login.isupper() or not any(
            c.isalpha() for c in login
        )  # source logins were upper case


def test_shapes_of_phones_and_postal_codes_are_kept() -> None:
    frame = _person_generator(1).generate(300)
    source_phone_shapes = {shape_of(v) for v in CHINOOK_CUSTOMER["phone"]}
    source_postal_shapes = {shape_of(v) for v in CHINOOK_CUSTOMER["postal_code"]}
    assert set(frame["phone"].map(shape_of)) <= source_phone_shapes
    assert set(frame["postal_code"].map(shape_of)) <= source_postal_shapes
    assert frame["phone"].nunique() > 250  # digits are random, not copied


def test_forbidden_real_values_never_appear() -> None:
    # Forbid a big slice of what the generator would produce with this seed.
    probe = _person_generator(5).generate(300)
    forbidden = {
        col: set(probe[col].iloc[:150]) for col in ("first_name", "last_name", "email", "city")
    }
    frame = _person_generator(5, forbidden=forbidden).generate(300)
    for col, real in forbidden.items():
        lowered = {v.casefold() for v in real}
        assert not frame[col].str.casefold().isin(lowered).any(), col


def test_same_seed_same_values_other_seed_other_values() -> None:
    a = _person_generator(11).generate(50)
    b = _person_generator(11).generate(50)
    c = _person_generator(12).generate(50)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_max_length_is_respected() -> None:
    limits = {"email": 16, "username": 6, "address": 12, "company": 10, "first_name": 4}
    gen = _person_generator(2, max_lengths=limits, unique={"email", "username"})
    frame = gen.generate(500)
    for col, limit in limits.items():
        assert frame[col].str.len().max() <= limit, col
    assert frame["email"].is_unique and frame["email"].map(lambda v: bool(EMAIL.match(v))).all()


def test_null_rates() -> None:
    frame = _person_generator(4, null_rates={"company": 0.7}).generate(1000)
    assert 0.64 < frame["company"].isna().mean() < 0.76
    assert frame["email"].notna().all()


def test_full_name_alone_matches_email() -> None:
    gen = IdentifyingGenerator({"contact_name": K.FULL_NAME, "email": K.EMAIL}, seed=9)
    for name, email in gen.generate(100).itertuples(index=False):
        assert re.sub(r"[^a-z]", "", name.split()[0].lower())[:1] == email[0]


def test_exhausted_unique_space_raises_a_clear_error() -> None:
    profile = ValueProfile(shapes=("9",), weights=(1.0,))
    gen = IdentifyingGenerator(
        {"zip": K.POSTAL_CODE}, seed=0, unique={"zip"}, profiles={"zip": profile}
    )
    with pytest.raises(GenerationError, match="leaves no room"):
        gen.generate(11)


def test_options_for_unknown_columns_are_refused() -> None:
    with pytest.raises(GenerationError, match="no kind"):
        IdentifyingGenerator({"email": K.EMAIL}, seed=0, unique={"mail"})


def test_profile_round_trips_through_json() -> None:
    profile = ValueProfile.fit(pd.Series(CHINOOK_CUSTOMER["phone"]), K.PHONE)
    assert ValueProfile.from_dict(profile.to_dict()) == profile
    assert "3923" not in str(profile.to_dict())  # shapes only, no digits
