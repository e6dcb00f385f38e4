"""Help pages about financial aid, records (transcripts, verification) and the contact pages."""

from __future__ import annotations

from sandbox.kb.facts import Facts
from sandbox.kb.offices import OFFICES

Page = tuple[str, str]

AWARD_STATUS_WORDS = {
    "ACPT": ("Accepted", "you accepted the award; it will be paid (disbursed) to your account"),
    "OFRD": ("Offered", "the award is offered to you and waits for you to accept or decline it"),
    "DECL": ("Declined", "you declined the award; it will not be paid"),
    "CANC": ("Cancelled", "the award was cancelled, e.g. after an enrollment change"),
}  # fmt: skip

FUND_WORDS = {
    "PELL": "Federal Pell Grant: need-based federal grant, not repaid",
    "SEOG": "Federal Supplemental Educational Opportunity Grant: need-based grant, not repaid",
    "DLSUB": "Federal Direct Subsidized Loan: repaid; no interest while you are enrolled",
    "DLUNSB": "Federal Direct Unsubsidized Loan: repaid; interest accrues from disbursement",
    "INSTGR": "Institutional grant: the university's own need-based grant",
    "FWS": "Federal Work-Study: earned through a part-time campus job, paid as wages",
    "STSCH": "State scholarship: merit scholarship from the state, renewable with a 3.0 GPA",
}


def aid_pages(f: Facts) -> list[Page]:
    """Award statuses, funds, disbursement, SAP, documents, work-study."""
    statuses = "\n".join(
        f"| {code} | {AWARD_STATUS_WORDS.get(code, (code, 'ask Financial Aid'))[0]} | "
        f"{AWARD_STATUS_WORDS.get(code, (code, 'ask Financial Aid what it means'))[1]} |"
        for code in f.award_statuses
    )
    funds = "\n".join(f"- {code}: {FUND_WORDS.get(code, 'ask Financial Aid')}" for code in f.funds)
    return [
        (
            "aid/award-statuses.md",
            f"""# Financial aid award statuses

## What your award status means

Each award in your financial aid package has a status:

| code | status | meaning |
|---|---|---|
{statuses}

## Accepting or declining an award

Open Financial Aid > My Award in the student portal, choose the aid year, and accept or decline
each offered award. Loans can be accepted for a lower amount than offered.
""",
        ),
        (
            "aid/funds.md",
            f"""# Types of financial aid

## Grants, loans, scholarships and work-study

{funds}

## Which aid must be repaid

Loans must be repaid; grants, scholarships and work-study wages do not.
""",
        ),
        (
            "aid/disbursement.md",
            f"""# When financial aid is paid (disbursement)

## Disbursement dates

Accepted aid is disbursed to your student account in two halves: the first after the census
date ({f.census:%B} {f.census.day}), once your enrollment is confirmed, the second at the start
of the next term. Aid pays tuition and fees first.

## Refunds of extra aid

When aid exceeds your charges, Student Accounts refunds the difference by direct deposit within
14 days. Set up direct deposit in Student Accounts > Refunds.

## Why an award was not paid

Aid is not paid while requirements are missing, while you are enrolled in fewer hours than the
award needs, or when the award is only offered and not accepted.
""",
        ),
        (
            "aid/satisfactory-academic-progress.md",
            """# Satisfactory academic progress (SAP)

## SAP requirements

To keep financial aid you must make satisfactory academic progress: a cumulative GPA of at least
2.0, completing at least 67% of the credit hours you attempt (W, I and F count as attempted, not
completed), and finishing your degree within 150% of its credit hours.

## Financial aid warning and suspension

Missing SAP once puts you on financial aid warning for a term; missing it again suspends aid.

## Appealing a SAP suspension

You can appeal a suspension with a letter explaining the circumstances (illness, family
emergency) and an academic plan signed by your advisor, sent to the Office of Financial Aid.
""",
        ),
        (
            "aid/documents-and-verification.md",
            """# Financial aid documents and verification

## Missing requirements

If your aid status shows requirements missing, your package cannot be completed. Upload the
requested documents (verification worksheet, tax return transcripts, proof of identity) in the
financial aid portal. A Financial Aid Documents hold (FA) may be placed until they arrive.

## Verification

Federal verification selects some FAFSA applications for review. Submit the documents within 30
days so that your aid is ready before the term starts.
""",
        ),
        (
            "aid/fafsa.md",
            """# Applying for aid: the FAFSA

## When to file the FAFSA

File the Free Application for Federal Student Aid (FAFSA) every year from October 1 for the
next aid year, using the university's school code 009999. Filing by March 1 gives priority for
grants with limited funds.
""",
        ),
        (
            "aid/work-study.md",
            """# Federal Work-Study jobs

## Finding a work-study job

Students awarded Federal Work-Study (FWS) look for campus jobs on the Student Employment board.
Work-study is paid as wages every two weeks, not credited to your account.
""",
        ),
    ]


def records_pages(f: Facts) -> list[Page]:
    """Transcripts, enrollment verification, privacy, name changes, graduation."""
    return [
        (
            "records/transcripts.md",
            """# Ordering an official transcript

## How to order a transcript

Order official transcripts online through the student portal (Student Records > Request
Official Transcript). Electronic transcripts are sent within one business day; printed ones are
mailed within three business days. Each official transcript costs $10.

## Unofficial transcripts

An unofficial transcript is free: print it from Student Records > Academic Transcript.

## Transcript holds

Holds with the transcript indicator (such as Accounts Receivable, Transcript and Library holds)
stop official transcripts until they are cleared.
""",
        ),
        (
            "records/enrollment-verification.md",
            f"""# Enrollment verification

## Proof of enrollment

Download an enrollment verification letter (for insurance, loans, employers or visas) from
Student Records > Enrollment Verification. It states your enrollment status for {f.term_name}
(full-time, half-time or less than half-time) from the census date on.

## Verification for loan deferment

Enrollment is reported to the National Student Clearinghouse after the census date, which
lenders use for in-school deferment.
""",
        ),
        (
            "records/ferpa-privacy.md",
            """# Privacy of your records (FERPA)

## Who can see your records

Under FERPA your education records are private: the university shares them only with you and
school officials who need them, unless you sign a release. Parents need your written consent.

## Sharing your records with someone

Grant a parent or sponsor access with the FERPA release form at the Office of the Registrar.
Staff, including the support chatbot, will never share your grades or balances with anyone but you.
""",
        ),
        (
            "records/name-and-address.md",
            """# Changing your name or address

## Updating your address

Update your mailing address and phone number in the student portal (Personal Information).

## Legal name change

Bring legal documentation (court order, marriage certificate) to the Office of the Registrar.
A preferred first name can be set in the portal and shows in Canvas and class lists.
""",
        ),
        (
            "records/graduation.md",
            """# Applying to graduate

## Graduation application

Apply for graduation in the student portal by the census date of your final term. The Office
of the Registrar reviews your degree audit and tells you of any missing requirements.
A Graduation hold (GR) or an Accounts Receivable hold stops your diploma until cleared.
""",
        ),
    ]


def contact_pages() -> list[Page]:
    """One contact page per office and an index."""
    pages: list[Page] = []
    for office in OFFICES:
        pages.append(
            (
                f"contacts/{office.key}.md",
                f"""# Contact the {office.name}

## What the {office.name} helps with

The {office.name} handles {office.does}.

## How to reach the {office.name}

- Email: {office.email}
- Phone: {office.phone}
- In person: {office.building}
- Hours: {office.hours}
""",
            )
        )
    rows = "\n".join(f"| {o.name} | {o.does} | {o.email} | {o.phone} |" for o in OFFICES)
    pages.append(
        (
            "contacts/index.md",
            f"""# Student services directory

## Which office to contact

| office | for | email | phone |
|---|---|---|---|
{rows}

## Talking to a person

The support chatbot can hand your question to a staff member if it cannot answer or if you
ask for a person; you will get a reply by email within one business day.
""",
        )
    )
    return pages
