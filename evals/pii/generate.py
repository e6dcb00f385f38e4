"""Write the labelled PII corpus from templates, name/ID pools and hand-written items.

Deterministic (seeded) so the checked-in ``corpus.jsonl`` and ``directory.jsonl`` can be
re-created byte for byte: ``python -m evals.pii.generate``. Templates fill ``{slot}``s and
record the span of every personal value they insert; hand-written items mark values inline as
``[[TYPE:text]]`` (``PERSON`` is someone in the directory, ``OTHER`` a person who is not).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from evals.pii.corpus import CORPUS_PATH, DIRECTORY_PATH, GoldSpan, LabelledText
from evals.pii.handwritten import HANDWRITTEN, PEOPLE
from evals.pii.templates import TEMPLATES
from policies.pii import DirectoryName, PiiType

SEED = 20260415
FILLS_PER_TEMPLATE = 6

FIRST = [
    "Maria",
    "Jose",
    "Aiden",
    "Sofia",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Mateo",
    "Ava",
    "Ethan",
    "Isabella",
    "Lucas",
    "Mia",
    "Amara",
    "Jamal",
    "Priya",
    "Arjun",
    "Mei",
    "Hiroshi",
    "Fatima",
    "Omar",
    "Chloe",
    "Tyrone",
    "Keisha",
    "Dmitri",
    "Anya",
    "Siobhan",
    "Ngozi",
    "Chidi",
    "Thanh",
    "Huong",
    "Kwame",
    "Esperanza",
    "Guadalupe",
    "Xiomara",
    "Bjorn",
    "Ingrid",
    "Rafael",
    "Luz",
    "Tomasz",
    "Zofia",
    "Will",
    "Grant",
    "Hope",
    "Faith",
    "Rose",
    "Mark",
    "Bill",
    "June",
    "Summer",
    "Hunter",
    "Chase",
    "Joy",
    "Dawn",
    "Amber",
    "Penny",
]
LAST = [
    "Garcia",
    "Nguyen",
    "Smith",
    "Johnson",
    "Patel",
    "Kim",
    "Hernandez",
    "Okafor",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Oyelaran",
    "Castillo",
    "Lindqvist",
    "Abernathy",
    "McAllister",
    "O'Brien",
    "Garcia-Lopez",
    "Begay",
    "Yazzie",
    "Runningwater",
    "Delacroix",
    "Fitzgerald",
    "Schwartz",
    "Nakamura",
    "Adeyemi",
    "Moreau",
    "Petrov",
    "Vasquez",
    "Young",
    "King",
    "Brown",
    "White",
    "Long",
    "Rice",
    "Price",
    "Hill",
    "Woods",
    "Banks",
    "Little",
    "Stone",
]
OTHER_NAMES = (
    "Eleanor Whitfield",
    "Marcus Delgado",
    "Rebecca Thornton",
    "Samuel Okonkwo",
    "Patricia Lindgren",
    "Gregory Ashworth",
    "Helen Marchetti",
    "Victor Alvarado",
)
COURSES = ("BIO 211", "MATH 243", "WR 121", "CHEM 221", "PSY 201", "HIST 104", "CS 161")
AREA = ("541", "503", "971", "458", "208", "360", "206", "212", "415", "312")

Segment = str | tuple[PiiType, str, bool]
Slot = Callable[["Fill"], list[Segment]]


class Fill:
    """The random choices for one rendering of a template (two directory people, one not)."""

    def __init__(self, rng: random.Random, people: list[DirectoryName]) -> None:
        self.rng = rng
        self.p1, self.p2 = rng.sample(people, 2)
        self.other = rng.choice(OTHER_NAMES)

    def person(self, text: str) -> list[Segment]:
        """A directory person's name as written."""
        return [(PiiType.PERSON, text, True)]

    def email(self) -> str:
        """An e-mail address of person 1 in one of several shapes."""
        first, last = (self.p1.first or "x").lower(), self.p1.last.lower().replace("'", "")
        return self.rng.choice(
            (
                f"{first}.{last}@eou.edu",
                f"{first[0]}{last}@students.eou.edu",
                f"{first}{self.rng.randint(1, 99)}@gmail.com",
                f"{first.capitalize()}.{last.capitalize()}@EOU.EDU",
                f"{first}+canvas@outlook.com",
                f"{last}_{first[0]}@yahoo.com",
            )
        )

    def phone(self) -> str:
        """A phone number in one of the spellings people use."""
        a, b, c = self.rng.choice(AREA), self.rng.randint(200, 999), self.rng.randint(0, 9999)
        return self.rng.choice(
            (
                f"({a}) {b}-{c:04}", f"{a}-{b}-{c:04}", f"{a}.{b}.{c:04}", f"{a} {b} {c:04}",
                f"{a}{b}{c:04}", f"+1 {a} {b} {c:04}", f"+1-{a}-{b}-{c:04}", f"1-{a}-{b}-{c:04}",
                f"{a}-{b}-{c:04} ext. {self.rng.randint(1, 999)}", f"({a}){b}-{c:04}",
                f"+44 20 7946 {c:04}",
            )
        )  # fmt: skip

    def ssn(self, dashed: bool) -> str:
        """A valid-looking SSN, dashed or bare/spaced."""
        area = self.rng.choice([n for n in range(1, 900) if n != 666])
        group, serial = self.rng.randint(1, 99), self.rng.randint(1, 9999)
        sep = "-" if dashed else self.rng.choice(("", " "))
        return f"{area:03}{sep}{group:02}{sep}{serial:04}"

    def banner_id(self) -> str:
        """An ``A``/``@`` Banner ID."""
        return f"{self.rng.choice('A@')}00{self.rng.randint(0, 999999):06}"

    def dob(self) -> str:
        """A date of birth in one of several spellings."""
        y, m, d = self.rng.randint(1970, 2007), self.rng.randint(1, 12), self.rng.randint(1, 28)
        months = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]
        return self.rng.choice(
            (f"{m:02}/{d:02}/{y}", f"{y}-{m:02}-{d:02}", f"{months[m - 1]} {d}, {y}",
             f"{d} {months[m - 1]} {y}", f"{m}/{d}/{y % 100:02}")
        )  # fmt: skip

    def address(self) -> str:
        """A street address or PO box."""
        n = self.rng.randint(1, 9999)
        street = self.rng.choice(("Elm", "Oak Ridge", "Main", "Washington", "Cove", "Adams"))
        kind = self.rng.choice(("Street", "St", "Ave", "Avenue", "Rd", "Drive", "Ln", "Way"))
        tail = self.rng.choice(("", ", Apt 4B", " #12", ", La Grande, OR 97850", ", Unit 3"))
        return self.rng.choice((f"{n} {street} {kind}{tail}", f"PO Box {n}"))


def _pii(kind: PiiType, make: Callable[[Fill], str]) -> Slot:
    return lambda f: [(kind, make(f), False)]


SLOTS: dict[str, Slot] = {
    "full": lambda f: f.person(f"{f.p1.first} {f.p1.last}"),
    "first": lambda f: f.person(f.p1.first or ""),
    "last": lambda f: f.person(f.p1.last),
    "firstlc": lambda f: f.person((f.p1.first or "").lower()),
    "fulllc": lambda f: f.person(f"{f.p1.first} {f.p1.last}".lower()),
    "lastfirst": lambda f: f.person(f"{f.p1.last}, {f.p1.first}"),
    "poss": lambda f: [*f.person(f.p1.first or ""), f.rng.choice(("'s", "’s"))],
    "full2": lambda f: f.person(f"{f.p2.first} {f.p2.last}"),
    "first2": lambda f: f.person(f.p2.first or ""),
    "other": lambda f: [(PiiType.PERSON, f.other, False)],
    "email": _pii(PiiType.EMAIL, Fill.email),
    "email_angle": lambda f: ["<", (PiiType.EMAIL, f.email(), False), ">"],
    "phone": _pii(PiiType.PHONE, Fill.phone),
    "ssn": _pii(PiiType.SSN, lambda f: f.ssn(dashed=True)),
    "ssnbare": _pii(PiiType.SSN, lambda f: f.ssn(dashed=False)),
    "bid": _pii(PiiType.BANNER_ID, Fill.banner_id),
    "bidlc": _pii(PiiType.BANNER_ID, lambda f: f.banner_id().lower()),
    "pidm": _pii(PiiType.PIDM, lambda f: str(f.rng.randint(1000, 999999))),
    "dob": _pii(PiiType.DATE_OF_BIRTH, Fill.dob),
    "address": _pii(PiiType.ADDRESS, Fill.address),
    "course": lambda f: [f.rng.choice(COURSES)],
    "crn": lambda f: [str(f.rng.randint(10000, 99999))],
    "term": lambda f: [f.rng.choice(("202610", "202620", "202630"))],
    "due": lambda f: [f"{f.rng.randint(1, 12)}/{f.rng.randint(1, 28)}/2026"],
    "gpa": lambda f: [f"{f.rng.uniform(1.5, 4.0):.2f}"],
    "amount": lambda f: [f"${f.rng.randint(25, 2500)}.00"],
}
_SLOT = re.compile(r"\{(\w+)\}")
_MARK = re.compile(r"\[\[(\w+):(.+?)\]\]")


def render(id_: str, kind: str, segments: list[Segment]) -> LabelledText:
    """Join segments into a text, recording a gold span for every labelled one."""
    text, spans = "", []
    for segment in segments:
        if isinstance(segment, str):
            text += segment
            continue
        entity, value, in_directory = segment
        spans.append(GoldSpan(type=entity, start=len(text), end=len(text) + len(value),
                              in_directory=in_directory))  # fmt: skip
        text += value
    return LabelledText(id=id_, kind=kind, text=text, entities=spans)


def fill_template(template: str, fill: Fill) -> list[Segment]:
    """The segments of one template rendered with ``fill``."""
    segments: list[Segment] = []
    pos = 0
    for m in _SLOT.finditer(template):
        segments.extend(parse_marked(template[pos : m.start()]))
        segments.extend(SLOTS[m.group(1)](fill))
        pos = m.end()
    segments.extend(parse_marked(template[pos:]))
    return segments


def parse_marked(text: str) -> list[Segment]:
    """Segments of a hand-written item with ``[[TYPE:text]]`` marks."""
    segments: list[Segment] = []
    pos = 0
    for m in _MARK.finditer(text):
        segments.append(text[pos : m.start()])
        label, value = m.groups()
        if label == "OTHER":
            segments.append((PiiType.PERSON, value, False))
        else:
            segments.append((PiiType(label), value, label == "PERSON"))
        pos = m.end()
    segments.append(text[pos:])
    return segments


def directory_people(rng: random.Random) -> list[DirectoryName]:
    """The eval's SPRIDEN: every pool first name with a surname, plus the hand-written people."""
    lasts = list(LAST)
    rng.shuffle(lasts)
    people = [DirectoryName(first=f, last=lasts[i % len(lasts)]) for i, f in enumerate(FIRST)]
    people += [DirectoryName(first=rng.choice(FIRST), last=last) for last in LAST]

    people += [DirectoryName(first=f, last=last) for f, last in PEOPLE]
    return people


def build() -> tuple[list[DirectoryName], list[LabelledText]]:
    """The directory and the corpus, from the seed."""
    rng = random.Random(SEED)
    people = directory_people(rng)
    items = []
    for t, (kind, template) in enumerate(TEMPLATES):
        for n in range(FILLS_PER_TEMPLATE):
            segments = fill_template(template, Fill(rng, people))
            items.append(render(f"t{t:03}-{n}", kind, segments))
    for h, (kind, text) in enumerate(HANDWRITTEN):
        items.append(render(f"h{h:03}", kind, parse_marked(text)))
    return people, items


def main() -> None:
    """Write ``directory.jsonl`` and ``corpus.jsonl`` next to this module."""
    people, items = build()
    DIRECTORY_PATH.write_text("".join(p.model_dump_json() + "\n" for p in people))
    CORPUS_PATH.write_text("".join(i.model_dump_json() + "\n" for i in items))
    print(f"{len(items)} texts, {len(people)} directory people -> {CORPUS_PATH}")


if __name__ == "__main__":
    main()
