"""The claim desk: quantitative claims of programme reports, in German or English, extracted
with their sentence and span and normalised to SI units or to a currency with its USD value;
dates and horizons are claims of their own and are attached to the claims of their sentence;
the report's own date (stated in it or given) turns horizons into calendar dates.
"""

from gigawatt.claims.extract import (
    NO_CURRENCY,
    Claim,
    detect_language,
    extract_claims,
    iter_claims,
    report_day,
    sentences,
)
from gigawatt.claims.grammar import Grammar, load_grammar, parse_grammar, parse_number
from gigawatt.claims.read import html_text, read_report
from gigawatt.claims.when import calendar_date, find_report_date, time_claims

__all__ = [
    "NO_CURRENCY",
    "Claim",
    "Grammar",
    "calendar_date",
    "detect_language",
    "extract_claims",
    "find_report_date",
    "html_text",
    "iter_claims",
    "load_grammar",
    "parse_grammar",
    "parse_number",
    "read_report",
    "report_day",
    "sentences",
    "time_claims",
]
