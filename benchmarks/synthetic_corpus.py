"""Synthetic news-like articles for the scale benchmark, generated at run time.

The shared corpora hold about 23,000 articles; the scale benchmark needs up to
a million. The rest are generated here from the *word statistics* of the
shared corpora, never from their sentences: a vocabulary with each word's
frequency (so the vocabulary is Zipfian, as real text is) and the empirical
distribution of article lengths. Words are drawn independently (a unigram
model), grouped into sentences of 8-31 words and paragraphs of 1-4
sentences. Nothing generated here is stored in the repository, and every
article depends only on the seed and its number.

Independent draws make 5-word runs shared by chance rare but not absent: the
most frequent words ("the", "of", "to"...) do repeat in short runs across
hundreds of thousands of articles, which gives the index the long posting
lists that stock phrases give it in real news.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from corpus import Article

__all__ = ["WordModel", "word_model", "synthetic_articles"]

_TOKEN_RE = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d+")


@dataclass(frozen=True)
class WordModel:
    vocabulary: np.ndarray  # object array of str
    probabilities: np.ndarray  # float64, sums to 1
    lengths: np.ndarray  # word counts of real articles, to draw lengths from


def word_model(corpus: list[Article], vocabulary_size: int = 60_000) -> WordModel:
    """Word frequencies and article lengths of ``corpus``: its statistics, not its text."""
    counts: Counter = Counter()
    lengths = []
    for article in corpus:
        tokens = _TOKEN_RE.findall(article.text)
        counts.update(token.lower() for token in tokens)
        if len(tokens) >= 50:
            lengths.append(len(tokens))
    common = counts.most_common(vocabulary_size)
    vocabulary = np.array([word for word, _ in common], dtype=object)
    weights = np.array([count for _, count in common], dtype=np.float64)
    return WordModel(vocabulary, weights / weights.sum(), np.array(lengths, dtype=np.int64))


def _text(words: np.ndarray, rng: np.random.Generator) -> str:
    """Words -> sentences (capitalised, full stop) -> paragraphs separated by blank lines."""
    paragraphs, sentences = [], []
    position, total = 0, len(words)
    in_paragraph = int(rng.integers(1, 5))
    while position < total:
        size = int(rng.integers(8, 32))
        chunk = words[position : position + size]
        position += size
        sentence = " ".join(chunk)
        sentences.append(sentence[:1].upper() + sentence[1:] + ".")
        if len(sentences) >= in_paragraph:
            paragraphs.append(" ".join(sentences))
            sentences = []
            in_paragraph = int(rng.integers(1, 5))
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def synthetic_articles(
    model: WordModel, count: int, seed: int, *, outlets: int = 2_000, words: int | None = None, prefix: str = "syn"
) -> Iterator[Article]:
    """``count`` articles, deterministic from ``seed``; ``words`` fixes every length (else drawn)."""
    rng = np.random.default_rng(seed)
    made = 0
    while made < count:
        batch = min(2_000, count - made)
        sizes = np.full(batch, words) if words else rng.choice(model.lengths, size=batch)
        drawn = model.vocabulary[rng.choice(len(model.vocabulary), size=int(sizes.sum()), p=model.probabilities)]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        outlet_numbers = rng.integers(0, outlets, size=batch)
        days = rng.integers(0, 730, size=batch)
        for index in range(batch):
            number = made + index
            text = _text(drawn[offsets[index] : offsets[index + 1]], rng)
            outlet = f"{prefix}-outlet-{outlet_numbers[index]}.example"
            day = np.datetime64("2015-01-01") + int(days[index])
            yield Article(
                id=f"{prefix}-{number}",
                source="synthetic",
                outlet=outlet,
                url=f"https://{outlet}/{day}/{prefix}-{number}",
                title=text.split("\n", 1)[0][:60],
                published_at=f"{day}T12:00:00Z",
                text=text,
            )
        made += batch
