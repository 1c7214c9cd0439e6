"""New rows and their history rows, written by the database instead of row by row in Python.

django-simple-history's ``bulk_create_with_history`` builds one historical model instance per row
in Python and inserts it like any other: for an import of 100 000 members that was a fifth of the
import's time (docs/benchmarks.md, issue #16). The history row of a row just inserted is a copy of
its columns plus who, when, why and "+": ``create_with_history`` inserts the rows, then copies them
into the history table with one ``INSERT … SELECT`` per batch, on any database. The history row
holds the same stored values, the encrypted ID number's token included (as the import's
``crypto.one_token_per_value`` already made them equal).

Where the history model has a column this does not know how to fill (a custom historical field, a
``history_relation``), or the database does not hand back the new rows' keys, it falls back to
django-simple-history's own function. The parity test (tests/core/test_history.py) compares the
rows both write.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, router, transaction
from django.dispatch import Signal
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, get_history_manager_for_model

# The history model's own columns, filled here; every other column is a copy of the row's.
HISTORY_COLUMNS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}

# Keys per INSERT … SELECT: below SQLite's historical limit of 999 bound parameters.
ID_BATCH = 900


def _copied_columns(model, history_model):
    """[(history column, row column)] or None when a history column has no source."""
    source = {field.name: field for field in model._meta.concrete_fields}
    pairs = []
    for field in history_model._meta.concrete_fields:
        if field.name in HISTORY_COLUMNS:
            continue
        if field.name not in source:
            return None
        pairs.append((field.column, source[field.name].column))
    return pairs


# --- the commits of each model's history ------------------------------------------------------------
#
# A figure cached per version of its data (stats.statistics.data_version) reads the version as the
# last row of each table's history. That alone misses a transaction which wrote an earlier history
# row and commits after one that wrote a later row: a figure computed between the two commits would
# be kept under a version that never changes for it. So each commit that wrote history rows of a
# model also counts up that model's counter in the shared cache, after the commit: the version is
# both. (A cache per process, the default without Redis, counts the commits of its own process.)

COMMITS_KEY = "hongfan:history-commits:"

# Sent once a commit that wrote history rows of a model is counted, with ``label`` (the model's
# ``app_label.model_name``): the versions read by ``data_version`` have changed. The statistics
# app listens to refill the dashboards' caches in the background (stats.warming).
history_committed = Signal()


class HistoryCommitCounter:
    """The on-commit callback counting one model's commits (one object per model, so that a
    transaction registers it once whatever the rows it writes)."""

    def __init__(self, label):
        self.key = COMMITS_KEY + label
        self.label = label

    def __call__(self):
        cache.add(self.key, 0, timeout=None)
        try:
            cache.incr(self.key)
        except ValueError:  # evicted between the two
            cache.set(self.key, 1, timeout=None)
        history_committed.send_robust(sender=HistoryCommitCounter, label=self.label)


_counters = {}


def history_written(model, *, using=None) -> None:
    """Counts a commit of ``model``'s history once the current transaction commits (at once
    outside one): every history row written calls it (``post_create_historical_record``, and the
    bulk writes below)."""
    label = model._meta.concrete_model._meta.label_lower
    counter = _counters.get(label) or _counters.setdefault(label, HistoryCommitCounter(label))
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and any(entry[1] is counter for entry in connection.run_on_commit):
        return
    transaction.on_commit(counter, using=using, robust=True)


def history_commits(*models) -> list[int]:
    """How many commits wrote history rows of each model (as counted in the cache): one read."""
    keys = [COMMITS_KEY + model._meta.concrete_model._meta.label_lower for model in models]
    found = cache.get_many(keys)
    return [found.get(key, 0) for key in keys]


def _history_row_written(sender, instance, **kwargs):
    history_written(type(instance), using=kwargs.get("using"))


def create_with_history(objs, model, *, batch_size=None, user=None, reason=None):
    """``bulk_create`` the rows, then their "+" history rows attributed to ``user`` with ``reason``;
    the same rows as ``simple_history.utils.bulk_create_with_history`` writes (one timestamp per
    call instead of one per row)."""
    if not objs:
        return objs
    history_model = get_history_manager_for_model(model).model
    pairs = _copied_columns(model, history_model)
    database = router.db_for_write(model)
    connection = connections[database]
    if (
        pairs is None
        or hasattr(history_model, "history_relation")
        or not connection.features.can_return_rows_from_bulk_insert
    ):
        with transaction.atomic(using=database, savepoint=False):
            history_written(model, using=database)
            return bulk_create_with_history(
                objs, model, batch_size=batch_size, default_user=user, default_change_reason=reason
            )
    with transaction.atomic(using=database, savepoint=False):
        created = model._default_manager.using(database).bulk_create(objs, batch_size=batch_size)
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return created
        history_written(model, using=database)
        if user is None:
            user = history_model.get_default_history_user(created[0])
        quote = connection.ops.quote_name
        user_field = history_model._meta.get_field("history_user")
        date_field = history_model._meta.get_field("history_date")
        targets = [quote(column) for column, _ in pairs] + [
            quote(date_field.column),
            quote(history_model._meta.get_field("history_change_reason").column),
            quote(history_model._meta.get_field("history_type").column),
            quote(user_field.column),
        ]
        sources = ", ".join(quote(column) for _, column in pairs)
        fixed = [
            date_field.get_db_prep_save(timezone.now(), connection),
            reason,
            "+",
            getattr(user, "pk", None),
        ]
        pk_column = quote(model._meta.pk.column)
        keys = [obj.pk for obj in created]
        with connection.cursor() as cursor:
            for start in range(0, len(keys), ID_BATCH):
                batch = keys[start : start + ID_BATCH]
                cursor.execute(
                    f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(targets)}) "
                    f"SELECT {sources}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
                    f"WHERE {pk_column} IN ({', '.join(['%s'] * len(batch))}) ORDER BY {pk_column}",
                    [*fixed, *batch],
                )
    return created


# --- aggregates cached per version of their data ----------------------------------------------------


def data_version(*models) -> tuple:
    """The version of these models' data, one string each: the last row of each one's history
    (simple_history writes one on every save and delete, and the imports one per row) and the count
    of commits that wrote its history (``history_written``: a transaction that wrote an earlier row
    but commits after a later one changes the count, not the last row). One query, an index
    look-up per model, and one read of the cache."""
    quote = connection.ops.quote_name
    reads = []
    for model in models:
        history = model.history.model._meta
        reads.append(f"(SELECT MAX({quote(history.pk.column)}) FROM {quote(history.db_table)})")
    commits = history_commits(*models)  # first: a commit counted after this read changes the next
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(reads))
        last = cursor.fetchone()
    return tuple(f"{value or 0}.{count}" for value, count in zip(last, commits, strict=True))


VERSIONED_CACHE_SECONDS = 6 * 3600  # a safety net: the key changes with the data anyway


def versioned_cache(key_parts, compute, *, version, seconds=VERSIONED_CACHE_SECONDS):
    """``compute()``, kept in the cache under ``key_parts`` and ``version`` (a ``data_version`` of
    every model ``compute`` reads, or a string made of them): the data is read once per change of
    it, not once per view."""
    if isinstance(version, tuple):
        version = "-".join(str(part) for part in version)
    key = "hongfan:" + ":".join(str(part) for part in (*key_parts, version))
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value
