"""The gateways vtrix speaks, as one table: the single source for their names, key variables,
auth schemes, default URLs, routes, id shapes and what each can do. Everything else reads it
from here; what one gateway's wire looks like lives in its adapter (``vtrix.wire.<name>``)."""

from __future__ import annotations


class UrlSetting:
    """One of a gateway's hosts: its name, the variable that moves it, its default, and how
    it is named to users. (vtrix's and Modellix's hosts keep rules of their own: their base
    URL variables predate the table.)"""

    __slots__ = ("default", "label", "name", "variable")

    def __init__(self, name: str, variable: str, default: str, label: str) -> None:
        self.name, self.variable, self.default, self.label = name, variable, default, label


class Gateway:
    """One gateway's facts. (A plain class: start-up, docs/architecture.md.)"""

    __slots__ = (
        "auth_scheme",
        "can_cancel",
        "catalog_needs_key",
        "domain",
        "extra_headers",
        "flag_key",
        "has_upload",
        "id_needs_endpoint",
        "key_env",
        "label",
        "max_running",
        "name",
        "prefixed_ids",
        "profile_key",
        "rate_per_minute",
        "spec_depth",
        "task_prefix",
        "urls",
    )

    def __init__(
        self,
        name: str,  # "vtrix" or "modellix": the provider name used everywhere
        label: str,  # as written to users
        key_env: str,  # the environment variable of its API key
        task_prefix: str,  # what its task ids usually start with (a hint, never a rule)
        has_upload: bool,  # whether it has a media upload route
        catalog_needs_key: bool,  # whether listing its models takes an API key
        domain: str,  # its own DNS domain: https hosts under it may get its key
        extra_headers: tuple[tuple[str, str], ...] = (),  # sent to this gateway only
        rate_per_minute: int | None = None,  # its published request rate per key
        max_running: int | None = None,  # its published limit of tasks running at once
        auth_scheme: str = "Bearer",  # Authorization: <scheme> <key>
        can_cancel: bool = False,  # whether its protocol cancels a task
        id_needs_endpoint: bool = False,  # a task id is found only under its model's route
        profile_key: str = "",  # its key's name in a config profile
        flag_key: bool = True,  # whether --api-key (one key for "the" gateway) is its key too
        urls: tuple[UrlSetting, ...] = (),  # its hosts, each moved by its own variable
        prefixed_ids: bool = False,  # its model ids always carry "<name>:"
        spec_depth: int = 1,  # specs/<name>/: one file per id (2: a folder per vendor)
    ) -> None:
        self.name, self.label, self.key_env, self.task_prefix = name, label, key_env, task_prefix
        self.has_upload, self.catalog_needs_key = has_upload, catalog_needs_key
        self.domain, self.extra_headers = domain, extra_headers
        self.rate_per_minute, self.max_running = rate_per_minute, max_running
        self.auth_scheme, self.can_cancel = auth_scheme, can_cancel
        self.id_needs_endpoint = id_needs_endpoint
        self.profile_key, self.flag_key, self.urls = profile_key, flag_key, urls
        self.prefixed_ids, self.spec_depth = prefixed_ids, spec_depth

    def owns_host(self, host: str) -> bool:
        """Whether ``host`` is this gateway's own (its domain or a subdomain of it)."""
        host = host.lower().rstrip(".")
        return host == self.domain or host.endswith("." + self.domain)

    def __repr__(self) -> str:
        return f"Gateway({self.name!r})"


# The official vtrix client marks its requests with X-Source; Modellix's clients send no such
# header, so it goes to the vtrix gateway only.
VTRIX = Gateway(
    "vtrix",
    "vtrix",
    "VTRIX_API_KEY",
    "task_",
    False,
    False,
    "vtrix.ai",
    (("X-Source", "cli"),),
    profile_key="api_key",
)
# Modellix publishes about 100 requests a minute per key and about 3 tasks at once per team.
MODELLIX = Gateway(
    "modellix",
    "Modellix",
    "MODELLIX_API_KEY",
    "task-",
    True,
    True,
    "modellix.ai",
    rate_per_minute=100,
    max_running=3,
    profile_key="modellix_api_key",
    spec_depth=2,
)
# fal: a queue per endpoint on queue.fal.run, the catalog on api.fal.ai, OpenAPI documents on
# fal.ai; its key is sent as "Key <key>". Its ids are "fal:<endpoint>" (an endpoint has slashes).
FAL = Gateway(
    "fal",
    "fal",
    "FAL_KEY",
    "",
    False,
    True,
    "fal.run",
    auth_scheme="Key",
    can_cancel=True,
    id_needs_endpoint=True,
    profile_key="fal_api_key",
    flag_key=False,  # a key given for "the" gateway was meant for vtrix and Modellix
    prefixed_ids=True,
    urls=(
        UrlSetting("queue", "FAL_QUEUE_URL", "https://queue.fal.run", "fal queue URL"),
        UrlSetting("api", "FAL_API_URL", "https://api.fal.ai", "fal API URL"),
        UrlSetting("schema", "FAL_SCHEMA_URL", "https://fal.ai", "fal schema URL"),
    ),
)
# Replicate: models by owner/name (a version pinned after a second ":"), Cog schemas, and
# predictions created by model or by version; about 600 creates a minute.
REPLICATE = Gateway(
    "replicate",
    "Replicate",
    "REPLICATE_API_TOKEN",
    "",
    True,
    True,
    "replicate.com",
    rate_per_minute=600,
    can_cancel=True,
    profile_key="replicate_api_token",
    flag_key=False,
    prefixed_ids=True,
    urls=(
        UrlSetting("api", "REPLICATE_BASE_URL", "https://api.replicate.com", "Replicate base URL"),
    ),
)
# WaveSpeed: one catalog with a request schema per model, submits answered in a
# {code, message, data} envelope, prices quoted by the gateway itself; no cancel.
WAVESPEED = Gateway(
    "wavespeed",
    "WaveSpeed",
    "WAVESPEED_API_KEY",
    "",
    False,
    True,
    "wavespeed.ai",
    profile_key="wavespeed_api_key",
    flag_key=False,
    prefixed_ids=True,
    urls=(
        UrlSetting("api", "WAVESPEED_BASE_URL", "https://api.wavespeed.ai", "WaveSpeed base URL"),
    ),
)
GATEWAYS: dict[str, Gateway] = {g.name: g for g in (VTRIX, MODELLIX, FAL, REPLICATE, WAVESPEED)}
PROVIDERS: tuple[str, ...] = tuple(GATEWAYS)

# The models service of vtrix 1.0 (the official build scripts moved here from the retired
# seacloud host); pinned by a test.
DEFAULT_VTRIX_MODELS_URL = "https://cloud-model-spec.vtrix.ai"
DEFAULT_VTRIX_GENERATION_URL = "https://vtrix.ai"
DEFAULT_MODELLIX_URL = "https://api.modellix.ai"
DEFAULT_MODELLIX_SCHEMA_URL = "https://www.modellix.ai"
DEFAULT_FAL_QUEUE_URL = FAL.urls[0].default

# Every route of both gateways (the adapters, codegen's fetch and seed, the sandbox and
# its fault table read them here; nothing else writes a path).
VTRIX_MODELS_PREFIX = "/api/v1/skill/"  # the models service (public)
VTRIX_API_PREFIX = "/model/"  # the generation API (keyed)
MODELLIX_API_PREFIX = "/api/v1/"  # the Modellix API (keyed)
VTRIX_CATALOG_PATH = VTRIX_MODELS_PREFIX + "models"  # GET, paged; no key needed
VTRIX_SPEC_PATH = VTRIX_CATALOG_PATH + "/{model}/spec"  # GET
VTRIX_GENERATION_PATH = VTRIX_API_PREFIX + "v1/generation"  # POST a submit
VTRIX_TASK_PATH = VTRIX_GENERATION_PATH + "/task/{task}"  # GET a task
MODELLIX_CATALOG_PATH = "/api/v1/models"  # GET, paged; needs a key
MODELLIX_SCHEMA_PATH = "/models/{model}/api_schema"  # GET on the schema host
MODELLIX_SUBMIT_PATH = "/api/v1/{model}"  # POST; {model} is the provider/model slug
MODELLIX_TASK_PATH = "/api/v1/tasks/"  # + task id: GET a task
MODELLIX_UPLOAD_PATH = "/api/v1/media/files"  # POST a file (multipart)
MODELLIX_KEY_CHECK_PATH = "/api/v1/apikey/validate"  # GET: is this key accepted
MODELLIX_BALANCE_PATH = "/api/v1/team/balance"  # GET: the team's balance
FAL_CATALOG_PATH = "/v1/models"  # GET on the API host, cursor-paged; needs a key
FAL_SCHEMA_PATH = "/api/openapi/queue/openapi.json"  # GET ?endpoint_id=…; no key
FAL_STATUS_PATH = "/requests/{task}/status"  # after the app's path (fal_app_path): GET
FAL_RESULT_PATH = "/requests/{task}"  # after the app's path: GET
FAL_CANCEL_PATH = "/requests/{task}/cancel"  # after the app's path: PUT
FAL_NAMESPACES = ("workflows", "comfy")  # a first segment that is not an app's owner
REPLICATE_MODEL_PATH = "/v1/models/{model}"  # GET: a model and its latest version's schema
REPLICATE_VERSION_PATH = "/v1/models/{model}/versions/{version}"  # GET: one version
REPLICATE_CATALOG_PATH = "/v1/models"  # GET, paged by a "next" URL; needs a key
REPLICATE_MODEL_PREDICTIONS_PATH = "/v1/models/{model}/predictions"  # POST by model
REPLICATE_PREDICTIONS_PATH = "/v1/predictions"  # POST with a version; + /<id>: GET
REPLICATE_CANCEL_PATH = "/v1/predictions/{task}/cancel"  # POST
REPLICATE_ACCOUNT_PATH = "/v1/account"  # GET: whose token this is
REPLICATE_FILES_PATH = "/v1/files"  # POST a file (multipart field "content"): its URL
WAVESPEED_CATALOG_PATH = "/api/v3/models"  # GET, one page; needs a key
WAVESPEED_SUBMIT_PATH = "/api/v3/{model}"  # POST the input object
WAVESPEED_RESULT_PATH = "/api/v3/predictions/{task}/result"  # GET
WAVESPEED_PRICE_PATH = "/api/v3/model/price"  # POST {model_id, inputs}: a quote
WAVESPEED_BALANCE_PATH = "/api/v3/balance"  # GET

# A model id may name its gateway: "fal:fal-ai/flux/dev"; "vtrix:" and "modellix:" are
# accepted for the others (whose ids stay valid bare). fal's ids always carry it.
ID_PREFIXES = tuple(f"{name}:" for name in GATEWAYS)


def split_id(model_id: str) -> tuple[str | None, str]:
    """(the gateway a prefix names, the id without it); (None, id) for a bare id."""
    head, sep, rest = model_id.partition(":")
    if sep and head in GATEWAYS and rest:
        return head, rest
    return None, model_id


def provider_for_id(model_id: str) -> str:
    """The gateway a model id belongs to when no index says: the one its prefix names, else
    by its shape: ``a/b/c`` (an endpoint path) is fal's, ``provider/model`` slugs are
    Modellix's and bare ids vtrix's."""
    named, bare = split_id(model_id)
    if named:
        return named
    if bare.count("/") > 1:
        return FAL.name
    return MODELLIX.name if "/" in bare else VTRIX.name


def canonical_id(model_id: str) -> str:
    """``model_id`` as the gateway it names writes it: with its prefix where the gateway's
    ids carry one (``fal:…``), else without (``vtrix:kirin_v3_i2v`` is ``kirin_v3_i2v``)."""
    named, bare = split_id(model_id)
    owner = named or provider_for_id(bare)
    return f"{owner}:{bare}" if GATEWAYS[owner].prefixed_ids else bare


def provider_for_task(task_id: str) -> str | None:
    """The gateway a task id's shape suggests, or None when it suggests neither."""
    for g in GATEWAYS.values():
        if g.task_prefix and task_id.startswith(g.task_prefix):
            return g.name
    return None


# Older Modellix schemas name a submit route ending in /async; the official client (0.0.7)
# posts without it, and Modellix's own example app refuses it.
MODELLIX_LEGACY_SUFFIX = "/async"


def fal_app_path(endpoint_path: str) -> str:
    """The path of the fal app an endpoint belongs to (``/fal-ai/flux`` for
    ``/fal-ai/flux/dev``): a request is submitted to its endpoint, with the subpath, but its
    status, result and cancel routes are under the app alone, as the submit answer's URLs
    show (a namespace such as ``workflows/`` stays in front of the owner)."""
    parts = [p for p in endpoint_path.split("/") if p]
    keep = 3 if parts and parts[0] in FAL_NAMESPACES else 2
    return "/" + "/".join(parts[:keep])


def modellix_submit_path(slug: str) -> str:
    return MODELLIX_SUBMIT_PATH.format(model=slug)


def default_endpoint(provider: str, model_id: str) -> str:
    """The documented submit URL of a model on the real gateway."""
    if provider == MODELLIX.name:
        return DEFAULT_MODELLIX_URL + modellix_submit_path(model_id)
    if provider == FAL.name:
        return f"{DEFAULT_FAL_QUEUE_URL}/{split_id(model_id)[1]}"
    if provider == REPLICATE.name:
        model, _, version = split_id(model_id)[1].partition(":")
        path = REPLICATE_PREDICTIONS_PATH if version else REPLICATE_MODEL_PREDICTIONS_PATH
        return REPLICATE.urls[0].default + path.format(model=model)
    if provider == WAVESPEED.name:
        return WAVESPEED.urls[0].default + WAVESPEED_SUBMIT_PATH.format(model=split_id(model_id)[1])
    return DEFAULT_VTRIX_GENERATION_URL + VTRIX_GENERATION_PATH
