"""Every currency the claim grammar recognises converts to USD at a dated catalog rate."""

from __future__ import annotations

import pytest

from gigawatt.claims import extract_claims, load_grammar
from gigawatt.economics.pricebook import load_price_book


def test_every_currency_of_the_grammar_has_a_dated_rate() -> None:
    book = load_price_book()
    for code, _ in load_grammar().currencies:
        currency = book.currency(code)
        low, likely, high = currency.per_usd
        assert 0 < low <= likely <= high, code


@pytest.mark.parametrize(
    ("sentence", "code", "usd_low", "usd_high"),
    [
        ("Das Programm kostet 300 Milliarden Yen.", "JPY", 1.8e9, 2.2e9),
        ("TSMC spends NT$1.2 trillion on new fabs.", "TWD", 3.4e10, 4.2e10),
        ("The fund holds 10 billion yuan.", "CNY", 1.3e9, 1.5e9),
        ("The site costs £5bn.", "GBP", 6.0e9, 7.0e9),
        ("Sie zahlen 2 Mrd. Schweizer Franken.", "CHF", 2.2e9, 2.6e9),
    ],
)
def test_money_in_each_currency_has_a_usd_value(
    sentence: str, code: str, usd_low: float, usd_high: float
) -> None:
    (claim,) = extract_claims(sentence)
    assert claim.unit == code
    assert claim.value_usd is not None and usd_low < claim.value_usd < usd_high
