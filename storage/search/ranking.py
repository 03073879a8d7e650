"""How search scores a match on either database: the weights of title, sapo and body, and the bonuses."""

from __future__ import annotations

from storage.search.query import Query, Term

# Relative weight of a match in the title, the sapo and the body: set by hand, checked by the relevance
# test on the replica (tests/unit/storage/test_search_relevance.py), where a title phrase must beat articles
# that repeat the same words all over their body.
TITLE_WEIGHT, SAPO_WEIGHT, BODY_WEIGHT = 10.0, 4.0, 1.0
# Bonuses, in shares of the best relevance (bm25 / ts_rank_cd) among the ranked matches: for spelling
# every accented word as typed, for the query's words as a phrase, and near each other (SQLite; on
# PostgreSQL ts_rank_cd's cover density rewards nearness itself). An article matching "nồng độ cồn"
# exactly outranks every one matching only "nông đỗ còn" (2 is more than the phrase and proximity
# bonuses and any relevance can add); an adjacent occurrence beats scattered ones.
EXACT_BONUS, PHRASE_BONUS, NEAR_BONUS = 2.0, 0.5, 0.25
# Words apart that still count as "near" for the proximity bonus (about one sentence).
NEAR_DISTANCE = 10


def exact_groups(query: Query) -> list[tuple[Term, ...]]:
    """Return the groups whose every term was typed with diacritics: the articles spelling all of them
    exactly are the exact-diacritic matches (a group with an unaccented term accepts any spelling)."""
    return [group for group in query.groups if all(term.accented for term in group)]
