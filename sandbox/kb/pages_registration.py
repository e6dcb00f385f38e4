"""Help pages about the term calendar, registration, dropping and withdrawing, and grades."""

from __future__ import annotations

from datetime import date

from sandbox.kb.facts import Facts

Page = tuple[str, str]


def day(value: date) -> str:
    """``Monday, September 8, 2025``."""
    return f"{value:%A, %B} {value.day}, {value.year}"


def registration_pages(f: Facts) -> list[Page]:
    """Calendar, add/drop, withdrawal, wait lists, registration how-to, course load, audit."""
    return [
        (
            "calendar/term-dates.md",
            f"""# Academic calendar: {f.term_name}

## Key dates for {f.term_name}

| date | what |
|---|---|
| {day(f.start)} | first day of classes |
| {day(f.last_add)} | last day to add a class |
| {day(f.census)} | census date: last day to drop a class with no record |
| {day(f.last_withdraw)} | last day to withdraw from a class (grade W) |
| {day(f.end)} | last day of classes |

## Census date

The census date of {f.term_name} is {day(f.census)}. Your enrollment on the census date is what
the university reports and what financial aid is based on.
""",
        ),
        (
            "registration/add-drop.md",
            f"""# Adding and dropping classes

## Adding a class

You can add classes in the student portal (Registration > Add or Drop Classes) until
{day(f.last_add)}. After that date adding a class needs the instructor's permission and a
late-add form from the Office of the Registrar.

## Dropping a class before the census date

A class dropped on or before the census date, {day(f.census)}, is removed from your record:
it does not appear on your transcript, you are removed from the Canvas course, and tuition for
it is refunded in full.

## Dropping after the census date

After the census date you can no longer drop a class. Leaving a class is then a withdrawal:
the class stays on your record with a W (see Withdrawing from a class), and your Canvas
enrollment becomes inactive: you can no longer submit work, but the record is kept.
""",
        ),
        (
            "registration/withdrawal.md",
            f"""# Withdrawing from a class

## Withdrawal deadline

The last day to withdraw from a {f.term_name} class is {day(f.last_withdraw)}. Withdraw in the
student portal (Registration > Add or Drop Classes, action Withdrawn).

## What a W grade means

A withdrawn class gets the grade W on your transcript. A W does not count in your GPA and
earns no credit, but it counts as attempted hours for satisfactory academic progress.

## What happens in Canvas after a withdrawal

Your Canvas enrollment in the class becomes inactive: the course stays in your history but
you can no longer submit assignments or take quizzes.

## Withdrawing from all classes

To withdraw from every class (leaving the university for the term) contact the Dean of
Students; a complete withdrawal can change your financial aid, which may have to be returned.
Medical withdrawals after the deadline are also handled by the Dean of Students.
""",
        ),
        (
            "registration/waitlist.md",
            """# Wait lists

## Joining a wait list

When a section is full you can join its wait list in the student portal. You are not
registered while wait-listed and the class does not count toward your course load.

## When a seat opens

When a registered student drops, the first student on the wait list is registered
automatically and notified by email. Check your email daily during the add period.

## Canvas access while wait-listed

Wait-listed students do not have access to the Canvas course unless the term grants it;
you get access as soon as you are registered from the wait list.
""",
        ),
        (
            "registration/how-to-register.md",
            f"""# How to register for classes

## Before you register

Check My Holds for registration holds and clear them, meet your advisor if you have an advising
hold, and look up your registration time ticket for {f.next_term_name}.

## Registering in the student portal

Open Registration > Add or Drop Classes, choose the term, and enter the CRNs (five-digit course
reference numbers) of the sections you want, or search the class schedule and add them to your
worksheet. Submit, then check that each class shows Web Registered.

## Registration errors

A registration error names the reason: a hold, a closed section (join the wait list), a missing
prerequisite (ask the department), a time conflict or the credit limit.
""",
        ),
        (
            "registration/course-load.md",
            """# Course load and full-time status

## Full-time and part-time

Undergraduates taking 12 or more credit hours are full-time; graduate students 9 or more.
Financial aid, health insurance and visa status can depend on full-time status.

## Credit limit

You can register for up to 18 credit hours; more needs your advisor's and the dean's approval.
""",
        ),
        (
            "registration/audit.md",
            """# Auditing a class

## What auditing means

An audited class (status Audit) lets you attend without a grade or credit. Audits need the
instructor's permission and are charged like credit classes. Change to or from audit before the
census date at the Office of the Registrar.
""",
        ),
    ]


def grade_pages(f: Facts) -> list[Page]:
    """Grading scale, incompletes, pass/no-pass, appeals, repeats."""
    scale = "\n".join(
        f"| {code} | {points:.1f} | {'yes' if gpa else 'no'} |" for code, points, gpa in f.grades
    )
    return [
        (
            "grades/grading-scale.md",
            f"""# Grading scale and GPA

## Undergraduate grades and quality points

| grade | quality points | counts in GPA |
|---|---|---|
{scale}

## How your GPA is calculated

Your GPA is the quality points of your graded classes, times their credit hours, divided by the
credit hours of those classes. Grades that do not count in the GPA (W, I, P, N, NR) are left out.
""",
        ),
        (
            "grades/incompletes.md",
            """# Incomplete grades

## When an incomplete (I) is given

Your instructor can give an incomplete (grade I) when you have completed most of the work of a
class but cannot finish for a serious reason beyond your control. Ask the instructor before
grades are due; it is the instructor's decision.

## Deadline to finish an incomplete

The instructor sets an extension date, the last day to finish the work. Submit the missing work
in Canvas before that date; the instructor then changes the I to your final grade.

## What happens if you do not finish

If the work is not completed by the extension date, the incomplete lapses: Banner replaces the
I with the default grade your instructor set (often F). The instructor is reminded a week before
the extension date.

## Incompletes and your GPA

An I does not count in your GPA while it is open, but it can affect satisfactory academic
progress for financial aid because the hours count as attempted and not completed.
""",
        ),
        (
            "grades/pass-no-pass.md",
            """# Pass / no pass

## Choosing pass / no pass

Some classes can be taken pass / no pass (grades P or N) instead of a letter grade. Choose the
option at the Office of the Registrar before the census date. P earns credit without affecting
your GPA; N earns no credit and does not affect your GPA.
""",
        ),
        (
            "grades/grade-appeal.md",
            """# Appealing a final grade

## Talk to the instructor first

If you believe a final grade is wrong, contact the instructor within 30 days of grades being
posted. Calculation errors are corrected with a grade change.

## Formal grade appeal

If you cannot resolve it with the instructor, file a grade appeal with the department chair,
then the dean. The Office of the Registrar records any grade change.
""",
        ),
        (
            "grades/repeating-a-course.md",
            """# Repeating a course

## Repeat rules

You may repeat a course to replace a grade of D or F. Only the most recent grade counts in your
GPA, but both attempts stay on your transcript and count as attempted hours for financial aid.
""",
        ),
        (
            "grades/final-grades.md",
            """# When final grades are available

## Seeing final grades

Final grades are posted in the student portal (Student Records > Final Grades) after the
grading deadline. Canvas shows course grades during the term, but the official grade is the
one in the student portal. A grade hold stops you from seeing final grades until it is cleared.
""",
        ),
    ]
