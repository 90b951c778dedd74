"""The claim desk: quantitative claims of programme reports, in German or English, extracted
with their sentence and span and normalised to SI units or to a currency with its USD value.
"""

from gigawatt.claims.extract import Claim, detect_language, extract_claims, iter_claims, sentences
from gigawatt.claims.grammar import Grammar, load_grammar, parse_grammar

__all__ = [
    "Claim",
    "Grammar",
    "detect_language",
    "extract_claims",
    "iter_claims",
    "load_grammar",
    "parse_grammar",
    "sentences",
]
