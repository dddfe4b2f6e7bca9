"""Attribution: does a text credit where it came from?

A copy either tells its reader whose text it is (a wire agency's dateline or
sign-off, a byline, a "Source:" line, "This article originally appeared
in ...", the origin outlet's name) or presents the text as its own. This
module finds the credits a text gives; whether they name a story's origin is
decided by the caller, which knows the story.

What counts as credit, decided on purpose:

* Wire agencies (:data:`AGENCIES`) count only in the forms that credit them:
  a dateline ("(AP) --", "/Xinhua/", "(dpa)"), a sign-off ("-- Reuters"),
  a byline ("By ... Associated Press"), "Reporting by ...; Editing by ..."
  (Reuters' own convention), credit and source lines in several languages
  ("Source:", "Quelle:", "Fuente:", "via", "with AFP", "with inputs from
  PTI", "(c) AFP"), and citation ("Reuters reported", "told AFP",
  "according to Xinhua"). Citation is counted as credit: it tells the reader
  the agency is a source of the story. A bare mention is not ("PTI leader",
  "the AP Stylebook", "AFP officers" of the Australian police, "UPI
  payments"): agency acronyms are also ordinary words.
* An "originally appeared / first published / republished with permission"
  line credits whatever it names, known outlet or not.
* Known outlets (the caller passes the outlet names of a story, which are
  host names such as ``meridianpress.example``) count wherever they are
  named, by domain or by name: "Meridian Press" is matched by its letters
  against the host's first label, so citing the origin outlet is credit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["AGENCIES", "Credit", "find_credits", "credited_names", "outlet_key"]

# Canonical agency name -> the spellings that name it. Acronyms are matched
# case-sensitively (so "ap" or "Afp" in running text are not agencies);
# full names ignore case.
AGENCIES: dict[str, tuple[str, ...]] = {
    "AP": ("AP", "Associated Press"),
    "Reuters": ("Reuters", "REUTERS", "Thomson Reuters"),
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "Xinhua": ("Xinhua", "XINHUA", "新华社"),
    "TASS": ("TASS", "ТАСС"),
    "dpa": ("dpa", "DPA", "Deutsche Presse-Agentur"),
    "ANI": ("ANI", "Asian News International"),
    "PTI": ("PTI", "Press Trust of India"),
    "UPI": ("UPI", "United Press International"),
    "EFE": ("EFE", "Agencia EFE"),
    "ANSA": ("ANSA",),
    "Kyodo": ("Kyodo", "Kyodo News"),
    "Yonhap": ("Yonhap",),
    "Bernama": ("Bernama", "BERNAMA"),
    "IANS": ("IANS", "Indo-Asian News Service"),
    "AAP": ("AAP", "Australian Associated Press"),
    "Anadolu": ("Anadolu Agency", "Anadolu Ajansı", "AA"),
    "Europa Press": ("Europa Press",),
    "PA Media": ("PA Media", "Press Association"),
    "Canadian Press": ("Canadian Press",),
    "Bloomberg": ("Bloomberg",),
}


@dataclass(frozen=True)
class Credit:
    """One credit found in a text: whom it names, in what form, and where (half-open offsets)."""

    name: str
    kind: str  # "agency" | "outlet" | "named" (a credit line naming someone we do not know)
    form: str  # "dateline" | "signoff" | "byline" | "credit_line" | "citation" | "mention"
    start: int
    end: int

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "form": self.form, "start": self.start, "end": self.end}


def _alias_pattern(alias: str) -> str:
    escaped = re.escape(alias)
    if alias.isupper() or alias in ("dpa",) or not alias.isascii():
        return escaped  # an acronym: case-sensitive
    return f"(?i:{escaped})"


_AGENCY_NAME = "|".join(
    f"(?P<a{index}_{position}>{_alias_pattern(alias)})"
    for index, aliases in enumerate(AGENCIES.values())
    for position, alias in enumerate(sorted(aliases, key=len, reverse=True))
)
_CANONICAL = list(AGENCIES)
_AG = rf"(?<![\w-])(?:{_AGENCY_NAME})(?![\w-])"

# Each form is a pattern with the agency inside; the form's name is the group
# name of the whole pattern. Dashes: hyphen, en and em dash.
_DASH = "[-\u2013\u2014]"
_AGENCY_FORMS = [
    # "LONDON (Reuters) -", "PARIS, March 3 (AFP) --", "(dpa)" after a dateline
    ("dateline", rf"\(\s*{_AG}\s*\)"),
    # "BEIJING, March 3 /Xinhua/ --"
    ("dateline", rf"/\s*{_AG}\s*/"),
    # "-- Reuters" or "— AFP" ending a paragraph, or "(Reporting by ...)"
    ("signoff", rf"{_DASH}{{1,2}}\s*{_AG}\s*\.?\s*(?:$|\n)"),
    # "By JANE DOE, Associated Press" / "By Jane Doe Associated Press Writer" / "AP Business Writer"
    ("byline", rf"(?m:^\s*By\b[^\n]{{0,80}}?{_AG})"),
    ("byline", rf"{_AG}\s+(?:\w+\s+)?(?:[Ww]riter|[Cc]orrespondent|[Rr]eporter)s?\b"),
    # Credit and source lines, in several languages
    (
        "credit_line",
        rf"(?i:source|sources|quelle|fuente|fuentes|fonte|fonti|bron|kaynak|источник|credit|copyright|photo)"
        rf"\s*:\s*{_AG}",
    ),
    ("credit_line", rf"(?:©|\([cC]\)|[Cc]opyright)\s*(?:\d{{4}}\s+)?(?:[Tt]he\s+)?{_AG}"),
    (
        "credit_line",
        rf"(?i:\bwith(?:\s+inputs?)?\s+from|\bwith|\bavec|\bmit\s+(?:Material\s+von)?|\bcon(?:\s+información\s+de)?"
        rf"|\bvia|\bper|\bpor|\bda|\bpar)\s+(?:(?i:the)\s+)?{_AG}",
    ),
    ("credit_line", rf"{_AG}\s+(?:contributed|contribuyó|a contribué|hat beigetragen)"),
    # Citation: the agency named as the source of a statement or fact
    (
        "citation",
        rf"{_AG}\s+(?i:reported|reports|said|says|quoted|cited|learned|learnt|informa|informó|berichtet|berichtete"
        rf"|rapporte|a rapporté|riferisce|сообщает|сообщил)",
    ),
    (
        "citation",
        rf"(?i:told|according\s+to|selon|según|laut|secondo|a\s+report\s+by|reported\s+by|cited\s+by"
        rf"|in\s+an\s+interview\s+with)\s+(?:(?i:the)\s+)?{_AG}",
    ),
]
_AGENCY_RES = [(form, re.compile(pattern)) for form, pattern in _AGENCY_FORMS]

_JOINT_DATELINE = re.compile(r"\((?P<inner>[^()\n]{2,60})\)")

# Reuters signs its copy "Reporting by X; Editing by Y" without its own name.
_REUTERS_CREDIT = re.compile(
    r"\((?:Additional\s+)?[Rr]eporting\s+by\b[^)]{0,300}?;\s*(?:[Ww]riting|[Ee]diting)\s+by\b[^)]*\)"
    r"|\b[Rr]eporting\s+by\b[^\n]{0,300}?;\s*[Ee]diting\s+by\b"
)

# Lines that credit whatever they name: the name is the group "name".
_NAMED_CREDIT = re.compile(
    r"(?i:(?:this|the)\s+(?:article|story|report|piece|post)\s+(?:was\s+)?"
    r"(?:originally|first)\s+(?:appeared|published|ran|posted)(?:\s+(?:in|on|by|at))?"
    r"|(?:originally|first)\s+(?:appeared|published)\s+(?:in|on|by|at)"
    r"|republished\s+(?:with\s+permission\s+)?(?:from|by)"
    r"|reproduced\s+with\s+permission\s+(?:of|from)"
    r"|paru\s+(?:initialement\s+)?dans|publicado\s+originalmente\s+(?:en|por)|zuerst\s+erschienen\s+(?:in|bei|auf))"
    r"\s+(?P<name>(?:the\s+)?[\w&'’-]+(?:\.[\w-]+)*(?:\s+[A-Z0-9][\w&'’-]*(?:\.[\w-]+)*){0,4})"
)
_SOURCE_LINE = re.compile(
    r"(?m:^\s*(?i:source|sources|quelle|fuente|fonte|via)\s*:\s*(?P<name>[^\n,;]{2,60}?)\s*\.?\s*$)"
)

_WORDS = re.compile(r"[A-Za-z0-9][\w&'’.-]*")


def outlet_key(name: str) -> str:
    """The letters that name an outlet: 'www.meridianpress.example' and 'Meridian Press' give 'meridianpress'."""
    name = name.strip().lower()
    name = re.sub(r"^(?:https?://)?(?:www\.)?", "", name)
    if "." in name and " " not in name:
        name = name.split(".")[0]
    name = re.sub(r"^the\s+", "", name)
    return re.sub(r"[^0-9a-z\u00c0-\uffff]", "", name)


def _agency_of(match: re.Match) -> str:
    for group, value in match.groupdict().items():
        if value is not None and group.startswith("a"):
            return _CANONICAL[int(group[1:].split("_")[0])]
    raise AssertionError("an agency pattern matched without an agency")


def _outlet_mentions(text: str, outlets: Iterable[str]) -> list[Credit]:
    """Every place a known outlet is named: by its host name, or by words whose letters spell its key."""
    keys = {}
    for outlet in outlets:
        key = outlet_key(outlet)
        # Keys too short to be telling ("ap", "bbc" is fine) would match ordinary words.
        if len(key) >= 3:
            keys.setdefault(key, outlet)
    if not keys:
        return []
    found = []
    lowered = text.lower()
    for outlet in keys.values():
        host = outlet.lower().removeprefix("www.")
        for hit in re.finditer(rf"(?<![\w.]){re.escape(host)}(?![\w])", lowered):
            found.append(Credit(outlet, "outlet", "mention", hit.start(), hit.end()))
    words = list(_WORDS.finditer(text))
    longest = max(len(key) for key in keys)
    for position, word in enumerate(words):
        if not word.group()[0].isupper() and not word.group()[0].isdigit():
            continue
        letters = ""
        for offset, following in enumerate(words[position : position + 5]):
            if offset and text[words[position + offset - 1].end() : following.start()].strip():
                break  # only words separated by spaces make one name
            letters += re.sub(r"[^0-9a-z]", "", following.group().lower())
            if letters in keys:
                found.append(Credit(keys[letters], "outlet", "mention", word.start(), following.end()))
                break
            if len(letters) >= longest:
                break
    return found


def _known_outlet(name: str, known: dict[str, str]) -> str | None:
    """The known outlet a credit line names: 'Meridian Press Agency' names meridianpress.example."""
    key = outlet_key(name)
    if key in known:
        return known[key]
    for candidate in sorted(known, key=len, reverse=True):
        if len(candidate) >= 5 and key.startswith(candidate):
            return known[candidate]
    return None


def find_credits(text: str, *, outlets: Iterable[str] = ()) -> list[Credit]:
    """The credits ``text`` gives, in order of position. ``outlets``: outlet names to look for as well."""
    outlets = list(outlets)
    credits: list[Credit] = []
    for form, pattern in _AGENCY_RES:
        for hit in pattern.finditer(text):
            credits.append(Credit(_agency_of(hit), "agency", form, hit.start(), hit.end()))
    # "BERLIN (dpa/AFP)", "(AFP, Reuters)": several agencies in one pair of parentheses
    for hit in _JOINT_DATELINE.finditer(text):
        parts = [part.strip() for part in re.split(r"[/,;]|\band\b", hit.group("inner"))]
        agencies = [re.fullmatch(_AG, part) for part in parts]
        if len(parts) > 1 and all(agencies):
            credits.extend(Credit(_agency_of(a), "agency", "dateline", hit.start(), hit.end()) for a in agencies)
    for hit in _REUTERS_CREDIT.finditer(text):
        credits.append(Credit("Reuters", "agency", "signoff", hit.start(), hit.end()))
    known = {outlet_key(outlet): outlet for outlet in outlets}
    for pattern in (_NAMED_CREDIT, _SOURCE_LINE):
        for hit in pattern.finditer(text):
            name = hit.group("name").strip().rstrip(".,;:").strip()
            agency = re.fullmatch(_AG, name.removeprefix("the ").removeprefix("The "))
            if agency is not None:
                credits.append(Credit(_agency_of(agency), "agency", "credit_line", hit.start(), hit.end()))
            elif outlet := _known_outlet(name, known):
                credits.append(Credit(outlet, "outlet", "credit_line", hit.start(), hit.end()))
            elif name:
                credits.append(Credit(name, "named", "credit_line", hit.start(), hit.end()))
    credits.extend(_outlet_mentions(text, outlets))
    credits.sort(key=lambda credit: (credit.start, credit.end))
    return credits


def credited_names(text: str, *, outlets: Iterable[str] = ()) -> list[str]:
    """Whom ``text`` credits: agency names, outlet names and names on credit lines, first credited first."""
    return list(dict.fromkeys(credit.name for credit in find_credits(text, outlets=outlets)))
