"""The one identifying rule: by column names, by value patterns and checksums, by people's names."""

from __future__ import annotations

import pandas as pd
import pytest

from relsynth.values.checksums import iban_valid, luhn_valid
from relsynth.values.detection import PERSON_NAME_SHARE, IdentifyingKind, detect, is_birth_date
from relsynth.values.identifying import IdentifyingGenerator
from relsynth.values.person_names import names_a_person, person_name_share

K = IdentifyingKind

# chinook.track.composer: people's names in a column whose name says nothing
COMPOSERS = [
    "Angus Young, Malcolm Young, Brian Johnson",
    "Steven Tyler, Joe Perry, Jack Blades, Tommy Shaw",
    "Jimmy Page, Robert Plant, John Paul Jones, John Bonham",
    "Alanis Morissette & Glenn Ballard",
    "Billy Corgan",
    "U2",
    "AC/DC",
    "Apocalyptica",
    "Jerry Cantrell",
    "Miles Davis",
]
TITLES = [
    "For Those About To Rock We Salute You", "Balls to the Wall", "Restless and Wild",
    "Let There Be Rock", "Big Ones", "Jagged Little Pill", "Facelift", "Warner 25 Anos",
    "Plays Metallica By Four Cellos", "Audioslave",
]


def test_peoples_names_are_found_in_a_column_whose_name_says_nothing() -> None:
    assert names_a_person("Jimmy Page, Robert Plant")
    assert not names_a_person("Balls to the Wall")
    assert not names_a_person("jimmy page")  # names are capitalised
    assert detect("composer", pd.Series(COMPOSERS)) is K.FULL_NAME
    assert detect("title", pd.Series(TITLES)) is None
    assert detect("label", pd.Series(TITLES)) is None


def test_the_person_name_share_decides() -> None:
    names = ["Anna Schmidt", "John Miller", "Maria Garcia", "Peter Jones"]
    below = names[:2] + [f"Product {i}" for i in range(8)]  # 2 in 10 distinct values
    above = names + [f"Product {i}" for i in range(6)]  # 4 in 10
    assert person_name_share(below) < PERSON_NAME_SHARE < person_name_share(above)
    assert detect("item", pd.Series(below)) is None
    assert detect("item", pd.Series(above)) is K.FULL_NAME


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),
        ("DE89370400440532013000", True),
        ("DE89370400440532013001", False),  # one digit off
        ("4111 1111 1111 1111", False),  # not an IBAN
    ],
)
def test_iban_mod_97(value: str, valid: bool) -> None:
    assert iban_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("4111 1111 1111 1111", True),
        ("5500-0000-0000-0004", True),
        ("4111 1111 1111 1112", False),
        ("0000000000000000", False),  # passes the sum, is no card
        ("12345", False),
    ],
)
def test_card_numbers_luhn(value: str, valid: bool) -> None:
    assert luhn_valid(value) is valid


def test_ibans_and_card_numbers_are_found_by_checksum_whatever_the_column_is_called() -> None:
    ibans = ["GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606",
             "NL91ABNA0417164300", "ES9121000418450200051332"]
    cards = ["4111111111111111", "5500000000000004", "340000000000009", "6011000000000004", "4012888888881881"]
    assert detect("account", pd.Series(ibans)) is K.IBAN
    assert detect("ref", pd.Series(cards)) is K.CARD_NUMBER
    # codes of 16 digits: about one in ten passes Luhn by chance, far from the 90 % needed
    codes = [f"{1000000000000000 + 7919 * i}" for i in range(50)]
    assert detect("ref", pd.Series(codes)) is None
    assert detect("iban", pd.Series(["not one", "nor this", "x", "y", "z"])) is None  # the name proposes, values refuse


def test_names_of_columns_still_decide_first() -> None:
    assert detect("ssn", pd.Series(["123-45-6789", "987-65-4321"])) is K.NATIONAL_ID
    assert detect("tax_id", pd.Series(["DE123456789"])) is K.NATIONAL_ID
    assert detect("card_number", pd.Series(["4111111111111111"])) is K.CARD_NUMBER
    assert detect("customer_id", pd.Series(["ALFKI", "ANATR"])) is None
    assert is_birth_date("date_of_birth") and is_birth_date("BirthDate".lower()) and not is_birth_date("hire_date")


def test_new_kinds_get_fake_values_of_their_kind() -> None:
    generator = IdentifyingGenerator({"iban": K.IBAN, "card": K.CARD_NUMBER, "ssn": K.NATIONAL_ID}, seed=3)
    frame = generator.generate(20)
    assert all(iban_valid(v) for v in frame["iban"])
    assert all(luhn_valid(v) for v in frame["card"])
    assert frame["ssn"].notna().all()
