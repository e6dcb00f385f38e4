"""The Banner tables the project reads and writes, as SQLAlchemy Core metadata.

Names are the real Banner names in lower case, so they render unquoted and resolve to the
upper-case Banner objects on Oracle (``SATURN.SPRIDEN`` etc. through public synonyms) while the
same definitions create the sandbox on SQLite and PostgreSQL. Only the columns the project uses
are declared; a real Banner table has more, which is harmless for Core statements.

Indicator columns hold ``'Y'``/``'N'``/NULL strings as in Banner, never booleans: several rules
depend on NULL meaning "no" (for example ``SIRASGN_PRIMARY_IND``).

``SZRCMNT`` is not a Banner table: it is this project's local extension for advising comments,
named by the Banner convention that institution-local objects carry a ``Z`` in the second letter.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Engine,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    inspect,
)

from tools.banner.errors import BannerNotSeeded

metadata = MetaData()

Pidm = Integer
Term = String(6)
Crn = String(5)
Ind = String(1)


def _money() -> Numeric[float]:
    return Numeric(11, 2, asdecimal=False)


def _gpa() -> Numeric[float]:
    return Numeric(23, 9, asdecimal=False)


def banner_columns(table: str, *, surrogate_key: bool = False) -> list[Column[object]]:
    """The housekeeping columns every Banner table carries, named after the table.

    With ``surrogate_key`` the surrogate id is the table's primary key and the database assigns
    it (an identity column): used for tables with no natural key, such as name history or holds,
    whose rows are then addressed by that id.
    """
    surrogate: Column[object] = (
        Column(
            f"{table}_surrogate_id",
            BigInteger().with_variant(Integer(), "sqlite"),
            Identity(),
            primary_key=True,
        )
        if surrogate_key
        else Column(f"{table}_surrogate_id", BigInteger)
    )
    return [
        Column(f"{table}_activity_date", DateTime, nullable=False),
        Column(f"{table}_user_id", String(30)),
        Column(f"{table}_data_origin", String(30)),
        surrogate,
        Column(f"{table}_version", Integer, nullable=False, default=0),
        Column(f"{table}_vpdi_code", String(6)),
    ]


# --- persons -------------------------------------------------------------------------------

spriden = Table(
    "spriden",
    metadata,
    Column("spriden_pidm", Pidm, nullable=False),
    Column("spriden_id", String(9), nullable=False),
    Column("spriden_last_name", String(60), nullable=False),
    Column("spriden_first_name", String(60)),
    Column("spriden_mi", String(60)),
    Column("spriden_change_ind", Ind),
    Column("spriden_entity_ind", Ind, nullable=False),
    Column("spriden_ntyp_code", String(4)),
    *banner_columns("spriden", surrogate_key=True),
    Index("spriden_key_index", "spriden_pidm", "spriden_change_ind", "spriden_id"),
    Index("spriden_id_index", "spriden_id", "spriden_change_ind"),
)

goremal = Table(
    "goremal",
    metadata,
    Column("goremal_pidm", Pidm, nullable=False),
    Column("goremal_emal_code", String(4), nullable=False),
    Column("goremal_email_address", String(128), nullable=False),
    Column("goremal_status_ind", Ind, nullable=False),
    Column("goremal_preferred_ind", Ind, nullable=False),
    *banner_columns("goremal", surrogate_key=True),
    Index("goremal_pidm_index", "goremal_pidm"),
)

gobtpac = Table(
    # The PIN/login table: GOBTPAC_EXTERNAL_USER is the campus login (SSO user name), the value
    # integrations such as Canvas's login_id are built from.
    "gobtpac",
    metadata,
    Column("gobtpac_pidm", Pidm, primary_key=True),
    Column("gobtpac_external_user", String(30)),
    *banner_columns("gobtpac"),
    Index("gobtpac_external_user_index", "gobtpac_external_user"),
)

spbpers = Table(
    "spbpers",
    metadata,
    Column("spbpers_pidm", Pidm, primary_key=True),
    Column("spbpers_pref_first_name", String(60)),
    Column("spbpers_confid_ind", Ind),  # 'Y': FERPA confidential, release nothing
    Column("spbpers_sex", Ind),  # STVSEX-style: F, M, N (not disclosed)
    Column("spbpers_ethn_cde", Ind),  # IPEDS ethnicity: 1 not Hispanic/Latino, 2 Hispanic/Latino
    Column("spbpers_birth_date", Date),
    Column("spbpers_citz_code", String(2)),  # STVCITZ: Y citizen, R resident, N non-resident
    *banner_columns("spbpers"),
)
"""Basic person data, one row per PIDM. Demographic columns are here for the de-identified
analytics (aggregates by sex and ethnicity); the profile shows them only to roles whose
``profile_fields.yaml`` view lists ``demographics``."""

# --- terms, catalog, sections --------------------------------------------------------------

stvterm = Table(
    "stvterm",
    metadata,
    Column("stvterm_code", Term, primary_key=True),
    Column("stvterm_desc", String(30), nullable=False),
    Column("stvterm_start_date", Date, nullable=False),
    Column("stvterm_end_date", Date, nullable=False),
    Column("stvterm_fa_proc_yr", String(4)),
    *banner_columns("stvterm"),
)

scbcrse = Table(
    "scbcrse",
    metadata,
    Column("scbcrse_subj_code", String(4), primary_key=True),
    Column("scbcrse_crse_numb", String(5), primary_key=True),
    Column("scbcrse_eff_term", Term, primary_key=True),
    Column("scbcrse_title", String(30)),
    Column("scbcrse_coll_code", String(2)),
    Column("scbcrse_dept_code", String(4)),
    Column("scbcrse_credit_hr_low", Numeric(7, 3, asdecimal=False)),
    *banner_columns("scbcrse"),
)

scrrtst = Table(
    "scrrtst",
    metadata,
    Column("scrrtst_subj_code", String(4), primary_key=True),
    Column("scrrtst_crse_numb", String(5), primary_key=True),
    Column("scrrtst_term_code_eff", Term, primary_key=True),
    Column("scrrtst_seqno", Integer, primary_key=True),
    Column("scrrtst_subj_code_preq", String(4)),
    Column("scrrtst_crse_numb_preq", String(5)),
    Column("scrrtst_levl_code", String(2)),
    Column("scrrtst_min_grde", String(6)),
    Column("scrrtst_concurrency_ind", Ind),
    *banner_columns("scrrtst"),
)
"""Catalog prerequisites (course rows only; Banner also keeps test-score rows here): a course
needs ``subj_code_preq crse_numb_preq`` with at least ``min_grde``, from ``term_code_eff``."""

ssbsect = Table(
    "ssbsect",
    metadata,
    Column("ssbsect_term_code", Term, primary_key=True),
    Column("ssbsect_crn", Crn, primary_key=True),
    Column("ssbsect_ptrm_code", String(3)),
    Column("ssbsect_subj_code", String(4), nullable=False),
    Column("ssbsect_crse_numb", String(5), nullable=False),
    Column("ssbsect_seq_numb", String(3), nullable=False),
    Column("ssbsect_ssts_code", Ind, nullable=False),
    Column("ssbsect_camp_code", String(3)),
    Column("ssbsect_crse_title", String(30)),
    Column("ssbsect_credit_hrs", Numeric(7, 3, asdecimal=False)),
    Column("ssbsect_max_enrl", Integer, nullable=False),
    Column("ssbsect_enrl", Integer, nullable=False),
    Column("ssbsect_seats_avail", Integer, nullable=False),
    Column("ssbsect_wait_capacity", Integer, nullable=False),
    Column("ssbsect_wait_count", Integer, nullable=False),
    Column("ssbsect_ptrm_start_date", Date),
    Column("ssbsect_ptrm_end_date", Date),
    Column("ssbsect_gradable_ind", Ind),
    *banner_columns("ssbsect"),
    Index("ssbsect_course_index", "ssbsect_subj_code", "ssbsect_crse_numb"),
)

sirasgn = Table(
    "sirasgn",
    metadata,
    Column("sirasgn_term_code", Term, primary_key=True),
    Column("sirasgn_crn", Crn, primary_key=True),
    Column("sirasgn_pidm", Pidm, primary_key=True),
    Column("sirasgn_category", String(2), primary_key=True),
    Column("sirasgn_primary_ind", Ind),
    Column("sirasgn_percent_response", Integer),
    *banner_columns("sirasgn"),
    Index("sirasgn_pidm_index", "sirasgn_pidm", "sirasgn_term_code"),
)

ssrxlst = Table(
    "ssrxlst",
    metadata,
    Column("ssrxlst_term_code", Term, primary_key=True),
    Column("ssrxlst_crn", Crn, primary_key=True),
    Column("ssrxlst_xlst_group", String(2), nullable=False),
    *banner_columns("ssrxlst"),
    Index("ssrxlst_group_index", "ssrxlst_term_code", "ssrxlst_xlst_group"),
)

# --- registration ---------------------------------------------------------------------------

stvrsts = Table(
    "stvrsts",
    metadata,
    Column("stvrsts_code", String(2), primary_key=True),
    Column("stvrsts_desc", String(30), nullable=False),
    Column("stvrsts_incl_sect_enrl", Ind, nullable=False),
    Column("stvrsts_wait_ind", Ind, nullable=False),
    Column("stvrsts_withdraw_ind", Ind, nullable=False),
    Column("stvrsts_gradable_ind", Ind, nullable=False),
    Column("stvrsts_auto_grade", String(6)),
    Column("stvrsts_voice_type", Ind),
    *banner_columns("stvrsts"),
)

sfrstcr = Table(
    "sfrstcr",
    metadata,
    Column("sfrstcr_term_code", Term, primary_key=True),
    Column("sfrstcr_pidm", Pidm, primary_key=True),
    Column("sfrstcr_crn", Crn, primary_key=True),
    Column("sfrstcr_rsts_code", String(2), nullable=False),
    Column("sfrstcr_rsts_date", Date, nullable=False),
    Column("sfrstcr_credit_hr", Numeric(7, 3, asdecimal=False)),
    Column("sfrstcr_gmod_code", Ind),
    Column("sfrstcr_grde_code", String(6)),
    Column("sfrstcr_grde_code_mid", String(6)),
    Column("sfrstcr_grde_date", Date),
    Column("sfrstcr_add_date", Date, nullable=False),
    Column("sfrstcr_levl_code", String(2), nullable=False),
    Column("sfrstcr_last_attend", Date),
    Column("sfrstcr_wl_priority", Integer),
    Column("sfrstcr_grde_code_incmp_final", String(6)),
    Column("sfrstcr_incomplete_ext_date", Date),
    *banner_columns("sfrstcr"),
    Index("sfrstcr_crn_index", "sfrstcr_term_code", "sfrstcr_crn", "sfrstcr_pidm"),
)

# --- student records ------------------------------------------------------------------------

sgbstdn = Table(
    "sgbstdn",
    metadata,
    Column("sgbstdn_pidm", Pidm, primary_key=True),
    Column("sgbstdn_term_code_eff", Term, primary_key=True),
    Column("sgbstdn_stst_code", String(2), nullable=False),
    Column("sgbstdn_levl_code", String(2), nullable=False),
    Column("sgbstdn_styp_code", Ind, nullable=False),
    Column("sgbstdn_majr_code_1", String(4)),
    Column("sgbstdn_astd_code", String(2)),
    Column("sgbstdn_term_code_astd", Term),
    Column("sgbstdn_full_part_ind", Ind),
    Column("sgbstdn_term_code_admit", Term),
    *banner_columns("sgbstdn"),
)

sgradvr = Table(
    "sgradvr",
    metadata,
    Column("sgradvr_pidm", Pidm, primary_key=True),
    Column("sgradvr_term_code_eff", Term, primary_key=True),
    Column("sgradvr_advr_pidm", Pidm, primary_key=True),
    Column("sgradvr_advr_code", String(4)),
    Column("sgradvr_prim_ind", Ind),
    *banner_columns("sgradvr"),
    Index("sgradvr_advr_index", "sgradvr_advr_pidm"),
)

shrtgpa = Table(
    "shrtgpa",
    metadata,
    Column("shrtgpa_pidm", Pidm, primary_key=True),
    Column("shrtgpa_term_code", Term, primary_key=True),
    Column("shrtgpa_levl_code", String(2), primary_key=True),
    Column("shrtgpa_gpa_type_ind", Ind, primary_key=True),
    Column("shrtgpa_hours_attempted", Numeric(11, 3, asdecimal=False)),
    Column("shrtgpa_hours_earned", Numeric(11, 3, asdecimal=False)),
    Column("shrtgpa_gpa_hours", Numeric(11, 3, asdecimal=False)),
    Column("shrtgpa_quality_points", Numeric(17, 6, asdecimal=False)),
    Column("shrtgpa_gpa", _gpa()),
    *banner_columns("shrtgpa"),
)

shrlgpa = Table(
    "shrlgpa",
    metadata,
    Column("shrlgpa_pidm", Pidm, primary_key=True),
    Column("shrlgpa_levl_code", String(2), primary_key=True),
    Column("shrlgpa_gpa_type_ind", Ind, primary_key=True),
    Column("shrlgpa_hours_attempted", Numeric(11, 3, asdecimal=False)),
    Column("shrlgpa_hours_earned", Numeric(11, 3, asdecimal=False)),
    Column("shrlgpa_gpa_hours", Numeric(11, 3, asdecimal=False)),
    Column("shrlgpa_quality_points", Numeric(17, 6, asdecimal=False)),
    Column("shrlgpa_gpa", _gpa()),
    *banner_columns("shrlgpa"),
)

# --- holds ------------------------------------------------------------------------------------

stvhldd = Table(
    "stvhldd",
    metadata,
    Column("stvhldd_code", String(2), primary_key=True),
    Column("stvhldd_desc", String(30), nullable=False),
    Column("stvhldd_reg_hold_ind", Ind),
    Column("stvhldd_trans_hold_ind", Ind),
    Column("stvhldd_grad_hold_ind", Ind),
    Column("stvhldd_grade_hold_ind", Ind),
    Column("stvhldd_ar_hold_ind", Ind),
    Column("stvhldd_disp_web_ind", Ind),
    *banner_columns("stvhldd"),
)

sprhold = Table(
    "sprhold",
    metadata,
    Column("sprhold_pidm", Pidm, nullable=False),
    Column("sprhold_hldd_code", String(2), nullable=False),
    Column("sprhold_user", String(30), nullable=False),
    Column("sprhold_from_date", Date, nullable=False),
    Column("sprhold_to_date", Date, nullable=False),
    Column("sprhold_release_ind", Ind, nullable=False),
    Column("sprhold_reason", String(30)),
    Column("sprhold_amount_owed", _money()),
    Column("sprhold_orig_code", String(4)),
    *banner_columns("sprhold", surrogate_key=True),
    Index("sprhold_pidm_index", "sprhold_pidm"),
)

# --- grades and academic history -----------------------------------------------------------

shrgrde = Table(
    "shrgrde",
    metadata,
    Column("shrgrde_code", String(6), primary_key=True),
    Column("shrgrde_levl_code", String(2), primary_key=True),
    Column("shrgrde_term_code_effective", Term, primary_key=True),
    Column("shrgrde_quality_points", Numeric(9, 3, asdecimal=False), nullable=False),
    Column("shrgrde_attempted_ind", Ind, nullable=False),
    Column("shrgrde_completed_ind", Ind, nullable=False),
    Column("shrgrde_passed_ind", Ind, nullable=False),
    Column("shrgrde_gpa_ind", Ind, nullable=False),
    Column("shrgrde_grde_status_ind", Ind, nullable=False),
    Column("shrgrde_web_entry_ind", Ind),
    Column("shrgrde_numeric_value", Integer),
    Column("shrgrde_last_date_attend_ind", Ind),
    Column("shrgrde_term_code_expired", Term),
    *banner_columns("shrgrde"),
)

shrtckn = Table(
    "shrtckn",
    metadata,
    Column("shrtckn_pidm", Pidm, primary_key=True),
    Column("shrtckn_term_code", Term, primary_key=True),
    Column("shrtckn_seq_no", Integer, primary_key=True),
    Column("shrtckn_crn", Crn),
    Column("shrtckn_subj_code", String(4), nullable=False),
    Column("shrtckn_crse_numb", String(5), nullable=False),
    Column("shrtckn_crse_title", String(30)),
    *banner_columns("shrtckn"),
    Index("shrtckn_crn_index", "shrtckn_term_code", "shrtckn_crn", "shrtckn_pidm"),
)

shrtckg = Table(
    "shrtckg",
    metadata,
    Column("shrtckg_pidm", Pidm, primary_key=True),
    Column("shrtckg_term_code", Term, primary_key=True),
    Column("shrtckg_tckn_seq_no", Integer, primary_key=True),
    Column("shrtckg_seq_no", Integer, primary_key=True),
    Column("shrtckg_grde_code_final", String(6), nullable=False),
    Column("shrtckg_credit_hours", Numeric(7, 3, asdecimal=False)),
    Column("shrtckg_gchg_code", String(2)),
    Column("shrtckg_final_grde_chg_date", Date),
    *banner_columns("shrtckg"),
)

# --- financial aid -------------------------------------------------------------------------

rorstat = Table(
    "rorstat",
    metadata,
    Column("rorstat_pidm", Pidm, primary_key=True),
    Column("rorstat_aidy_code", String(4), primary_key=True),
    Column("rorstat_pgrp_code", String(7)),
    Column("rorstat_bgrp_code", String(7)),
    Column("rorstat_tgrp_code", String(7)),
    Column("rorstat_all_req_comp_date", Date),
    Column("rorstat_pckg_comp_date", Date),
    *banner_columns("rorstat"),
)

rprawrd = Table(
    "rprawrd",
    metadata,
    Column("rprawrd_pidm", Pidm, primary_key=True),
    Column("rprawrd_aidy_code", String(4), primary_key=True),
    Column("rprawrd_fund_code", String(6), primary_key=True),
    Column("rprawrd_awst_code", String(4), nullable=False),
    Column("rprawrd_offer_amt", _money()),
    Column("rprawrd_accept_amt", _money()),
    Column("rprawrd_paid_amt", _money()),
    *banner_columns("rprawrd"),
)

rfrbase = Table(
    "rfrbase",
    metadata,
    Column("rfrbase_fund_code", String(6), primary_key=True),
    Column("rfrbase_fund_title", String(30), nullable=False),
    Column("rfrbase_fund_title_long", String(60)),
    *banner_columns("rfrbase"),
)

# --- local extension: advising comments ----------------------------------------------------

szrcmnt = Table(
    "szrcmnt",
    metadata,
    Column("szrcmnt_pidm", Pidm, nullable=False),
    Column("szrcmnt_term_code", Term, nullable=False),
    Column("szrcmnt_advr_pidm", Pidm, nullable=False),
    Column("szrcmnt_text", String(4000), nullable=False),
    Column("szrcmnt_confid_ind", Ind),
    *banner_columns("szrcmnt", surrogate_key=True),
    Index("szrcmnt_pidm_index", "szrcmnt_pidm", "szrcmnt_term_code"),
)


def require_tables(engine: Engine) -> None:
    """Refuse a database without the Banner tables, before a query fails on the first of them.

    Every command that reads Banner calls this first, so an empty or mistyped database is one
    readable line that says to seed it, not an ``OperationalError`` from deep inside a run.
    """
    found = inspect(engine)
    missing = [name for name in metadata.tables if not found.has_table(name)]
    if not missing:
        return
    where = engine.url.render_as_string(hide_password=True)
    if len(missing) == len(metadata.tables):
        raise BannerNotSeeded(f"the Banner database {where} has no Banner tables")
    shown = ", ".join(missing[:4]) + (", ..." if len(missing) > 4 else "")
    raise BannerNotSeeded(f"the Banner database {where} lacks the tables {shown}")
