"""The sandbox institution's offices: who to see, where, and which hold each one clears."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Office:
    """A student-facing office and how to reach it."""

    key: str
    name: str
    building: str
    email: str
    phone: str
    hours: str
    does: str


OFFICES = (
    Office("registrar", "Office of the Registrar", "Founders Hall, room 110",
           "registrar@bca.example.edu", "555-0110", "Monday to Friday, 8:30 to 16:30",
           "registration, grades, transcripts, enrollment verification and graduation"),
    Office("student-accounts", "Student Accounts (Bursar)", "Founders Hall, room 120",
           "studentaccounts@bca.example.edu", "555-0120", "Monday to Friday, 8:30 to 16:30",
           "tuition bills, payments, payment plans, refunds and account balances"),
    Office("financial-aid", "Office of Financial Aid", "Founders Hall, room 130",
           "finaid@bca.example.edu", "555-0130", "Monday to Friday, 9:00 to 16:00",
           "grants, loans, scholarships, work-study and aid documents"),
    Office("advising", "Academic Advising Center", "Learning Commons, second floor",
           "advising@bca.example.edu", "555-0140",
           "Monday to Thursday 9:00 to 18:00, Friday 9:00 to 15:00",
           "course planning, advising holds, changing majors and academic standing"),
    Office("health", "Student Health Center", "Wellness Building",
           "health@bca.example.edu", "555-0150", "Monday to Friday, 8:00 to 17:00",
           "immunization records, medical visits and health insurance questions"),
    Office("library", "University Library, Circulation Desk", "Main Library, ground floor",
           "library@bca.example.edu", "555-0160", "every day, 8:00 to 22:00 during the term",
           "borrowing, returns, library fines and replacement charges"),
    Office("it", "IT Service Desk", "Learning Commons, ground floor",
           "helpdesk@bca.example.edu", "555-0170", "every day, 7:00 to 23:00",
           "Canvas and portal sign-in, passwords, multi-factor authentication and Wi-Fi"),
    Office("dean", "Dean of Students", "Student Union, room 201",
           "deanofstudents@bca.example.edu", "555-0180", "Monday to Friday, 9:00 to 17:00",
           "emergencies, medical withdrawals, student conduct and personal crises"),
)  # fmt: skip

BY_KEY = {office.key: office for office in OFFICES}

# hold code -> (office key, how the hold is cleared)
HOLD_CLEARANCE = {
    "AR": (
        "student-accounts",
        "Pay the balance owed in full, or sign a payment plan, through "
        "the student portal (Student Accounts > Make a Payment) or at the cashier window. "
        "The hold is released within one business day of the payment posting.",
    ),
    "RG": (
        "registrar",
        "Contact the Office of the Registrar: the hold is placed when a form, "
        "document or residency question is outstanding. Bring or upload what they ask for and "
        "they release the hold once it is processed.",
    ),
    "AD": (
        "advising",
        "Meet your academic advisor (book through the Advising Center). After the "
        "meeting your advisor releases the hold, usually the same day.",
    ),
    "IM": (
        "health",
        "Submit your immunization records (measles, mumps and rubella; meningitis "
        "for residence halls) through the Health Center's patient portal or in person. The "
        "hold is released once the Health Center verifies the records.",
    ),
    "TR": (
        "registrar",
        "Contact the Office of the Registrar to find out what is outstanding "
        "(often a missing document or an unreturned item). The hold is released once it is "
        "resolved.",
    ),
    "GR": (
        "registrar",
        "Contact the graduation team in the Office of the Registrar: the hold "
        "means a degree requirement, the graduation application or its fee is outstanding.",
    ),
    "LB": (
        "library",
        "Return the overdue items and pay the library fines at the Circulation "
        "Desk or online through your library account. The library releases the hold when "
        "the fines reach zero.",
    ),
    "FA": (
        "financial-aid",
        "Upload the documents Financial Aid asked for (verification "
        "worksheet, tax transcripts or other requirements) through the financial aid portal. "
        "The hold clears when the documents are reviewed.",
    ),
}
DEFAULT_CLEARANCE = ("registrar", "Contact the Office of the Registrar, who will tell you which "
                     "office placed the hold and what it needs.")  # fmt: skip


def clearance(code: str) -> tuple[Office, str]:
    """The office that clears a hold code and how; an unknown code goes to the Registrar."""
    key, how = HOLD_CLEARANCE.get(code, DEFAULT_CLEARANCE)
    return BY_KEY[key], how
