# ruff: noqa: E501  (one corpus item a line reads better than wrapped strings)
"""Hand-written corpus items with inline labels: ``[[TYPE:value]]``, ``[[OTHER:name]]``.

``PERSON`` marks someone in the eval's SPRIDEN directory (listed in :data:`PEOPLE`), ``OTHER``
a person who is not (found only by NER, if at all).
"""

PEOPLE: list[tuple[str, str]] = [
    ("Will", "Young"), ("Grant", "Hill"), ("Hope", "Rivera"), ("Mark", "Rice"),
    ("Faith", "Long"), ("Bill", "Banks"), ("June", "Castillo"), ("Chase", "Stone"),
    ("José", "Núñez"), ("Siobhan", "O'Brien"), ("De'Andre", "Washington"), ("Mary", "De La Cruz"),
    ("Li", "Wei"), ("Amara", "Okafor"),
]  # fmt: skip

HANDWRITTEN: list[tuple[str, str]] = [
    ("chat", "[[PERSON:Will]] missed the quiz again, can someone tell him the retake is friday?"),
    ("chat", "I will ask [[PERSON:Will Young]] tomorrow."),
    ("advising_note", "[[PERSON:Grant Hill]] applied for the Pell grant; [[PERSON:Grant]] has a FAFSA selected for verification."),
    ("chat", "hope you're well! it's [[PERSON:hope rivera]], [[BANNER_ID:@00412233]]"),
    ("advising_note", "[[PERSON:Hope]]'s transcript came in from Blue Mountain CC."),
    ("canvas_comment", "Good point, [[PERSON:Mark]]. I'll mark this as complete."),
    ("email", "Dear Ms. [[PERSON:Long]]... no wait. Dear [[PERSON:Faith]], your long essay is accepted."),
    ("chat", "pls email me at [[EMAIL:jose.nunez@eou.edu]] — [[PERSON:José Núñez]]"),
    ("chat", "this is [[PERSON:jose nunez]] from BIO 211, my phone is [[PHONE:541 555 0199]]"),
    ("advising_note", "[[PERSON:Siobhan O’Brien]] (preferred: [[PERSON:Siobhan]]) asked about the honors track."),
    ("advising_note", "[[PERSON:O'Brien]] turned in the override form for MATH 251."),
    ("email", "From: [[PERSON:De'Andre Washington]] <[[EMAIL:dwashington@students.eou.edu]]>\nCan I get an extension?"),
    ("tool_output", "spriden: [[PERSON:DE LA CRUZ, MARY]] id=[[BANNER_ID:A00771234]] pidm=[[PIDM:20417]]"),
    ("chat", "[[PERSON:Mary De La Cruz]] here. Washington state residency question."),
    ("advising_note", "[[PERSON:Li Wei]] needs a new I-20; contact [[PHONE:+1 (206) 555-0142]]."),
    ("chat", "my ssn is [[SSN:531 22 9087]] and id [[BANNER_ID:a00998877]]"),
    ("chat", "SSN [[SSN:531-22-9087]]. Phone [[PHONE:(541)555-0123]]. DOB [[DATE_OF_BIRTH:4/7/2003]]."),
    ("email", "Please update my address to [[ADDRESS:1410 L Ave, La Grande, OR 97850]]. Thanks, [[PERSON:Amara Okafor]]"),
    ("tool_output", '{"sfrstcr_pidm": [[PIDM:88213]], "sfrstcr_crn": "40125", "sfrstcr_rsts_code": "DD", "sfrstcr_credit_hr": 4}'),
    ("chat", "The PIDM for that student is [[PIDM:45120]], not 45210."),
    ("advising_note", "PIDMs [[PIDM:1201]], [[PIDM:1202]] and [[PIDM:1203]] share the same address: [[ADDRESS:PO Box 88]]."),
    ("chat", "Call me! [[PHONE:541.555.0177]] or my work line [[PHONE:1-503-555-0110]]"),
    ("chat", "email: <[[EMAIL:CHASE.STONE@EOU.EDU]]>. [[PERSON:Chase]] here, chasing my refund lol"),
    ("canvas_comment", "[[PERSON:Bill]], the bill from the bookstore is not a course fee. Talk to Dr. [[OTHER:Patricia Lindgren]]."),
    ("advising_note", "June 12: [[PERSON:June Castillo]] confirmed her summer plan."),
    ("chat", "my birthday is [[DATE_OF_BIRTH:March 3, 2005]] but the system says 2004"),
    ("tool_output", "RPRAWRD for [[BANNER_ID:@00123456]]: PELL offer 3,697 accept 3,697 paid 0; SEOG offer 400."),
    ("email", "[[PERSON:Amara]],\nYour tuition balance of $1,240.50 is due 9/15/2026. Call Student Accounts at [[PHONE:541-962-3000]]."),
    ("chat", "i'm [[PERSON:amara okafor]] and my dob is [[DATE_OF_BIRTH:2004-11-30]]"),
    ("advising_note", "Course BIO 211 section 40123 is full; waitlist position 3. Room 204, 10:30-11:50."),
    ("chat", "When is the last day to drop? The calendar says 10/24/2026 but the portal says 10/31."),
    ("canvas_comment", "Average on the midterm was 78.5; median 81. Office hours Tuesday 2-4 in Badgley 210."),
    ("tool_output", "STVTERM 202610 Fall 2026 start 2026-09-21 end 2026-12-11; census 2026-10-02."),
    ("chat", "May I ask whether the grant will cover summer? I hope so."),
    ("advising_note", "Student will bring a signed form. Mark attendance as excused; the grant covers fees."),
]  # fmt: skip
