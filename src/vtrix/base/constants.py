"""Every environment variable vtrix reads, and every tunable it runs by, in one place.

Environment (read through :func:`env`, never ``os.environ`` elsewhere):

=========================  ==================================================================
``VTRIX_API_KEY``          the vtrix gateway's key (never sent to another gateway)
``MODELLIX_API_KEY``       Modellix's key (never sent to another gateway)
``VTRIX_PROFILE``          the config profile to use (``default``)
``VTRIX_BASE_URL``         the vtrix gateway (a loopback URL — a sandbox — moves every host)
``VTRIX_MODELS_URL``       the vtrix models service (catalog and specs)
``VTRIX_GENERATION_URL``   the vtrix generation gateway (submits and tasks)
``MODELLIX_BASE_URL``      the Modellix API
``MODELLIX_SCHEMA_URL``    the Modellix schema host
``FAL_KEY``                fal's key (sent as ``Key …``, to fal's hosts only)
``FAL_QUEUE_URL``          fal's queue (submits, status, results, cancel)
``FAL_API_URL``            fal's API (the catalog)
``FAL_SCHEMA_URL``         where fal serves each endpoint's OpenAPI document
``REPLICATE_API_TOKEN``    Replicate's token (sent as ``Bearer …``, to Replicate's hosts only)
``REPLICATE_BASE_URL``     Replicate's API (models, predictions, cancel)
``WAVESPEED_API_KEY``      WaveSpeed's key (sent as ``Bearer …``, to WaveSpeed's hosts only)
``WAVESPEED_BASE_URL``     WaveSpeed's API (models, submits, results, prices, balance)
``VTRIX_SUBMIT_FORM``      how a vtrix submit carries its parameters (``params`` or ``input``)
``VTRIX_LEDGER_URL``       a shared PostgreSQL ledger (else ``ledger.sqlite3`` in the data dir)
``VTRIX_CONFIG_DIR``       where the config file lives (else the platform's config dir)
``VTRIX_DATA_DIR``         where the ledger and journals live (else the platform's data dir)
``VTRIX_CACHE_DIR``        where live specs and catalogs are cached
``VTRIX_RATE_LIMIT``       requests a minute per key (0: no limit; else the gateway's own)
``VTRIX_MAX_RUNNING``      tasks running at once per key (0: no limit; else the gateway's own)
``VTRIX_MAX_UPLOAD``       the largest local file uploaded (``500M``; default 100 MiB)
``VTRIX_MCP_TOKEN``        the bearer token ``vtrix mcp`` asks of its clients
``VTRIX_SANDBOX_SPECS``    the specs folder ``vtrix sandbox`` serves
``HTTPS_PROXY`` …          proxies (``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, lower case too)
``REQUESTS_CA_BUNDLE``     a CA bundle (else ``SSL_CERT_FILE``; else requests' own)
``NO_COLOR``, ``TERM``     no colour on stderr (``TERM=dumb`` too); ``COLUMNS``: help width
``XDG_*_HOME``             the platform's dirs on Linux
=========================  ==================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping

ENVIRONMENT = frozenset(
    {
        "VTRIX_API_KEY",
        "MODELLIX_API_KEY",
        "VTRIX_PROFILE",
        "VTRIX_BASE_URL",
        "VTRIX_MODELS_URL",
        "VTRIX_GENERATION_URL",
        "MODELLIX_BASE_URL",
        "MODELLIX_SCHEMA_URL",
        "FAL_KEY",
        "FAL_QUEUE_URL",
        "FAL_API_URL",
        "FAL_SCHEMA_URL",
        "REPLICATE_API_TOKEN",
        "REPLICATE_BASE_URL",
        "WAVESPEED_API_KEY",
        "WAVESPEED_BASE_URL",
        "VTRIX_SUBMIT_FORM",
        "VTRIX_LEDGER_URL",
        "VTRIX_CONFIG_DIR",
        "VTRIX_DATA_DIR",
        "VTRIX_CACHE_DIR",
        "VTRIX_RATE_LIMIT",
        "VTRIX_MAX_RUNNING",
        "VTRIX_MAX_UPLOAD",
        "VTRIX_MCP_TOKEN",
        "VTRIX_SANDBOX_SPECS",
        "NO_COLOR",
        "TERM",
        "COLUMNS",
        "ANDROID_DATA",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
    }
)


def env(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of environment variable ``name``, stripped (``""`` when unset). Only the
    variables listed above are read; a name missing from the list is a bug."""
    if name not in ENVIRONMENT:
        raise KeyError(f"{name} is not one of the environment variables vtrix documents")
    return (os.environ if environ is None else environ).get(name, "").strip()


def environ() -> dict[str, str]:
    """The whole environment, for the few readers that take many names at once (the proxy
    variables, a key by its gateway's variable): :class:`vtrix.store.config.Settings`."""
    return dict(os.environ)


# --------------------------------------------------------------------------- network
CONNECT_TIMEOUT = 5.0  # seconds to open a connection
READ_TIMEOUT = 30.0  # seconds without a byte of an answer
READ_BUDGET = 30.0  # a read (a lookup, a poll) and all its retries end within this
READ_ATTEMPTS = 5  # attempts of a read before its failure is reported
SUBMIT_TIMEOUT = 60.0  # a submit without a deadline of its own
LOOKUP_ATTEMPTS = 2  # a lookup with a local fallback (a catalog, a spec) asks twice at most …
LOOKUP_BUDGET = 5.0  # … within this many seconds, then shows what this vtrix has
BACKOFF_BASE = 0.5  # the first delay between attempts (then doubled, with jitter)
BACKOFF_CAP = 8.0  # the longest delay between attempts
MAX_RETRY_AFTER = 86400.0  # a Retry-After longer than this is read as this
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # the largest JSON answer read
SLOW_UPLINK = 64 * 1024  # bytes a second an upload may crawl at before it fails
MAX_CA_BUNDLE = 16 * 1024**2  # a real bundle is a few hundred KB

# --------------------------------------------------------------------------- waiting
NOT_FOUND_GRACE = 10.0  # right after a submit, a lagging task store may answer 404 this long
MISSING_STRETCH = 120.0  # answers with no status at all for this long end a wait …
MISSING_POLLS = 3  # … over at least this many polls
LAST_POLL_AHEAD = 0.3  # the last poll comes this long before the deadline

# --------------------------------------------------------------------------- files
MAX_UPLOAD = 100 * 1024**2  # the largest local file uploaded (VTRIX_MAX_UPLOAD overrides)
MAX_DOWNLOAD = 2 * 1024**3  # the largest result file saved
MAX_REDIRECTS = 5  # redirects a download follows
MAX_FILE_SECONDS = 3600.0  # one file's own bound, without a --timeout

# --------------------------------------------------------------------------- ledger
LOCK_WAIT = 5.0  # seconds a SQLite write waits for another process's lock
PG_LOCK_WAIT_MS = 5000  # the same on PostgreSQL
PG_STATEMENT_MS = 30000  # no statement runs longer (a wedged server never hangs a run)
PG_CONNECT_S = 5  # seconds to connect to PostgreSQL
ID_WRITE_WAIT = 30.0  # seconds a task id write keeps trying before it is journaled
STALE_SUBMIT = 180.0  # a submit row older than this whose process is gone was never finished
SUBMIT_WAIT = 60.0  # a submit without a deadline of its own waits this long for room
MIN_ID_WAIT = 10.0  # a paid task's id write keeps trying at least this long, then journals
LOOK_EVERY = 5.0  # seconds between look-ups of one key's running tasks, per process
RATE_WINDOW = 60.0  # the window a key's requests a minute are counted over
HOLD_FRESH = 0.5  # seconds a key's hold, as read, is trusted (without a rate cap)

# --------------------------------------------------------------------------- caches
CACHE_TTL = 24 * 3600  # seconds a cached catalog or live spec is fresh
LIVE_SPEC_TTL = 600.0  # seconds a model's live spec, once checked, is used without asking
LIVE_SPEC_BOUND = 1.0  # the one look at a live spec before a submit ends within this
