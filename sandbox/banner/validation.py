"""Seed values of the Banner validation tables the rules read (STVRSTS, STVHLDD, SHRGRDE).

The rows follow Banner's baseline seed data as DOMAIN.md records it. Tools never hard-code these
codes: they read the flags, so an institution's own codes work the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table

from tools.banner.schema import rfrbase, shrgrde, stvhldd, stvrsts

# code, description, incl_sect_enrl, wait_ind, withdraw_ind, gradable_ind, auto_grade, voice type
REGISTRATION_STATUSES = [
    ("RE", "**Registered**", "Y", "N", "N", "Y", None, "R"),
    ("RW", "**Web Registered**", "Y", "N", "N", "Y", None, "R"),
    ("DD", "Drop/Delete", "N", "N", "N", "N", None, "D"),
    ("DW", "Drop/Delete (Web)", "N", "N", "N", "N", None, "D"),
    ("WL", "Wait Listed", "N", "Y", "N", "N", None, "L"),
    ("WD", "Withdrawn", "N", "N", "Y", "N", "W", "W"),
    ("AU", "Audit", "Y", "N", "N", "N", None, "R"),
]

# code, description, reg, transcript, graduation, grades, AR, display on web
HOLD_TYPES = [
    ("AR", "Accounts Receivable", "Y", "Y", "Y", "N", "Y", "Y"),
    ("RG", "Registrar Hold", "Y", "N", "N", "N", "N", "Y"),
    ("AD", "Advising Hold", "Y", "N", "N", "N", "N", "Y"),
    ("IM", "Immunization Records", "Y", "N", "N", "N", "N", "Y"),
    ("TR", "Transcript Hold", "N", "Y", "N", "N", "N", "Y"),
    ("GR", "Graduation Hold", "N", "N", "Y", "N", "N", "Y"),
    ("LB", "Library Fines", "N", "Y", "N", "N", "N", "Y"),
    ("FA", "Financial Aid Documents", "N", "N", "N", "N", "N", "N"),
]

# fund code, RFRBASE_FUND_TITLE (30 characters), long title: the funds awarded in RPRAWRD.
AID_FUNDS = [
    ("PELL", "Federal Pell Grant", "Federal Pell Grant"),
    ("SEOG", "Federal SEOG", "Federal Supplemental Educational Opportunity Grant"),
    ("DLSUB", "Direct Subsidized Loan", "Federal Direct Subsidized Stafford Loan"),
    ("DLUNSB", "Direct Unsubsidized Loan", "Federal Direct Unsubsidized Stafford Loan"),
    ("INSTGR", "Institutional Grant", "University Need-Based Grant"),
    ("FWS", "Federal Work-Study", "Federal Work-Study Program"),
    ("STSCH", "State Scholarship", "State Merit Scholarship"),
]

# level, code, effective term, quality points, attempted, completed, passed, gpa, web entry,
# expired term. Plus/minus grades arrive in 201010; D- and E expire; P changes web entry in 202010.
GRADES: list[tuple[str, str, str, float, str, str, str, str, str, str | None]] = [
    ("UG", "A", "199910", 4.0, "Y", "Y", "Y", "Y", "Y", None),
    ("UG", "A-", "201010", 3.7, "Y", "Y", "Y", "Y", "Y", None),
    ("UG", "B+", "201010", 3.3, "Y", "Y", "Y", "Y", "Y", None),
    ("UG", "B", "199910", 3.0, "Y", "Y", "Y", "Y", "Y", None),
    ("UG", "B-", "201010", 2.7, "Y", "Y", "Y", "Y", "Y", None),
    ("UG", "C+", "201010", 2.3, "Y", "Y", "Y", "Y", "Y", None),
    ("UG", "C", "199910", 2.0, "Y", "Y", "Y", "Y", "Y", None),
    ("UG", "C-", "201010", 1.7, "Y", "Y", "Y", "Y", "Y", None),
    ("UG", "D+", "201010", 1.3, "Y", "Y", "Y", "Y", "Y", None),
    ("UG", "D", "199910", 1.0, "Y", "Y", "Y", "Y", "Y", None),
    ("UG", "D-", "201010", 0.7, "Y", "Y", "Y", "Y", "Y", "201810"),
    ("UG", "E", "199910", 0.0, "Y", "N", "N", "Y", "Y", "201010"),
    ("UG", "F", "199910", 0.0, "Y", "N", "N", "Y", "Y", None),
    ("UG", "I", "199910", 0.0, "Y", "N", "N", "N", "Y", None),
    ("UG", "W", "199910", 0.0, "N", "N", "N", "N", "N", None),
    ("UG", "P", "199910", 0.0, "Y", "Y", "Y", "N", "N", None),
    ("UG", "P", "202010", 0.0, "Y", "Y", "Y", "N", "Y", None),
    ("UG", "N", "202010", 0.0, "Y", "N", "N", "N", "Y", None),
    ("UG", "NR", "199910", 0.0, "N", "N", "N", "N", "N", None),
    ("GR", "A", "199910", 4.0, "Y", "Y", "Y", "Y", "Y", None),
    ("GR", "A-", "199910", 3.7, "Y", "Y", "Y", "Y", "Y", None),
    ("GR", "B+", "199910", 3.3, "Y", "Y", "Y", "Y", "Y", None),
    ("GR", "B", "199910", 3.0, "Y", "Y", "Y", "Y", "Y", None),
    ("GR", "B-", "199910", 2.7, "Y", "Y", "Y", "Y", "Y", None),
    ("GR", "C+", "199910", 2.3, "Y", "Y", "Y", "Y", "Y", None),
    ("GR", "C", "199910", 2.0, "Y", "Y", "Y", "Y", "Y", None),
    ("GR", "F", "199910", 0.0, "Y", "N", "N", "Y", "Y", None),
    ("GR", "I", "199910", 0.0, "Y", "N", "N", "N", "Y", None),
    ("GR", "W", "199910", 0.0, "N", "N", "N", "N", "N", None),
    ("GR", "S", "201510", 0.0, "Y", "Y", "Y", "N", "Y", None),
    ("GR", "U", "201510", 0.0, "Y", "N", "N", "N", "Y", None),
]


def stamp(table: Table, at: datetime, origin: str = "BANNER") -> dict[str, Any]:
    """The housekeeping columns of a generated row (surrogate ids are assigned separately)."""
    name = table.name
    return {
        f"{name}_activity_date": at,
        f"{name}_user_id": "BANINST1",
        f"{name}_data_origin": origin,
        f"{name}_version": 0,
        f"{name}_vpdi_code": None,
    }


def validation_rows(at: datetime) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Rows of the validation tables, stamped ``at``."""
    statuses = [
        {
            "stvrsts_code": code,
            "stvrsts_desc": desc,
            "stvrsts_incl_sect_enrl": incl,
            "stvrsts_wait_ind": wait,
            "stvrsts_withdraw_ind": withdraw,
            "stvrsts_gradable_ind": gradable,
            "stvrsts_auto_grade": auto,
            "stvrsts_voice_type": voice,
            **stamp(stvrsts, at),
        }
        for code, desc, incl, wait, withdraw, gradable, auto, voice in REGISTRATION_STATUSES
    ]
    holds = [
        {
            "stvhldd_code": code,
            "stvhldd_desc": desc,
            "stvhldd_reg_hold_ind": reg,
            "stvhldd_trans_hold_ind": trans,
            "stvhldd_grad_hold_ind": grad,
            "stvhldd_grade_hold_ind": grade,
            "stvhldd_ar_hold_ind": ar,
            "stvhldd_disp_web_ind": web,
            **stamp(stvhldd, at),
        }
        for code, desc, reg, trans, grad, grade, ar, web in HOLD_TYPES
    ]
    grades = [
        {
            "shrgrde_code": code,
            "shrgrde_levl_code": level,
            "shrgrde_term_code_effective": effective,
            "shrgrde_quality_points": points,
            "shrgrde_attempted_ind": attempted,
            "shrgrde_completed_ind": completed,
            "shrgrde_passed_ind": passed,
            "shrgrde_gpa_ind": gpa,
            "shrgrde_grde_status_ind": "A",
            "shrgrde_web_entry_ind": web,
            "shrgrde_numeric_value": round(points * 25),
            "shrgrde_last_date_attend_ind": "Y" if code in {"F", "I", "N", "U"} else "N",
            "shrgrde_term_code_expired": ends,
            **stamp(shrgrde, at),
        }
        for level, code, effective, points, attempted, completed, passed, gpa, web, ends in GRADES
    ]
    funds = [
        {
            "rfrbase_fund_code": code,
            "rfrbase_fund_title": title,
            "rfrbase_fund_title_long": long_title,
            **stamp(rfrbase, at),
        }
        for code, title, long_title in AID_FUNDS
    ]
    return [(stvrsts, statuses), (stvhldd, holds), (shrgrde, grades), (rfrbase, funds)]
