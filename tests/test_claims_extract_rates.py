"""Rates named around an amount rather than by the claim pattern's own per-words: "im
Jahr" after an energy, volume or mass, a yearly label before it, a counted item that
divides it from before; and deadlines relative to the report's date."""

from __future__ import annotations

import pytest

from gigawatt.claims import extract_claims
from gigawatt.units import YEAR_S


def one(sentence: str, quantity: str) -> tuple[float, str, str | None, str]:
    """(value, unit, per, text) of the one claim of ``quantity`` in ``sentence``."""
    (c,) = [c for c in extract_claims(sentence, report_date="2025-06-01") if c.quantity == quantity]
    return c.value, c.unit, c.per, c.text


@pytest.mark.parametrize(
    ("sentence", "quantity", "per_year", "unit"),
    [
        ("Die Anlage braucht rund 10 TWh im Jahr.", "energy_rate", 3.6e16, "J/s"),
        ("Das Kühlsystem verbraucht 400.000 Kubikmeter im Jahr.", "volume_rate", 4.0e5, "m3/s"),
        ("Sie verbraucht 400.000 Kubikmeter Wasser im Jahr.", "volume_rate", 4.0e5, "m3/s"),
        ("Jährlicher Strombedarf: etwa 2,2 TWh.", "energy_rate", 2.2 * 3.6e15, "J/s"),
        ("Der Jahresverbrauch liegt bei 3 TWh.", "energy_rate", 3 * 3.6e15, "J/s"),
        ("Es entstehen 50.000 Tonnen CO2 pro Jahr.", "mass_rate", 5.0e7, "kg/s"),
        ("The campus uses 5 TWh a year.", "energy_rate", 5 * 3.6e15, "J/s"),
        ("Annual water use: 2 million cubic meters.", "volume_rate", 2.0e6, "m3/s"),
    ],
)
def test_a_years_amount_is_a_rate(sentence: str, quantity: str, per_year: float, unit: str) -> None:
    value, got_unit, _, _ = one(sentence, quantity)
    assert got_unit == unit and value * YEAR_S == pytest.approx(per_year)


@pytest.mark.parametrize(
    ("sentence", "quantity"),
    [
        ("Sie verbraucht 400.000 Kubikmeter im Jahr 2024.", "volume"),  # a date follows
        ("Samsung liefert 90 % des HBM-Angebots im Jahr 2024.", "share"),
        ("Die Anlage hat 2 GW im Jahr 2027.", "power"),  # a capacity is no yearly amount
        ("Bis zum Jahresende sollen 2 TWh gespeichert sein.", "energy"),
    ],
)
def test_in_the_year_before_a_year_or_after_a_capacity_is_no_rate(
    sentence: str, quantity: str
) -> None:
    assert one(sentence, quantity)


@pytest.mark.parametrize(
    ("sentence", "quantity", "value", "per"),
    [
        ("Pro Rack sind bis zu 600 kW möglich.", "power_per_item", 6.0e5, "rack"),
        ("Je Gebäude kommen 50.000 GPUs zum Einsatz.", "count_per_item", 5.0e4, "building"),
        ("Per rack, up to 600 kW are planned.", "power_per_item", 6.0e5, "rack"),
    ],
)
def test_an_item_before_the_amount_divides_it(
    sentence: str, quantity: str, value: float, per: str
) -> None:
    got, _, got_per, _ = one(sentence, quantity)
    assert got == value and got_per == per


@pytest.mark.parametrize(
    ("sentence", "report", "year"),
    [
        ("Bis Ende des Jahrzehnts sollen 3 GW laufen.", "2025-06-01", 2029),
        ("By the end of the decade, 3 GW will run.", "2025-06-01", 2029),
        ("By the end of the decade, 3 GW will run.", "2030-02-01", 2039),
        ("By the end of next year, 5 GW will run.", "2025-06-01", 2026),
        ("Bis Ende nächsten Jahres sollen 5 GW laufen.", "2025-12-30", 2026),
    ],
)
def test_relative_deadlines_are_calendar_years(sentence: str, report: str, year: int) -> None:
    (d,) = [c for c in extract_claims(sentence, report_date=report) if c.quantity == "date"]
    assert d.qualifier == "by" and d.value == year and d.date == str(year)


def test_a_relative_deadline_without_a_report_date_stays_a_horizon() -> None:
    (h,) = [c for c in extract_claims("By the end of the decade, 3 GW will run.") if c.unit == "s"]
    assert h.quantity == "horizon" and h.date is None


def test_the_end_of_a_named_year_is_that_year() -> None:
    found = extract_claims(
        "Bis Ende des Jahres 2027 sollen 10 GW stehen.", report_date="2025-06-01"
    )
    (d,) = [c for c in found if c.quantity == "date"]
    assert d.value == 2027 and d.qualifier == "by" and d.text == "Bis Ende des Jahres 2027"
