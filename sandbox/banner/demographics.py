"""SPBPERS: preferred first names, the FERPA confidentiality flag and demographics of everyone.

Drawn from a random stream of its own (derived from the plan's seed), not the shared
:attr:`~sandbox.banner.world.World.rng`: adding this table to the sandbox must not move a single
row of the tables generated before it, so every earlier seed keeps its data.

About 2% of students are confidential (SPBPERS_CONFID_IND = 'Y'), roughly the share registrars
report; a few students go by a preferred first name, which staff search must find.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from random import Random

from sandbox.banner import vocabulary as words
from sandbox.banner.validation import stamp
from sandbox.banner.world import Person, Rows, World
from tools.banner.schema import spbpers

CONFIDENTIAL_SHARE = 0.02
PREFERRED_NAME_SHARE = 0.05
SEXES = (("F", 0.52), ("M", 0.45), ("N", 0.03))
CITIZENSHIP = (("Y", 0.88), ("R", 0.05), ("N", 0.07))
HISPANIC_SHARE = 0.2


def _stream(world: World) -> Random:
    return Random(f"spbpers:{world.plan.seed}")


def _weighted(rng: Random, choices: tuple[tuple[str, float], ...]) -> str:
    codes, weights = zip(*choices, strict=True)
    chosen: str = rng.choices(codes, weights)[0]
    return chosen


def _people(world: World) -> Iterator[tuple[Person, bool]]:
    for student in world.students:
        yield student.person, True
    for person in world.faculty:
        yield person, False


def demographics(world: World) -> Rows:
    """One SPBPERS row per student and instructor; confidentiality and preferred names."""
    rng = _stream(world)
    rows: Rows = []
    for person, is_student in _people(world):
        age_years = rng.randint(17, 40) if is_student else rng.randint(28, 68)
        born = world.start - timedelta(days=age_years * 365 + rng.randint(0, 364))
        preferred = rng.choice(words.FIRST_NAMES) if rng.random() < PREFERRED_NAME_SHARE else None
        rows.append(
            {
                "spbpers_pidm": person.pidm,
                "spbpers_pref_first_name": preferred,
                "spbpers_confid_ind": "Y"
                if is_student and rng.random() < CONFIDENTIAL_SHARE
                else "N",
                "spbpers_sex": _weighted(rng, SEXES),
                "spbpers_ethn_cde": "2" if rng.random() < HISPANIC_SHARE else "1",
                "spbpers_birth_date": date(born.year, born.month, born.day),
                "spbpers_citz_code": _weighted(rng, CITIZENSHIP),
                **stamp(spbpers, world.at),
            }
        )
    return rows
