"""full-text search over stored articles (SQLite FTS5, PostgreSQL tsvector)

Both backends index *folded* text, the way `monitor.fold.fold` folds terms: ё is е and the
Kazakh letters are their Russian neighbours (Ақтау is актау), zero-width characters and soft
hyphens are gone. Case is left to the tokenizers. The fold is written here in SQL, not called
from Python at store time, so every writer (store_items, a manual UPDATE, a later backfill) keeps
the index right, and this migration stays frozen even if monitor/fold.py changes. If fold.py gains
a letter, a new migration must rebuild the index with the new table.

- SQLite: `articles_search`, a contentless FTS5 table (rowid = articles.id; columns title,
  summary, text) filled by triggers on articles. Contentless: the article text is not stored
  twice; a delete hands FTS5 the same folded values the insert did. unicode61 with
  remove_diacritics 2 folds case and Latin accents (café, Kazakh Latin ä ö ü) but keeps й and ё
  apart from и and е, and knows no Kazakh letters: hence the fold.
  Caution: `batch_alter_table("articles")` on SQLite recreates the table and drops its triggers;
  a migration that does so must call `_create_triggers()`'s SQL again.
- PostgreSQL: `articles.search_vector`, a stored generated tsvector ('simple' config: no stemming,
  the word forms come from monitor.forms) weighted title A, summary B, text C, with a GIN index.

Text is indexed up to a length (title 2,000, summary 20,000, text 100,000 characters), the same on
both backends: a tsvector cannot exceed 1 MB, and an insert must never fail on a huge page.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# monitor.fold's table as of this migration (both cases: SQL replace() is case-sensitive), plus
# the invisible characters it drops. ʼ matters most of the apostrophes: the tokenizers take it for
# a letter, so unfolded "жазʼбай" would be one word where fold sees two.
_LETTERS = {
    "ё": "е", "Ё": "е",
    "ә": "а", "Ә": "а", "ғ": "г", "Ғ": "г", "қ": "к", "Қ": "к", "ң": "н", "Ң": "н",
    "ө": "о", "Ө": "о", "ұ": "у", "Ұ": "у", "ү": "у", "Ү": "у", "һ": "х", "Һ": "х",
    "і": "и", "І": "и", "İ": "i",
    "’": "'", "ʼ": "'", "‘": "'", "‐": "-", "‑": "-",
}
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
_INDEXED = {"title": 2_000, "summary": 20_000, "text": 100_000}  # characters of each column
_REPLACES_PER_SELECT = 10

_TABLE = "articles_search"
_TRIGGERS = ("articles_search_insert", "articles_search_delete", "articles_search_update")
_PG_INDEX = "ix_articles_search_vector"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"CREATE VIRTUAL TABLE {_TABLE} USING fts5(title, summary, text, content='',"
            " tokenize='unicode61 remove_diacritics 2')"
        )
        _create_triggers()
        op.execute(f"INSERT INTO {_TABLE}(rowid, title, summary, text) {_sqlite_folded('articles')}")
    else:
        op.execute(
            "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            f"{_pg_weighted('title', 'A')} || {_pg_weighted('summary', 'B')} || {_pg_weighted('text', 'C')}"
            ") STORED"  # adding it computes it for every stored article: the backfill
        )
        op.execute(f"CREATE INDEX {_PG_INDEX} ON articles USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute(f"DROP TABLE IF EXISTS {_TABLE}")
    else:
        op.execute(f"DROP INDEX IF EXISTS {_PG_INDEX}")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")


def _create_triggers() -> None:
    insert, delete, update = _TRIGGERS
    add_new = f"INSERT INTO {_TABLE}(rowid, title, summary, text) {_sqlite_folded('new')};"
    drop_old = (f"INSERT INTO {_TABLE}({_TABLE}, rowid, title, summary, text) "
                f"SELECT 'delete', * FROM ({_sqlite_folded('old')});")
    op.execute(f"CREATE TRIGGER {insert} AFTER INSERT ON articles BEGIN {add_new} END")
    op.execute(f"CREATE TRIGGER {delete} AFTER DELETE ON articles BEGIN {drop_old} END")
    op.execute(f"CREATE TRIGGER {update} AFTER UPDATE OF title, summary, text ON articles "
               f"BEGIN {drop_old} {add_new} END")


def _sqlite_folded(row: str) -> str:
    """SELECT id, title, summary, text of `row` (articles, or a trigger's new or old), folded.

    A few replace() calls per nested SELECT: SQLite's parser overflows (YYSTACKDEPTH) below 30
    nested calls in one expression, fewer inside a trigger, while each subquery starts afresh."""
    cut = ", ".join(f"substr(coalesce({row}.{column}, ''), 1, {limit}) AS {column}"
                    for column, limit in _INDEXED.items())
    query = f"SELECT {row}.id AS id, {cut}" + (f" FROM {row}" if row == "articles" else "")
    changes = [(ord(letter), plain) for letter, plain in _LETTERS.items()]
    changes += [(ord(invisible), "") for invisible in _INVISIBLE]
    for start in range(0, len(changes), _REPLACES_PER_SELECT):
        folded = []
        for column in _INDEXED:
            expression = column
            for code, replacement in changes[start:start + _REPLACES_PER_SELECT]:
                expression = f"replace({expression}, char({code}), {_quoted(replacement)})"
            folded.append(f"{expression} AS {column}")
        query = f"SELECT id, {', '.join(folded)} FROM ({query})"
    return query


def _pg_weighted(column: str, weight: str) -> str:
    # translate() deletes the characters of its second argument that the third one lacks.
    source, target = _quoted("".join(_LETTERS) + _INVISIBLE), _quoted("".join(_LETTERS.values()))
    folded = f"translate(left(coalesce({column}, ''), {_INDEXED[column]}), {source}, {target})"
    return f"setweight(to_tsvector('simple'::regconfig, {folded}), '{weight}')"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
