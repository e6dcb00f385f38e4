"""SPRIDEN identities with the preferred GOREMAL e-mail: who a PIDM or a Banner ID is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ScalarSelect, func, select

from tools.banner.queries.base import CURRENT_NAME, AnySelect, statement, yes
from tools.banner.schema import gobtpac, goremal, spbpers, spriden


def _preferred_email() -> ScalarSelect[Any]:
    """The person's active GOREMAL address marked preferred (the smallest, if several)."""
    return (
        select(func.min(goremal.c.goremal_email_address))
        .where(
            goremal.c.goremal_pidm == spriden.c.spriden_pidm,
            goremal.c.goremal_status_ind == "A",
            yes(goremal.c.goremal_preferred_ind),
        )
        .scalar_subquery()
    )


def _person_select() -> AnySelect:
    preferred_email = _preferred_email()
    return select(
        spriden.c.spriden_pidm.label("pidm"),
        spriden.c.spriden_id.label("banner_id"),
        spriden.c.spriden_last_name.label("last_name"),
        spriden.c.spriden_first_name.label("first_name"),
        spriden.c.spriden_mi.label("middle_name"),
        spriden.c.spriden_entity_ind.label("entity"),
        preferred_email.label("preferred_email"),
    ).where(CURRENT_NAME)


@statement(pidm=1001)
def person_by_pidm(pidm: int) -> AnySelect:
    """The current identity of a PIDM."""
    return _person_select().where(spriden.c.spriden_pidm == pidm)


@statement(banner_id="A00123456")
def person_by_id(banner_id: str) -> AnySelect:
    """The current identity carrying a Banner ID (history IDs do not match)."""
    return _person_select().where(spriden.c.spriden_id == banner_id)


@statement()
def current_person_names() -> AnySelect:
    """Current first/last names of every person (not corporations), in PIDM order."""
    return (
        select(
            spriden.c.spriden_pidm.label("pidm"),
            spriden.c.spriden_first_name.label("first_name"),
            spriden.c.spriden_last_name.label("last_name"),
        )
        .where(CURRENT_NAME, spriden.c.spriden_entity_ind == "P")
        .order_by(spriden.c.spriden_pidm)
    )


@statement(pidms=[1001, 1002], email_code="UNIV")
def account_records(pidms: list[int], email_code: str) -> AnySelect:
    """What a Canvas account is built from, per PIDM.

    The current SPRIDEN name and ID, the SPBPERS preferred first name and confidentiality flag,
    the GOBTPAC login, and two GOREMAL addresses: the active one of ``email_code`` (preferred
    first) and the preferred active one. Both are read so that the rule, not the SQL, decides
    which one an account gets.
    """
    typed = (
        select(goremal.c.goremal_email_address)
        .where(
            goremal.c.goremal_pidm == spriden.c.spriden_pidm,
            goremal.c.goremal_status_ind == "A",
            goremal.c.goremal_emal_code == email_code,
        )
        .order_by(goremal.c.goremal_preferred_ind.desc(), goremal.c.goremal_email_address)
        .limit(1)
        .scalar_subquery()
    )
    preferred = _preferred_email()
    return (
        select(
            spriden.c.spriden_pidm.label("pidm"),
            spriden.c.spriden_id.label("banner_id"),
            spriden.c.spriden_last_name.label("last_name"),
            spriden.c.spriden_first_name.label("first_name"),
            spbpers.c.spbpers_pref_first_name.label("preferred_first_name"),
            spbpers.c.spbpers_confid_ind.label("confidential"),
            gobtpac.c.gobtpac_external_user.label("login"),
            typed.label("typed_email"),
            preferred.label("preferred_email"),
        )
        .select_from(
            spriden.outerjoin(spbpers, spbpers.c.spbpers_pidm == spriden.c.spriden_pidm).outerjoin(
                gobtpac, gobtpac.c.gobtpac_pidm == spriden.c.spriden_pidm
            )
        )
        .where(CURRENT_NAME, spriden.c.spriden_pidm.in_(pidms))
        .order_by(spriden.c.spriden_pidm)
    )
