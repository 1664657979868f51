"""Canonical problems: a curated table of the problems complaints raise ("Jalan rusak", "Bantuan PKH belum cair"),
each with the words that signal it, and a matcher that says which of them a complaint text raises.

The table is `models/data/problems.json`, written to be read and extended by the regency (its "about" says how).
A problem matches a text when every one of its groups of alternatives is said within WINDOW words of the others,
in any order ("jalan di depan sekolah sudah lama rusak" and "rusaknya jalan" both say "Jalan rusak"). An
alternative is one word or several said in that order with at most MAX_GAP words between them ("belum juga
cair"); "*" at its end or start allows any ending or beginning ("antri*": antri, antrian, ngantri needs "*antri*").
A problem's name may say which thing ("{thing} belum jadi": "e-KTP belum jadi", "KK belum jadi") and where ("di
RSUD") when the text says one of the listed things or facilities near the problem. Names are curated, never taken
from the text: a label from this table cannot carry a name or a single reporter's words.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources

WINDOW = 10
"""The groups of a problem must all be said within this many words (a sentence or two)."""
MAX_GAP = 2
"""Words an alternative of several words may have between its words ("belum juga cair", "tidak ada air")."""
THING = "{thing}"


@dataclass(frozen=True)
class Word:
    """One word of an alternative: the whole word, or its start or end ("antri*", "*lubang")."""

    text: str
    how: str = "whole"
    """"whole", "start" (the word starts with text) or "end"."""

    @classmethod
    def of(cls, written: str) -> "Word":
        if written.endswith("*"):
            return cls(written[:-1], "start")
        if written.startswith("*"):
            return cls(written[1:], "end")
        return cls(written)

    def fits(self, token: str) -> bool:
        if self.how == "start":
            return token.startswith(self.text)
        if self.how == "end":
            return token.endswith(self.text)
        return token == self.text


@dataclass(frozen=True)
class Problem:
    """One canonical problem: its name and the groups of alternatives that must all be said near each other."""

    name: str
    groups: tuple[tuple[tuple[Word, ...], ...], ...]
    things: tuple[tuple[tuple[Word, ...], str], ...] = ()
    """Alternatives naming the thing, each with how the name writes it ({thing} in `name`)."""
    otherwise: str = ""
    """The name when no thing is said (the thing is then optional)."""
    places: tuple[tuple[tuple[Word, ...], str], ...] = ()
    """Facilities where it happens: "di <place>" joins the name when said near the problem."""
    generic: str = ""
    """The name for an issue whose complaints name different things (most name none of them alone)."""
    anywhere: bool = False
    """The thing may be said anywhere in the text ("bantuan beras ... tidak tepat sasaran" far apart in one report)."""
    family: str = ""
    """The name of the problem this one is a kind of ("Air PDAM keruh" of "Air PDAM tidak mengalir"): one issue
    holds both, named by the one most of its complaints say."""
    broad: bool = False
    """A catch-all of its kind ("Pencemaran limbah", "{thing} belum dibayar"): it loses a tie with a problem said by as
    many complaints, though titles say it more ("Limbah minyak" titles a report of oil from the old wells)."""
    grievance: bool = False
    """The point of its family when said: what people ask of the event, its cause, or the part that broke ("Banjir,
    bantuan belum sampai ke warga" of "Banjir", sand mining of the landslides it brings, "Pintu air tanggul rusak"):
    callers open on the event and come to it, so it names the issue when half its complaints say it, first or not."""

    @property
    def key(self) -> str:
        """What counts as one problem: its family, else its name (several entries of one name are one problem)."""
        return self.family or self.name


@dataclass(frozen=True)
class Match:
    """A problem said in a text, with the thing and the facility said with it ("" when none)."""

    problem: int
    """Index in the vocabulary (earlier problems are more specific: they win ties)."""
    thing: str = ""
    place: str = ""
    start: int = 0
    """Index of the first word of the match (problems said first, in the opening, tell the report's point)."""


Slot = tuple[int, str, int]
"""Where an alternative belongs: (problem index, "group" | "thing" | "place", index of the group or of the named
alternative)."""


@dataclass(frozen=True)
class Vocabulary:
    """The canonical problems, and the joined words that are one thing ("lampu merah" is no "lampu")."""

    problems: tuple[Problem, ...]
    joined: frozenset[tuple[str, ...]]
    starting: dict[tuple[str, str], list[tuple[Slot, tuple[Word, ...]]]]
    """Every alternative under its first word (how, text), so that a text is read once, not once per problem."""
    lengths: dict[str, frozenset[int]]
    """Per "start" and "end": the lengths of the first words written that way (the only slices worth looking up)."""
    following: dict[tuple[str, str], Following]
    """`starting` split by the second word, so that a text is read trying only the alternatives its next words allow
    (hundreds of them start with "tidak" or "belum")."""
    families: frozenset[str]
    """The names problems give as their family (see `Problem.family`)."""

    @classmethod
    def from_json(cls, data: dict) -> "Vocabulary":
        joined = frozenset(tuple(words.split()) for words in data.get("joined", []))

        def alternative(written: str) -> tuple[Word, ...]:
            return tuple(Word.of(w) for w in _join(written.lower().split(), joined))

        def named(table: dict[str, str]) -> tuple[tuple[tuple[Word, ...], str], ...]:
            return tuple((alternative(said), name) for said, name in table.items())

        problems = tuple(
            Problem(entry["name"], tuple(tuple(alternative(a) for a in group) for group in entry["all"]),
                    named(entry.get("thing", {})), entry.get("otherwise", ""), named(entry.get("at", {})),
                    entry.get("generic", ""), entry.get("anywhere", False), entry.get("family", ""),
                    entry.get("broad", False), entry.get("grievance", False))
            for entry in data["problems"]
        )  # fmt: skip
        starting: dict[tuple[str, str], list[tuple[Slot, tuple[Word, ...]]]] = {}
        for k, problem in enumerate(problems):
            slots = [((k, "group", g), a) for g, group in enumerate(problem.groups) for a in group]
            slots += [((k, "thing", j), a) for j, (a, _) in enumerate(problem.things)]
            slots += [((k, "place", j), a) for j, (a, _) in enumerate(problem.places)]
            for slot, words in slots:
                starting.setdefault((words[0].how, words[0].text), []).append((slot, words))
        lengths = {how: frozenset(len(text) for h, text in starting if h == how) for how in ("start", "end")}
        following = {head: Following.of(found) for head, found in starting.items()}
        return cls(problems, joined, starting, lengths, following, frozenset(p.family for p in problems if p.family))

    def words(self, tokens: Sequence[str]) -> list[str]:
        """Lower-case words of a text as the vocabulary reads them: joined pairs as one ("lampu_merah")."""
        return _join([t for t in tokens if t[:1].isalpha()], self.joined)

    def match(self, words: Sequence[str]) -> list[Match]:
        """The problems these words (from `words`) say, in the vocabulary's order."""
        said = self._said(words)
        found = []
        for k in sorted({k for k, role, _ in said if role == "group"}):
            problem = self.problems[k]
            spans = [said.get((k, "group", g)) for g in range(len(problem.groups))]
            if not all(spans):
                continue
            near = _near(spans)  # type: ignore[arg-type]
            if near is None:
                continue
            reach = len(words) if problem.anywhere else 2 * WINDOW
            thing = _said_near(said, k, "thing", problem.things, near, reach)
            if THING in problem.name and not thing and not problem.otherwise:
                continue
            found.append(Match(k, thing, _said_near(said, k, "place", problem.places, near), near[0]))
        return found

    def _said(self, words: Sequence[str]) -> dict[Slot, list[tuple[int, int]]]:
        """Per slot, (first, last) word index of every place one of its alternatives is said."""
        said: dict[Slot, list[tuple[int, int]]] = {}
        for i, token in enumerate(words):
            heads = [("whole", token)]
            heads += [("start", token[:n]) for n in self.lengths["start"] if n <= len(token)]
            heads += [("end", token[-n:]) for n in self.lengths["end"] if n <= len(token)]
            nexts: set[str] | None = None
            for head in heads:
                following = self.following.get(head)
                if following is None:
                    continue
                if nexts is None:
                    nexts = _reachable(words, i)
                for slot, alternative in following.tried(nexts):
                    end = _rest(words, i, alternative[1:])
                    if end is not None:
                        said.setdefault(slot, []).append((i, end))
        return said

    def names_a_problem(self, label: str) -> bool:
        """Whether a label's problem half is a name of this table ("Jalan rusak", "Antrean lama di RSUD")."""
        return label.lower() in self.all_names

    @cached_property
    def all_names(self) -> frozenset[str]:
        """Every name the table gives, with each of its things and places, in lower case."""
        return frozenset(self._keys_by_name)

    @cached_property
    def broad(self) -> frozenset[str]:
        """The problems (`Problem.key`) that are catch-alls (`Problem.broad`)."""
        return frozenset(p.key for p in self.problems if p.broad)

    def table_key(self, match: Match, name: str = "") -> str:
        """What a problem said is as issues are made one (`issue_labels.table_key`): its family when it has one
        ("Banjir, bantuan belum sampai ke warga" is of "Banjir"), else its name with its thing and place (`name`
        when given: a generic name)."""
        key = self.problems[match.problem].key
        return key if key in self.families else name or self.name(match)

    def key_of_name(self, label: str) -> str:
        """`table_key` of a label's problem half; "" when the table does not give that name."""
        return self._keys_by_name.get(label.lower(), "")

    @cached_property
    def _keys_by_name(self) -> dict[str, str]:
        keys: dict[str, str] = {}
        for k, problem in enumerate(self.problems):
            places = ["", *(name for _, name in problem.places)]
            matches = [Match(k, thing, place) for thing in ["", *(name for _, name in problem.things)] for place in places]
            generic = [f"{problem.generic} di {place}" if place else problem.generic for place in places] if problem.generic else []
            for match in matches:
                keys.setdefault(self.name(match).lower(), self.table_key(match))
            for name in generic:
                keys.setdefault(name.lower(), self.table_key(Match(k), name))
        return keys

    def name(self, match: Match) -> str:
        """The problem's name, with its thing and place: "e-KTP belum jadi", "Antrean lama di RSUD"."""
        problem = self.problems[match.problem]
        name = problem.name.replace(THING, match.thing) if match.thing or not problem.otherwise else problem.otherwise
        return f"{name} di {match.place}" if match.place else name


@dataclass(frozen=True)
class Following:
    """The alternatives that start with one word, by what must come next: nothing, a whole word, or a word's start or
    end (tried whenever the first word is said)."""

    alone: tuple[tuple[int, Slot, tuple[Word, ...]], ...]
    by_next: dict[str, tuple[tuple[int, Slot, tuple[Word, ...]], ...]]
    open: tuple[tuple[int, Slot, tuple[Word, ...]], ...]

    @classmethod
    def of(cls, found: Sequence[tuple[Slot, tuple[Word, ...]]]) -> "Following":
        alone, by_next, open_ = [], {}, []
        for n, (slot, words) in enumerate(found):
            if len(words) == 1:
                alone.append((n, slot, words))
            elif words[1].how == "whole":
                by_next.setdefault(words[1].text, []).append((n, slot, words))
            else:
                open_.append((n, slot, words))
        return cls(tuple(alone), {k: tuple(v) for k, v in by_next.items()}, tuple(open_))

    def tried(self, nexts: set[str]) -> list[tuple[Slot, tuple[Word, ...]]]:
        """The alternatives that may be said here, given the words that may come next, in the table's order."""
        found = [*self.alone, *self.open, *(item for word in nexts for item in self.by_next.get(word, ()))]
        if len(found) > 1:
            found.sort(key=lambda item: item[0])
        return [(slot, words) for _, slot, words in found]


def _reachable(words: Sequence[str], at: int) -> set[str]:
    """The words an alternative's second word may be after words[at]: the next one, and past it while it is a gap
    word (`_rest` reads them the same way)."""
    found = set()
    for j in range(at + 1, min(at + 2 + MAX_GAP, len(words))):
        found.add(words[j])
        if words[j] not in GAP_WORDS:
            break
    return found


def _join(words: Sequence[str], joined: frozenset[tuple[str, ...]]) -> list[str]:
    """Words with every joined pair written as one word ("lampu merah" -> "lampu_merah")."""
    out: list[str] = []
    for word in words:
        if out and (out[-1], word) in joined:
            out[-1] = f"{out[-1]}_{word}"
        else:
            out.append(word)
    return out


GAP_WORDS = frozenset(
    "juga pernah sama sekali lagi sudah masih di yang ada pun kunjung bisa dapat sangat terlalu begitu kok koq".split()
)
"""Only these may stand between the words of an alternative ("belum juga cair"; "belum cair sampai" is no "belum
sampai")."""


def _rest(words: Sequence[str], at: int, rest: Sequence[Word]) -> int | None:
    """Where the rest of an alternative ends when said after words[at] (MAX_GAP of GAP_WORDS between at most)."""
    for word in rest:
        end = min(at + 2 + MAX_GAP, len(words))
        j = at + 1
        while j < end and not word.fits(words[j]) and words[j] in GAP_WORDS:
            j += 1
        if j >= end or not word.fits(words[j]):
            return None
        at = j
    return at


def _near(spans: list[list[tuple[int, int]]]) -> tuple[int, int] | None:
    """A (first, last) word index covering one span of every group within WINDOW words, or None."""
    for first, last in spans[0]:
        lo, hi = first, last
        for group in spans[1:]:
            best = min(group, key=lambda s: max(hi, s[1]) - min(lo, s[0]))
            lo, hi = min(lo, best[0]), max(hi, best[1])
        if hi - lo <= WINDOW:
            return lo, hi
    return None


def _said_near(said: dict[Slot, list[tuple[int, int]]], k: int, role: str,
               named: Sequence[tuple[tuple[Word, ...], str]], near: tuple[int, int], reach: int = 2 * WINDOW) -> str:
    """The name of the alternative said nearest to `near` (`reach` words at most; ties: the first listed), or ""."""
    best, best_distance = "", reach + 1
    for j, (_, name) in enumerate(named):
        for first, last in said.get((k, role, j), ()):
            distance = max(near[0] - last, first - near[1], 0)
            if distance < best_distance:
                best, best_distance = name, distance
    return best


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The regency's canonical problems (models/data/problems.json), read once."""
    text = resources.files("models.data").joinpath("problems.json").read_text(encoding="utf-8")
    return Vocabulary.from_json(json.loads(text))
