"""The student search index: one row per student plus its trigrams, in the app database.

Why the app database and not Banner: in production Banner is Oracle and its schema belongs to
the institution (no new tables or Oracle Text indexes in SATURN); the index is a derived read
model, rebuilt at will (``bca search index``) and kept fresh from Banner's activity dates
(:meth:`StudentSearchIndex.refresh`), so only three plain SELECTs ever reach Banner (see
:mod:`tools.banner.queries.directory`, compiled for Oracle like every other statement).

Why trigrams: a misspelt surname ("Jonhson") shares few whole tokens with the right one but
many trigrams (see :mod:`tools.banner.search.trigrams`). Two ways to get candidates:

- ``pg_trgm`` on PostgreSQL: a GIN ``gin_trgm_ops`` index on the normalised names, queried
  with ``word_similarity`` (``<%``) at pg_trgm's 0.3 threshold;
- the **trigram table** everywhere else (SQLite, or a PostgreSQL without the extension): a
  ``(trigram, pidm)`` posting list under a primary key, candidates ranked by shared trigrams.

SQLite's FTS5 ``trigram`` tokenizer was rejected: it matches substrings, never a misspelling
(``"jonhson"`` shares only ``son`` with ``johnson`` there), so it would still need this table.
Either way the candidates are re-scored in Python with one similarity, so both backends rank
the same. Search text is only ever a bound parameter and is reduced to letters and digits
first, so ``%``, ``_``, quotes, ``;`` and ``--`` are just separators, never SQL or wildcards.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Literal

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from tools.banner import directory
from tools.banner.models import SearchEntry
from tools.banner.reads import Db
from tools.banner.search import trigrams

Backend = Literal["pg_trgm", "trigram_table"]
CANDIDATES = 300
"""Candidates fetched from the index before the exact re-scoring."""
BATCH = 500

metadata = MetaData()

student_search = Table(
    "student_search",
    metadata,
    Column("pidm", Integer, primary_key=True, autoincrement=False),
    Column("banner_id", String(9), nullable=False, index=True),
    Column("first_name", String(60)),
    Column("preferred_first_name", String(60)),
    Column("last_name", String(60), nullable=False),
    Column("level", String(2)),
    Column("email", String(128)),
    Column("confidential", String(1), nullable=False),
    Column("name_key", Text, nullable=False),  # the normalised words that are matched
)

student_search_trigram = Table(
    "student_search_trigram",
    metadata,
    Column("trigram", String(3), primary_key=True),
    Column("pidm", Integer, primary_key=True, autoincrement=False),
)

student_search_email = Table(
    "student_search_email",
    metadata,
    Column("address", String(128), primary_key=True),
    Column("pidm", Integer, primary_key=True, autoincrement=False),
)

student_search_state = Table(
    "student_search_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("cursor", DateTime),
    Column("built_at", DateTime),
)


def _local_parts(addresses: Iterable[str]) -> list[str]:
    return [address.split("@", 1)[0] for address in addresses]


def _name_words(entry: SearchEntry) -> list[str]:
    texts = [entry.first_name, entry.preferred_first_name, entry.last_name]
    texts += _local_parts(entry.addresses)
    return [w for t in texts for w in trigrams.words(t)]


def _chunks(items: Sequence[int]) -> Iterable[list[int]]:
    source = iter(items)
    while chunk := list(islice(source, BATCH)):
        yield chunk


class StudentSearchIndex:
    """Build, refresh and query the index in one (app) database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._backend: Backend | None = None
        self._trgm_schema = "public"  # where pg_trgm's operators live (qualified in SQL)

    @property
    def backend(self) -> Backend:
        """``pg_trgm`` when PostgreSQL has the extension, else the portable trigram table."""
        if self._backend is None:
            self._backend = "trigram_table"
            if self.engine.dialect.name == "postgresql":
                with self.engine.connect() as conn:
                    schema = conn.execute(
                        text(
                            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                            " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
                        )
                    ).scalar()
                if schema is not None:
                    self._backend, self._trgm_schema = "pg_trgm", str(schema)
        return self._backend

    def create(self) -> None:
        """Create the tables (idempotent); on PostgreSQL also pg_trgm and its GIN index."""
        metadata.create_all(self.engine)
        if self.engine.dialect.name != "postgresql":
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except DBAPIError:
            pass  # no rights to the extension: the trigram table serves PostgreSQL too
        self._backend = None
        if self.backend == "pg_trgm":
            with self.engine.begin() as conn:
                conn.execute(
                    text(
                        "CREATE INDEX IF NOT EXISTS student_search_name_trgm ON student_search"
                        f' USING gin (name_key "{self._trgm_schema}".gin_trgm_ops)'
                    )
                )

    def built(self) -> bool:
        """Whether a build has run."""
        with self.engine.connect() as conn:
            return conn.execute(select(student_search_state.c.built_at)).first() is not None

    def build(self, banner: Db) -> int:
        """Replace the index with every student in Banner; the number indexed."""
        cursor = directory.latest_activity(banner)
        entries = directory.search_entries(banner)
        with self.engine.begin() as conn:
            for table in (student_search_trigram, student_search_email, student_search):
                conn.execute(delete(table))
            self._insert(conn, entries)
            self._mark(conn, cursor, built=True)
        return len(entries)

    def refresh(self, banner: Db) -> int:
        """Re-index the students whose Banner rows changed since the last build or refresh.

        The cursor is read before the changes, so a change made while refreshing is picked up
        by the next refresh rather than lost. Returns how many students were re-indexed.
        """
        with self.engine.connect() as conn:
            since = conn.execute(select(student_search_state.c.cursor)).scalar()
        if since is None:
            return self.build(banner)
        cursor = directory.latest_activity(banner)
        changed = directory.changed_students(banner, since)
        with self.engine.begin() as conn:
            for chunk in _chunks(changed):
                for table in (student_search_trigram, student_search_email, student_search):
                    conn.execute(delete(table).where(table.c.pidm.in_(chunk)))
                self._insert(conn, directory.search_entries(banner, chunk))
            self._mark(conn, cursor or since, built=False)
        return len(changed)

    def _insert(self, conn: Connection, entries: list[SearchEntry]) -> None:
        rows, grams, emails = [], [], []
        for e in entries:
            name_words = _name_words(e)
            rows.append(
                {
                    "pidm": e.pidm,
                    "banner_id": e.banner_id,
                    "first_name": e.first_name,
                    "preferred_first_name": e.preferred_first_name,
                    "last_name": e.last_name,
                    "level": e.level,
                    "email": e.email,
                    "confidential": "Y" if e.confidential else "N",
                    "name_key": " ".join(name_words),
                }
            )
            grams += [
                {"trigram": g, "pidm": e.pidm}
                for g in sorted({g for w in name_words for g in trigrams.trigrams(w)})
            ]
            emails += [{"address": a.lower(), "pidm": e.pidm} for a in set(e.addresses)]
        for table, values in (
            (student_search, rows),
            (student_search_trigram, grams),
            (student_search_email, emails),
        ):
            for start in range(0, len(values), 5000):
                conn.execute(insert(table), values[start : start + 5000])

    def _mark(self, conn: Connection, cursor: datetime | None, *, built: bool) -> None:
        now = func.current_timestamp()
        exists = conn.execute(select(student_search_state.c.id)).first() is not None
        values: dict[str, object] = {"cursor": cursor}
        if built:
            values["built_at"] = now
        if exists:
            conn.execute(student_search_state.update().values(**values))
        else:
            conn.execute(insert(student_search_state).values(id=1, built_at=now, cursor=cursor))

    # -- querying -------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        among: Collection[int] | None = None,
        prefer: Collection[int] = (),
        limit: int = 20,
    ) -> list[tuple[SearchEntry, float]]:
        """Students matching a name fragment, Banner ID or e-mail, best first, with scores.

        ``among`` restricts the search to those PIDMs (an instructor's students) inside the
        index query itself, so a restricted caller's matches are never crowded out. ``prefer``
        (an advisor's advisees) is searched on its own as well and ranked after exact matches
        and before everyone else: among 30,000 students a misspelt surname has hundreds of
        close strangers, and the advisor means their own student.
        """
        raw = query.strip()
        query_words = trigrams.words(raw.split("@", 1)[0] if "@" in raw else raw)
        if not query_words:
            return []
        allowed = None if among is None else sorted(among)
        if allowed == []:
            return []
        with self.engine.connect() as conn:
            exact = self._exact(conn, raw, allowed)
            own = sorted(set(prefer) if allowed is None else set(prefer) & set(allowed))
            preferred = self._candidates(conn, query_words, own) if own else []
            candidates = self._candidates(conn, query_words, allowed)
            pidms = list(dict.fromkeys([*exact, *preferred, *candidates]))
            rows = [
                row
                for chunk in _chunks(pidms)
                for row in conn.execute(
                    select(student_search).where(student_search.c.pidm.in_(chunk))
                ).mappings()
            ]
            addresses: dict[int, list[str]] = {}
            for chunk in _chunks(pidms):
                for r in conn.execute(
                    select(student_search_email).where(student_search_email.c.pidm.in_(chunk))
                ):
                    addresses.setdefault(r.pidm, []).append(r.address)
        scored = []
        for row in rows:
            score = (
                1.0
                if row["pidm"] in exact
                else trigrams.score(query_words, row["name_key"].split())
            )
            if score <= 0:
                continue
            entry = SearchEntry(
                pidm=row["pidm"],
                banner_id=row["banner_id"],
                first_name=row["first_name"],
                last_name=row["last_name"],
                preferred_first_name=row["preferred_first_name"],
                confidential=row["confidential"] == "Y",
                level=row["level"],
                email=row["email"],
                addresses=tuple(sorted(addresses.get(row["pidm"], []))),
            )
            scored.append((entry, round(score, 3)))
        first = set(own)
        scored.sort(
            key=lambda m: (
                m[0].pidm not in exact,
                m[0].pidm not in first,
                -m[1],
                m[0].last_name,
                m[0].first_name or "",
                m[0].pidm,
            )
        )
        return scored[:limit]

    def _exact(self, conn: Connection, raw: str, allowed: list[int] | None) -> set[int]:
        """PIDMs whose current Banner ID or an active address is exactly the query."""
        by_id = select(student_search.c.pidm).where(student_search.c.banner_id == raw.upper())
        by_email = select(student_search_email.c.pidm).where(
            student_search_email.c.address == raw.lower()
        )
        found = {r.pidm for stmt in (by_id, by_email) for r in conn.execute(stmt)}
        return found if allowed is None else found & set(allowed)

    def _candidates(
        self, conn: Connection, query_words: list[str], allowed: list[int] | None
    ) -> list[int]:
        if self.backend == "pg_trgm":
            # Qualified by the extension's schema: it need not be on the search_path.
            trgm = f'"{self._trgm_schema}"'
            wanted = " ".join(query_words)
            conn.execute(text("SET LOCAL pg_trgm.word_similarity_threshold = 0.3"))
            stmt = (
                select(student_search.c.pidm)
                .where(text(f"student_search.name_key OPERATOR({trgm}.%>) :wanted"))
                .order_by(
                    text(f"{trgm}.word_similarity(:wanted, student_search.name_key) DESC"),
                    student_search.c.pidm,
                )
                .limit(CANDIDATES)
            )
            if allowed is not None:
                stmt = stmt.where(student_search.c.pidm.in_(allowed))
            found = [r.pidm for r in conn.execute(stmt, {"wanted": wanted})]
            conn.rollback()  # end the transaction SET LOCAL opened
            return found
        grams = sorted({g for w in query_words for g in trigrams.trigrams(w)})
        hits = func.count().label("hits")
        stmt = (
            select(student_search_trigram.c.pidm, hits)
            .where(student_search_trigram.c.trigram.in_(grams))
            .group_by(student_search_trigram.c.pidm)
            .order_by(hits.desc(), student_search_trigram.c.pidm)
            .limit(CANDIDATES)
        )
        if allowed is not None:
            stmt = stmt.where(student_search_trigram.c.pidm.in_(allowed))
        return [r.pidm for r in conn.execute(stmt)]
