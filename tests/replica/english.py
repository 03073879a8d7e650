"""The replica's English-language article (one per world, on the first portal)."""

from __future__ import annotations

import random

from tests.replica.textgen import ArticleText, ascii_fold

_TITLES = (
    "{P} steps up investment in renewable energy",
    "{P} welcomes record number of foreign visitors",
    "Farmers in {P} adopt water-saving irrigation",
)
_SENTENCES = (
    "The provincial People's Committee approved {n} new projects with a total capital of {usd} million USD.",
    "Local authorities said the programme would create around {k} jobs for rural workers.",
    "Solar and wind farms now supply about {pct} percent of the electricity consumed in the province.",
    "Officials expect the number of international arrivals to grow by {pct} percent next year.",
    "More than {k} households have switched to drip irrigation, cutting water use by nearly half.",
    "The province plans to upgrade {n} kilometres of rural roads connecting remote communes.",
    "Investors have praised the province for simplifying administrative procedures.",
    "Tourism revenue reached {usd} million USD in the first months of the year.",
    "Experts recommend that farmers join cooperatives to secure stable prices for their produce.",
    "The provincial leader called on departments to remove obstacles for businesses quickly.",
)


def english_article(key: str, province_name: str) -> ArticleText:
    """Return the English article seeded by ``key`` about the province ``province_name``."""
    rng = random.Random(key + ":en")
    province = ascii_fold(province_name)

    def fill(template: str) -> str:
        return template.format(
            P=province,
            n=rng.randint(3, 40),
            k=rng.randint(200, 5000),
            usd=rng.randint(20, 900),
            pct=rng.randint(5, 45),
        )

    sentences = list(_SENTENCES)
    rng.shuffle(sentences)
    paragraphs = [" ".join(fill(s) for s in sentences[i : i + 2]) for i in range(0, len(sentences), 2)]
    return ArticleText(
        title=fill(rng.choice(_TITLES)),
        sapo=fill("{P} aims to become a regional hub for clean energy and tourism by 2030, officials said."),
        paragraphs=paragraphs,
        tags=["English", "investment"],
    )
