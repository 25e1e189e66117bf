"""The sandbox's state: its configuration, faults, counters, tasks and uploaded files."""

from __future__ import annotations

import random
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from vtrix.base.record import field, record


@record
class Faults:
    """Injected faults and protocol modes. Rates are shares of requests (0..1). The modes let
    the sandbox play both what vtrix assumed and what the gateways' official clients imply
    (see :data:`MODES` for each one's values; the first is the default)."""

    error_rate: float = 0.0
    unavailable_rate: float = 0.0
    drop_rate: float = 0.0
    slow: float = 0.0
    submit_500: bool = False
    seed: int = 0
    cut_after: int = 0  # send this many bytes of an answer's body, then drop the connection
    drip: float = 0.0  # seconds between 4 KiB pieces of an answer's body
    submit_429: bool = False  # create the task, then answer the submit 429 (Retry-After: 1)
    answer_after: float = 0.0  # create (and charge) the task, then answer this many s later
    honour_idempotency: bool = False  # a repeated Idempotency-Key returns the first task
    visible_after: float = 0.0  # a new task answers 404 for this many seconds
    submit_form: str = "both"  # the vtrix submit body accepted: params, input or both
    progress_scale: str = "percent"  # vtrix task progress: percent, fraction or none
    modellix_async: str = "both"  # Modellix submit routes: both, new (no /async), old
    result_items: str = "object"  # Modellix result items: object, string, url, top
    status_words: str = "default"  # status words: default, alternate, unknown
    spec_dialect: str = "vtrix"  # vtrix specs as vtrix reads them, or "official" (loose)
    spec_drift: bool = False  # serve kirin_v3_i2v's spec as the live gateway has it

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        """Faults from JSON; an unknown key or a value of the wrong type is a ValueError."""
        kinds: dict[str, str] = cls.__annotations__  # "float", "bool", "int", "str"
        unknown = sorted(set(data) - set(kinds))
        if unknown:
            raise ValueError(f"unknown fault {', '.join(unknown)}; known: {', '.join(kinds)}")
        for name, value in data.items():
            want = kinds[name]
            if want == "str":
                if value not in MODES[name]:
                    raise ValueError(f"fault {name} must be one of {', '.join(MODES[name])}")
                continue
            ok = (
                isinstance(value, bool)
                if want == "bool"
                else (isinstance(value, (int, float)) and not isinstance(value, bool))
            )
            if not ok:
                raise ValueError(
                    f"fault {name} must be a {'boolean' if want == 'bool' else 'number'}"
                )
        return cls(**data)


MODES: dict[str, tuple[str, ...]] = {
    "submit_form": ("both", "params", "input"),
    "progress_scale": ("percent", "fraction", "none"),
    "modellix_async": ("both", "new", "old"),
    "result_items": ("object", "string", "url", "top"),
    "status_words": ("default", "alternate", "unknown"),
    "spec_dialect": ("vtrix", "official"),
}


@record
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0
    specs_dir: str | None = None
    task_seconds: float = 3.0
    accepted_keys: set[str] = field(default_factory=set)
    # Keys each gateway accepts on its own (empty: any key accepted_keys allows).
    gateway_keys: dict[str, set[str]] = field(default_factory=dict)
    broke_keys: set[str] = field(default_factory=set)
    balance: str | None = None  # each key's starting balance; submits spend it (None: unlimited)
    rate_limit: int = 0
    url_ttl: float = 24 * 3600
    max_upload: int = 100 * 1024 * 1024  # bytes; larger uploads get 413
    # Serve the vtrix specs' endpoints as committed (the real gateway's hosts) instead of
    # this sandbox: only for a byte-for-byte round trip; a client following them leaves.
    committed_endpoints: bool = False
    faults: Faults = field(default_factory=Faults)


@record
class SandboxTask:
    id: str
    provider: str
    model: str
    kind: str
    params: dict[str, Any]
    created: float  # monotonic
    seconds: float
    fail: str | None = None
    idempotency_key: str = ""
    created_wall: float = field(default_factory=time.time)  # what every answer reports
    canceled: bool = False  # a cancel reached it before it finished (fal)

    @property
    def completes_wall(self) -> float:
        return self.created_wall + self.seconds

    def progress(self, now: float) -> float:
        if self.seconds <= 0:
            return 100.0
        return min((now - self.created) / self.seconds * 100.0, 100.0)


class State:
    """Everything the routes share, guarded by one lock."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.stats: Counter[str] = Counter()
        self.tasks: dict[str, SandboxTask] = {}
        self.by_key: dict[str, SandboxTask] = {}  # Idempotency-Key -> the task it made
        self.files: dict[str, tuple[Path, str, str]] = {}  # id -> (on disk, name, type)
        self.upload_dir = Path(tempfile.mkdtemp(prefix="vtrix-sandbox-uploads-"))
        self.route_faults: dict[str, Faults] = {"*": config.faults}
        self.rng = random.Random(config.faults.seed)
        self.hits: dict[str, deque[float]] = {}
        self.media_jobs: dict[str, Future[tuple[bytes, str, str]]] = {}
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="media")
        self.spent: dict[str, Decimal] = {}  # key -> what its submits cost

    def charge(self, key: str, amount: Decimal) -> None:
        with self.lock:
            self.spent[key] = self.spent.get(key, Decimal(0)) + amount

    def balance_of(self, key: str) -> Decimal | None:
        """What ``key`` has left (None: no balance was set, so it never runs out)."""
        if self.config.balance is None:
            return None
        with self.lock:
            return Decimal(self.config.balance) - self.spent.get(key, Decimal(0))

    def faults_for(self, route: str) -> Faults:
        return self.route_faults.get(route) or self.route_faults["*"]

    def roll(self, rate: float) -> bool:
        with self.lock:
            return rate > 0 and self.rng.random() < rate

    def count(self, route: str) -> None:
        with self.lock:
            self.stats[route] += 1

    def rate_check(self, key: str) -> tuple[bool, int, float]:
        """(allowed, remaining, seconds until a slot frees) for ``key``'s last minute."""
        limit = self.config.rate_limit
        if limit <= 0:
            return True, 0, 0.0
        now = time.time()
        with self.lock:
            q = self.hits.setdefault(key, deque())
            while q and q[0] <= now - 60:
                q.popleft()
            if len(q) >= limit:
                return False, 0, 60 - (now - q[0])
            q.append(now)
            return True, limit - len(q), 60 - (now - q[0])

    def new_task(
        self, provider: str, model: str, kind: str, params: dict[str, Any], fail: str | None
    ) -> SandboxTask:
        # vtrix's and Modellix's ids carry a prefix; fal's and WaveSpeed's are bare UUIDs,
        # Replicate's 26 lower-case letters and digits.
        prefix = {"vtrix": "task_", "modellix": "task-"}.get(provider)
        ident = prefix + uuid.uuid4().hex[:12] if prefix else str(uuid.uuid4())
        task = SandboxTask(
            id=uuid.uuid4().hex[:26] if provider == "replicate" else ident,
            provider=provider,
            model=model,
            kind=kind,
            params=params,
            created=time.monotonic(),
            seconds=self.config.task_seconds,
            fail=fail,
        )
        with self.lock:
            self.tasks[task.id] = task
            self.stats["tasks_created"] += 1
        return task
