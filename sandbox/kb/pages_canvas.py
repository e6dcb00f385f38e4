"""Canvas how-to pages: signing in, modules, assignments, grades, notifications and more."""

from __future__ import annotations

Page = tuple[str, str]


def canvas_pages() -> list[Page]:
    """Student guides to the Canvas learning platform."""
    return [
        (
            "canvas/sign-in.md",
            """# Signing in to Canvas

## How to sign in

Go to canvas.bca.example.edu and sign in with your university username and password, then
approve the multi-factor authentication prompt.

## Courses missing from the dashboard

Courses appear in Canvas within a few hours of registering. A course whose instructor has not
published it yet is not listed; check Courses > All Courses. After a withdrawal a course stays
in your history but is read-only. If a registered course is still missing after a day, contact
the IT Service Desk.
""",
        ),
        (
            "canvas/modules.md",
            """# Finding course modules in Canvas

## Where modules are

Open the course from the Canvas dashboard and choose Modules in the course navigation menu.
Modules organise the course by week or topic, with readings, pages, assignments and quizzes.

## Locked modules

A module with a lock icon opens on a date or after you complete the previous module's
requirements (viewing a page, submitting an assignment, scoring a minimum on a quiz).
""",
        ),
        (
            "canvas/submit-assignment.md",
            """# Submitting an assignment in Canvas

## How to submit an assignment

Open the assignment from Assignments or Modules, choose Start Assignment, then upload a file,
type a text entry or paste a URL, and choose Submit Assignment. A confirmation appears and
the assignment shows Submitted.

## Late submissions and resubmitting

Assignments submitted after the due date are marked Late and may lose points under the
course's late policy. You can resubmit until the availability date closes; the instructor sees
the latest attempt.

## Submission problems

If the upload fails, check the file type and size, try another browser, and keep a screenshot
of any error. Contact your instructor before the deadline if you cannot submit.
""",
        ),
        (
            "canvas/grades.md",
            """# Seeing your grades in Canvas

## Where to see grades

Open the course and choose Grades to see each assignment's score, comments from the
instructor and your current total. The Canvas dashboard's Grades view lists all courses.

## Why the Canvas total differs from the final grade

The total in Canvas is a running figure; your official final grade is the one the instructor
submits to the student portal at the end of the term.

## Missing or muted grades

Scores the instructor has not posted yet are hidden. Ask the instructor about a grade that
seems to be missing.
""",
        ),
        (
            "canvas/notifications.md",
            """# Canvas notifications

## Choosing notifications

Open Account > Notifications to choose how and how often Canvas tells you about announcements,
due dates, grades and messages: right away, daily summary, weekly summary or off, per channel
(email, text message, the Canvas Student app).

## Not receiving notifications

Check that your email address is confirmed under Account > Settings and that your university
email does not filter Canvas messages as spam.
""",
        ),
        (
            "canvas/calendar-and-todo.md",
            """# Canvas calendar and to-do list

## Upcoming due dates

The Canvas calendar shows due dates of all your courses; the To Do list on the dashboard shows
what is due in the next week, and Missing marks work past its due date.
""",
        ),
        (
            "canvas/discussions-and-inbox.md",
            """# Discussions and messages in Canvas

## Posting in a discussion

Open Discussions in the course, choose the topic and Reply. Some discussions hide replies until
you post.

## Messaging your instructor

Use the Canvas Inbox: Compose, choose the course and the instructor, and send. Instructors
usually answer within two business days.
""",
        ),
        (
            "canvas/quizzes.md",
            """# Taking quizzes in Canvas

## Starting a quiz

Open the quiz and choose Take the Quiz. Timed quizzes keep counting if you close the browser;
answers are saved as you go. Contact the instructor right away if a quiz closes on you.
""",
        ),
        (
            "canvas/mobile-app.md",
            """# The Canvas Student mobile app

## Using Canvas on your phone

Install Canvas Student from your app store, search for the university, and sign in with your
university account. You can view modules, submit assignments and get push notifications.
""",
        ),
    ]
