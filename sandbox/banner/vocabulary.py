"""Word lists the generator draws names, subjects and course titles from."""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Aaliyah Aiden Alejandro Alexis Amara Andre Anika Ariana Arjun Asher Ava Benjamin Bianca "
    "Brandon Caleb Camila Carlos Chen Chloe Daniel Darius Deja Diego Dmitri Elena Elijah Emma "
    "Ethan Fatima Gabriel Grace Hannah Hiroshi Imani Isaac Isabella Jamal Jasmine Javier Jordan "
    "Julia Kai Kayla Keisha Liam Lucas Luis Maya Mei Mohammed Nadia Noah Nora Olivia Omar Priya "
    "Quinn Rafael Riley Rosa Ryan Samuel Sofia Tariq Tessa Tyler Uma Valentina Wei Xavier Yara "
    "Yusuf Zara Zoe"
)

LAST_NAMES = _words(
    "Abbott Adeyemi Alvarez Anderson Baker Banerjee Bennett Brooks Campbell Castillo Chang Chen "
    "Clark Cohen Collins Cruz Davis Diaz Dubois Edwards Evans Fernandez Fischer Flores Foster "
    "Garcia Gonzalez Green Gupta Hall Harris Hernandez Hughes Ibrahim Jackson Jensen Johnson Kaur "
    "Kelly Kim Kowalski Lee Lewis Lopez Martin Martinez Mendoza Miller Mitchell Moore Morales "
    "Murphy Nakamura Nguyen Novak Okafor Olsen Ortiz Parker Patel Perez Phillips Ramirez Reyes "
    "Rivera Roberts Robinson Rodriguez Rossi Sanchez Santos Schmidt Scott Shah Singh Smith "
    "Sullivan Tanaka Taylor Thomas Thompson Torres Tran Turner Walker Wang Washington Williams "
    "Wilson Wright Yamamoto Young Zhang"
)

MIDDLE_INITIALS = "ABCDEFGHJKLMNPRSTW"

# subject code, subject words for titles, college, department
SUBJECTS = (
    ("ACCT", "Accounting", "BU", "ACCT"),
    ("ANTH", "Anthropology", "AS", "ANTH"),
    ("ARTS", "Studio Art", "AS", "ARTS"),
    ("BIOL", "Biology", "SC", "BIOL"),
    ("CHEM", "Chemistry", "SC", "CHEM"),
    ("CS", "Computing", "EN", "CS"),
    ("ECON", "Economics", "BU", "ECON"),
    ("EDUC", "Education", "ED", "EDUC"),
    ("ENGL", "English", "AS", "ENGL"),
    ("HIST", "History", "AS", "HIST"),
    ("MATH", "Mathematics", "SC", "MATH"),
    ("MUS", "Music", "AS", "MUS"),
    ("NURS", "Nursing", "HS", "NURS"),
    ("PHIL", "Philosophy", "AS", "PHIL"),
    ("PHYS", "Physics", "SC", "PHYS"),
    ("PSYC", "Psychology", "AS", "PSYC"),
    ("SOC", "Sociology", "AS", "SOC"),
    ("SPAN", "Spanish", "AS", "SPAN"),
)

TITLE_PATTERNS = (
    "Intro to {s}",
    "Principles of {s}",
    "{s} Methods",
    "Topics in {s}",
    "Applied {s}",
    "{s} Seminar",
    "Advanced {s}",
    "{s} Research",
    "History of {s}",
    "{s} and Society",
)

MAJORS = ("ACCT", "BIOL", "CHEM", "CS", "ECON", "EDUC", "ENGL", "HIST", "MATH", "NURS", "PSYC")

COMMENTS = (
    "Reviewed degree plan; on track for next term.",
    "Discussed withdrawing from one course; advised to talk to the instructor first.",
    "Student asked about changing major; referred to department.",
    "Reminded student to clear the registration hold before priority registration.",
    "Talked about tutoring resources for the math sequence.",
)
