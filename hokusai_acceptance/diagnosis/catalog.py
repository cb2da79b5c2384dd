"""What each known failure means for the people who fix it, and the evidence it needs.

Every entry declares the facts (:mod:`.facts`) it **requires** -- all must hold -- and
the facts that **refute** it -- any one rules it out. Entries in the same **group**
compete to explain the same observations: the more of them the evidence leaves
standing, the lower the confidence. ``explained_by`` folds an entry into another one
when both are found (the other explains it too). Most entries come from the field
catalog (``shared/faults.md``); the rest are failures seen on deployments the suite
was run against, or follow from the contract.
"""

from __future__ import annotations

from dataclasses import dataclass


class Owner:
    INFRA = "infra team"
    API = "API team"
    AUTH = "auth service team"
    DEVELOPER = "model developer"
    SUITE = "suite maintainers"
    PRODUCT = "product owner"


class Kind:
    DEFECT = "defect"
    SECURITY = "security"
    UPGRADE_GAP = "upgrade gap"
    CONFIGURATION = "configuration"
    #: the deployment answers as the contract says in substance, otherwise in detail: the suite's business
    CONTRACT = "differs from the suite's contract"
    #: the product decided something that stops third-party developers: a decision to take, not a fault to fix
    POLICY = "policy"


#: what a reader must do about a finding of each kind, in one phrase
NATURE = {
    Kind.DEFECT: "a defect to fix",
    Kind.SECURITY: "a security defect to fix",
    Kind.UPGRADE_GAP: "an upgrade the deployment lacks",
    Kind.CONFIGURATION: "a setting to correct",
    Kind.CONTRACT: "the suite's contract to update (nothing to fix in the deployment)",
    Kind.POLICY: (
        "a product decision to confirm (the API refuses this on purpose; whether it should stays the product "
        "owner's call)"
    ),
}


COMPONENTS = (
    "load balancer",
    "Hokusai API",
    "auth service",
    "validation cache",
    "MLflow server",
    "model registry",
    "artifact storage",
    "API database",
    "message queue",
    "suite configuration",
)


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    root_cause: str
    recommendation: str
    owner: str
    components: tuple[str, ...]
    impact: int  # 1 (registration blocked) .. 5 (cosmetic); orders the report
    verify_tags: str  # behave selection that proves the fix
    developer_sees: str
    requires: tuple[str, ...]  # facts that must all hold; "a|b" means either
    refuted_by: tuple[str, ...] = ()
    group: str = ""
    kind: str = Kind.DEFECT
    explained_by: tuple[str, ...] = ()
    look_alikes: tuple[str, ...] = ()  # causes no client can tell apart from this one (named, never guessed)
    supports: tuple[str, ...] = ()  # facts that, when they hold, add evidence (and the scenarios it explains)
    consequence: bool = False  # folded into any finding that also explains all of its evidence

    @property
    def severity(self) -> str:
        if self.kind == Kind.SECURITY:
            return "critical" if self.impact <= 2 else "high"
        return {1: "critical", 2: "high", 3: "medium"}.get(self.impact, "low")


_E = Entry
CATALOG: list[Entry] = [
    # ------------------------------------------------------------ routing and the load balancer
    _E(
        "target-unreachable",
        "Nothing answers at the configured URL",
        "No connection could be opened: the URL is wrong, its DNS name does not resolve, or nothing listens there",
        "Check HOKUSAI_API_URL, the DNS record and that the load balancer exists",
        Owner.INFRA,
        ("load balancer",),
        1,
        "@smoke",
        "connection errors on every call",
        requires=("nothing_accepts_connections",),
        group="unreachable",
    ),
    _E(
        "alb-to-api-blocked",
        "Connections are accepted but nothing answers in time",
        "Calls to the target hang: the load balancer cannot reach healthy API targets (security-group egress to "
        ":8001 missing, health-check path or grace period wrong, /health slower than the check)",
        "Allow the load balancer -> API :8001 rule; lengthen the health-check grace period; give the load balancer "
        "a dependency-free probe (/health/alb)",
        Owner.INFRA,
        ("load balancer", "Hokusai API"),
        1,
        "@smoke and @health",
        "calls that hang until their client times out",
        requires=("target_hangs|lb_pages_after_waiting",),
        refuted_by=("api_answered", "lb_503_pages"),
        group="silent",
        look_alikes=(
            "the API itself accepting connections and answering nothing (a blocked event loop or an exhausted "
            "worker pool): a client sees the same silence",
        ),
    ),
    _E(
        "alb-no-rule",
        "The load balancer has no rule for the API paths",
        "No listener rule matches (rules attached only to the HTTP:80 listener, or the path is not routed), so the "
        "load balancer answers its own fixed 404",
        "Attach the path rules to the HTTPS:443 listener",
        Owner.INFRA,
        ("load balancer",),
        1,
        "@smoke",
        "the same bare 404 (not the API's) for every call",
        requires=("lb_plain_404",),
        refuted_by=("api_answered",),
        group="lb-no-rule",
    ),
    _E(
        "service-not-deployed",
        "The API service has no healthy targets",
        "The load balancer answers its own 503 on every path and nothing behind it answers: the ECS service is "
        "missing or its target group is not attached",
        "Deploy the service and attach its target group before switching traffic",
        Owner.INFRA,
        ("load balancer", "Hokusai API"),
        1,
        "@smoke",
        "the load balancer's own 503 page on every call",
        requires=("lb_503_pages",),
        refuted_by=("api_answered",),
        group="lb-no-target",
    ),
    _E(
        "api-crash-loop",
        "The API container keeps crashing",
        "The load balancer answers its own 502/504 at once for API paths and the API never answers: its task fails at "
        "start "
        "(import or syntax error, missing database secret, wrong CPU architecture image)",
        "Add a start-up smoke test to CI, build linux/amd64 images, put every secret in the task definition",
        Owner.API,
        ("Hokusai API",),
        1,
        "@smoke",
        "HTML '502 Bad Gateway' or '504 Gateway Time-out' pages on /api",
        requires=("lb_pages_at_once",),
        refuted_by=("api_answered", "target_hangs", "lb_pages_after_waiting"),
        group="silent",
    ),
    _E(
        "alb-api-path-to-mlflow",
        "/api/mlflow is routed to the MLflow server instead of the API",
        "MLflow's own HTML 404 answers /api/mlflow/* with or without a key, and the API never refuses a keyless "
        "call there: the load balancer rule for /api/mlflow/* forwards to the MLflow target group",
        "Point the /api/mlflow/* rule at the API target group",
        Owner.INFRA,
        ("load balancer",),
        1,
        "@smoke or @proxy",
        "MLflow client: '404 != 200. Response body: <!doctype html>...'",
        requires=("mlflow_pages_on_api_mount",),
        refuted_by=("no_key_refused_on_api_mount",),
        group="wrong-upstream",
    ),
    _E(
        "harness-false-result",
        "The URL does not point at a Hokusai API",
        "Something answers at the configured URL, but not with the Hokusai health document: a default port, another "
        "service or a placeholder",
        "Set HOKUSAI_API_URL to the registry's base URL; verify the target's identity before trusting any result",
        Owner.SUITE,
        ("suite configuration",),
        1,
        "@smoke",
        "answers that are not from Hokusai",
        requires=("foreign_health_answer",),
        refuted_by=("hokusai_health_document", "no_key_refused_by_api"),
        group="not-hokusai",
        kind=Kind.CONFIGURATION,
    ),
    # ------------------------------------------------------------ the API
    _E(
        "api-mount-missing",
        "The MLflow proxy route is missing from the API",
        "Authenticated calls under /api/mlflow get the API's own JSON 404 while keyless calls are refused: the "
        "/api/mlflow mount was removed",
        "Restore the /api/mlflow mount and add a route smoke test",
        Owner.API,
        ("Hokusai API",),
        1,
        "@proxy",
        "404 {'detail': 'Not Found'} after a successful key check",
        requires=("proxy_mount_missing",),
        refuted_by=("mlflow_served_on_api_mount",),
        group="mount",
    ),
    _E(
        "proxy-drops-delete-body",
        "The proxy drops the body of DELETE requests",
        "A DELETE sent with its JSON body reaches MLflow without it (MLflow answers 400 asking for the parameters "
        "the body held): the proxy forwards a body only for POST, PUT and PATCH, so no model, version, tag, alias or "
        "experiment can be deleted through it",
        "Forward request bodies for every method (DELETE included); add a delete round trip to the API's tests",
        Owner.API,
        ("Hokusai API", "model registry"),
        2,
        "@proxy and @writes",
        "400 INVALID_PARAMETER_VALUE on every delete; models cannot be removed",
        requires=("delete_body_lost",),
        refuted_by=("deletes_work",),
        group="delete-body",
    ),
    _E(
        "proxy-internal-error",
        "The proxy fails with its own internal error",
        "The API itself answers 500 on proxied calls: something other than a timeout or a refused connection broke "
        "its call to MLflow",
        "Read the API's log for the traceback at the time of the reproduction",
        Owner.API,
        ("Hokusai API",),
        2,
        "@proxy",
        "500 errors from the registry",
        requires=("api_proxy_internal_error",),
        group="proxy-500",
    ),
    _E(
        "health-probes-need-key",
        "Monitoring probes need an API key",
        "The auth middleware excludes only /health, so /ready, /version and /api/health/* answer 401 and a healthy "
        "API looks down to monitoring",
        "Exclude the probe paths from authentication",
        Owner.API,
        ("Hokusai API",),
        3,
        "@health",
        "nothing directly; monitoring and deploy health checks fail",
        requires=("probes_need_key",),
        group="probes",
        kind=Kind.UPGRADE_GAP,
    ),
    _E(
        "health-lies",
        "The health endpoint answers 200 while it is not healthy",
        "/health answers 200 while its own document reports it degraded or a dependency unhealthy, so load "
        "balancers and dashboards see green",
        "Answer 503 when unhealthy; give the load balancer a dependency-free probe; validate REDIS_URL at start",
        Owner.API,
        ("Hokusai API",),
        3,
        "@health",
        "intermittent failures that monitoring does not see",
        requires=("health_200_while_not_healthy",),
        group="health-200",
        kind=Kind.UPGRADE_GAP,
    ),
    _E(
        "health-reports-no-dependency",
        "The health report says nothing of the registry's dependencies",
        "/health answers healthy without reporting MLflow or the validation cache: monitoring that reads it sees "
        "green whatever fails behind the API",
        "Report each dependency's state in /health (or in a documented in-depth check that answers), and alarm on it",
        Owner.API,
        ("Hokusai API",),
        3,
        "@health",
        "nothing directly; an outage behind the API is found by developers before monitoring",
        requires=("health_names_no_dependency",),
        group="health-content",
    ),
    _E(
        "scopes-not-enforced",
        "A read-only key can write to the registry",
        "A key issued with read scope only created an entry: the API does not check scopes",
        "Enforce write scopes in the API; until then issue no read-only keys to people who must not write",
        Owner.API,
        ("Hokusai API", "model registry"),
        2,
        "@auth and @writes",
        "nothing: writes succeed with any valid key",
        requires=("read_only_key_wrote",),
        group="ro-wrote",
        kind=Kind.SECURITY,
    ),
    _E(
        "developers-not-isolated",
        "Any developer can change or delete another developer's models",
        "A write by one developer's key to a model, version, run or experiment another developer created was "
        "accepted: the API records no owner and checks none",
        "Record the caller's user id as the owner of every model, version, experiment and run "
        "created through the API; refuse writes by anyone else with 403, and let each token id be claimed by one "
        "model only. Until then, treat every registered model as changeable by any key holder",
        Owner.API,
        ("Hokusai API", "model registry"),
        2,
        "@registration and @security",
        "nothing: another developer's change or deletion succeeds",
        requires=("foreign_write_accepted",),
        group="isolation",
        kind=Kind.SECURITY,
        look_alikes=("the second key belongs to the same user as the first (check HOKUSAI_SECOND_API_KEY)",),
    ),
    _E(
        "token-id-not-unique",
        "A token id can be put on a second developer's model",
        "A developer tagged their own model version with a token id another developer's model already carries, and "
        "the registry accepted it: two models now claim one token",
        "Refuse (409) a hokusai_token_id that a model "
        "of another owner already carries; check the token ids registered so far for duplicates",
        Owner.API,
        ("Hokusai API", "model registry"),
        2,
        "@registration and @security",
        "nothing: the claim succeeds",
        requires=("token_claim_accepted",),
        group="token",
        kind=Kind.SECURITY,
    ),
    _E(
        "owner-not-recorded",
        "The registry does not record who registered a model",
        "Registered models and versions carry no owner: the API knows the caller from the key's validation but "
        "does not record it, so nobody can tell whose model a version is, and ownership cannot be enforced",
        "Record the caller's user id on every registered model and version the API creates (the "
        "reference gateway writes it as the tag 'hokusai.owner'), and show it in the registry",
        Owner.API,
        ("Hokusai API", "model registry"),
        3,
        "@registration and @writes",
        "nothing: registration works, but the model's owner is unknown",
        requires=("registry_records_no_owner",),
        group="owner",
    ),
    _E(
        "registry-open-without-key",
        "The registry is served without a key",
        "Registry data or the MLflow web UI answers on a public path without any key: anyone can read (and through "
        "the UI, change) models",
        "Route every public MLflow path through the API's authentication, or put the "
        "MLflow UI behind single sign-on; re-run the suite to confirm every keyless call is refused",
        Owner.INFRA,
        ("load balancer", "MLflow server"),
        1,
        "@proxy and @readonly",
        "nothing: which is the problem",
        requires=("registry_served_without_key",),
        group="open",
        kind=Kind.SECURITY,
    ),
    _E(
        "api-database-unhealthy",
        "The API's own database check fails",
        "/health reports postgres unhealthy while MLflow answers: this is the API's own database (its connection "
        "string or credentials), not MLflow's backend store",
        "Check the API's database URL and credentials "
        "(POSTGRES_URI / DB secret) and that the database accepts its connections",
        Owner.INFRA,
        ("API database",),
        3,
        "@health",
        "nothing on registration; features that need the API's database fail",
        requires=("health_reports_postgres_unhealthy",),
        group="api-db",
        explained_by=("mlflow-db-auth",),
    ),
    _E(
        "message-queue-unhealthy",
        "The API's message queue is unhealthy",
        "/health reports the message queue unhealthy while the validation cache is healthy",
        "Check the queue's URL and that it accepts the API's connections",
        Owner.INFRA,
        ("message queue",),
        4,
        "@health",
        "nothing on registration; queued work (notifications, pipelines) stalls",
        requires=("health_reports_message_queue_unhealthy",),
        refuted_by=("health_reports_redis_unhealthy",),
        group="queue",
    ),
    _E(
        "health-check-blocks-api",
        "A health check stalls the whole API",
        "While /health (or another dependency probe) waits on a dependency that does not answer, calls that are "
        "otherwise answered at once stall too: the check runs synchronously on the API's event loop, so every "
        "request waits for it",
        "Run dependency checks off the event loop (a worker thread) with short timeouts, "
        "and cache their result; give the load balancer a dependency-free probe (/health/alb)",
        Owner.API,
        ("Hokusai API",),
        2,
        "@health",
        "calls that hang for tens of seconds whenever monitoring checks health",
        requires=("health_stalls_the_api",),
        group="health-stall",
    ),
    _E(
        "health-misreports-mlflow",
        "The API's health check says MLflow is down while MLflow answers",
        "/health reports MLflow unhealthy (or /health/mlflow disconnected), yet MLflow served this run's calls "
        "through the proxy: the health check looks somewhere else (another URL, a path MLflow does not serve)",
        "Point the API's MLflow health check at the URL the proxy uses",
        Owner.API,
        ("Hokusai API",),
        3,
        "@health",
        "nothing directly; monitoring raises false alarms",
        requires=("health_reports_mlflow_unhealthy|health_reports_mlflow_disconnected", "mlflow_served_data"),
        group="health-mlflow",
    ),
    # ------------------------------------------------------------ authentication
    _E(
        "auth-service-down",
        "The auth service is failing",
        "The API cannot validate any key, issued or not, and the auth service fails when asked directly too: it "
        "answers 5xx, its load balancer answers for it, or nothing accepts connections at its address (its tasks "
        "are not running; a task that never starts because its secret or IAM role is misconfigured looks the "
        "same from outside)",
        "Restart or scale the auth service and alarm on it; check "
        "the task's secret ARNs and IAM role; serve cached validations meanwhile",
        Owner.AUTH,
        ("auth service",),
        1,
        "@auth and @smoke",
        "every authenticated call failing with the API's 'auth service error' (401 or 503)",
        requires=("auth_service_error_reported|auth_service_unavailable_reported|validation_broken",),
        refuted_by=("auth_service_accepts_key", "auth_service_timeout_reported", "validation_waits"),
        group="auth-path",
        supports=("auth_service_failing_directly",),
    ),
    _E(
        "auth-service-unreachable",
        "The API cannot reach the auth service",
        "The API cannot validate any key, issued or not, while the auth service, asked directly, works: the API "
        "cannot resolve or connect to it (its auth service URL, DNS name or security groups)",
        "Check the auth service URL the API uses, its DNS name and the security groups between them",
        Owner.INFRA,
        ("Hokusai API", "auth service"),
        1,
        "@auth and @smoke",
        "every authenticated call failing with the API's 'auth service unavailable' (401 or 503)",
        requires=("auth_service_unavailable_reported|validation_broken",),
        refuted_by=(
            "auth_service_failing_directly",
            "auth_service_error_reported",
            "auth_service_timeout_reported",
            "validation_waits",
        ),
        group="auth-path",
        supports=("auth_service_accepts_key",),
    ),
    _E(
        "auth-service-slow",
        "The auth service answers too slowly",
        "The API gives up on key validation after its own time limit: every failure to validate a key comes "
        "after the same wait",
        "Find why validation is slow (database, cold starts); keep the validation cache healthy so fewer calls "
        "reach it",
        Owner.AUTH,
        ("auth service",),
        1,
        "@auth",
        "key validation failing after the same wait on every call",
        requires=("auth_service_timeout_reported|validation_waits",),
        refuted_by=("auth_service_error_reported", "auth_service_unavailable_reported"),
        group="auth-path",
        supports=("auth_service_failing_directly",),
    ),
    _E(
        "auth-contract-mismatch",
        "API and auth service disagree on where the key travels",
        "The auth service accepts the key when asked as the contract says, but the API refuses it: the API sends "
        "the key in the JSON body while the auth service reads the Bearer header",
        "Align both on the Authorization: Bearer header; add contract tests between the two services",
        Owner.API,
        ("Hokusai API", "auth service"),
        1,
        "@auth and @smoke",
        "401 'invalid or expired key' for a key that is valid",
        requires=("valid_key_refused_as_invalid|key_refused_like_unknown_key", "auth_service_accepts_key"),
        refuted_by=("key_gets_past_auth", "validation_broken"),
        group="key-rejected",
    ),
    _E(
        "auth-service-id-mismatch",
        "The API validates keys for the wrong service",
        "The auth service accepts the key for service 'platform', but the API refuses it: the API sends another "
        "service_id (it was hard-coded 'ml-platform') and hides the auth service's message",
        "Configure AUTH_SERVICE_ID=platform; surface the auth service's detail in the API's error",
        Owner.API,
        ("Hokusai API", "auth service"),
        1,
        "@auth and @smoke",
        "401 'invalid or expired key' for a key that is valid",
        requires=("valid_key_refused_as_invalid|key_refused_like_unknown_key", "auth_service_accepts_key"),
        refuted_by=("key_gets_past_auth", "validation_broken"),
        group="key-rejected",
    ),
    _E(
        "key-not-valid",
        "The configured API key is not valid",
        "The registry refuses the configured key as invalid or expired, and the auth service (asked directly) "
        "refuses it too: the key was revoked, has expired, or was never issued",
        "Issue a new key and set HOKUSAI_API_KEY to it",
        Owner.DEVELOPER,
        ("suite configuration",),
        1,
        "@auth and @smoke",
        "401 'invalid or expired key'",
        requires=("valid_key_refused_as_invalid|key_refused_like_unknown_key", "auth_service_refuses_key"),
        refuted_by=("key_gets_past_auth", "validation_broken"),
        group="key-rejected",
        kind=Kind.CONFIGURATION,
    ),
    _E(
        "rate-limit-misreported",
        "Rate limiting is reported as an authentication failure",
        "The auth service's 429 is mapped to a 401 with no hint when to retry, and the API's "
        "own limiter runs before authentication so it never answers 429",
        "Map it to 429 with Retry-After; order the middleware auth-first",
        Owner.API,
        ("Hokusai API", "auth service"),
        2,
        "@errors or @auth",
        "401 'rate limit' with no hint when to retry",
        requires=("auth_rate_limit_as_401",),
        group="rate-401",
        supports=("auth_service_rate_limits_directly",),
    ),
    _E(
        "key-over-its-limit",
        "The configured key has used up its hourly request quota",
        "The API answers 429 to the configured key: its rate_limit_per_hour is spent",
        "Wait for the window in Retry-After, or raise the key's limit with the auth service team",
        Owner.DEVELOPER,
        ("auth service",),
        3,
        "@errors",
        "429 with Retry-After",
        requires=("key_over_its_limit",),
        group="rate-429",
        kind=Kind.CONFIGURATION,
    ),
    _E(
        "missing-write-scope",
        "The configured key cannot write to the registry",
        "Writes with the configured key are refused 403 for lack of scope while reads work: the key lacks "
        "model:write / mlflow:write",
        "Issue keys with write scope; document which scopes registration needs",
        Owner.AUTH,
        ("auth service", "model registry"),
        2,
        "@registration and @writes",
        "403 Forbidden on model registration while reads work",
        requires=("writes_refused_for_scope",),
        refuted_by=("registry_reads_refused_403",),
        group="scope",
    ),
    _E(
        "registry-closed-to-developer-keys",
        "The model registry admits only admin keys: developers' keys cannot register",
        "The API accepts developers' keys (no 401) but refuses their registry calls with 403, reads included: this "
        "API admits to /api/mlflow only keys with an admin role or scope, which these keys do not have. The refusal "
        "names the missing role, so it looks deliberate, not broken; while it stands, a third-party developer's key "
        "cannot register a model",
        "Decide whether third-party developers may register models: if yes, grant their keys the registry role "
        "(or let keys with write scope into /api/mlflow); if no, tell developers which key registers for them",
        Owner.PRODUCT,
        ("model registry", "Hokusai API"),
        1,
        "@registration or @proxy",
        "403 on every registry call, reads included, with a key that is otherwise valid",
        requires=("registry_reads_refused_403|other_keys_refused_registry_role",),
        supports=("writes_refused_for_scope",),
        group="scope",
        kind=Kind.POLICY,
    ),
    _E(
        "key-without-balance",
        "The configured key has no balance left",
        "The API refuses the configured key's calls outside the registry with 402: the key's account has no "
        "balance (the API charges every such call)",
        "Top up the balance of the account the key belongs to, or use a key whose account has balance",
        Owner.DEVELOPER,
        ("Hokusai API",),
        2,
        "@smoke",
        "402 (no balance) on the API's own routes",
        requires=("calls_refused_for_payment",),
        group="balance",
        kind=Kind.CONFIGURATION,
    ),
    _E(
        "redis-cache-down",
        "The validation cache (Redis) is unreachable",
        "/health reports Redis unhealthy: the API cannot reach its cache (wrong URL, or TLS/auth mismatch: "
        "rediss:// with a token), so every request pays a full auth round trip",
        "Fix the Redis URL (rediss:// and the auth token); alarm on cache misses",
        Owner.INFRA,
        ("validation cache",),
        3,
        "@health or @auth",
        "every call slower by an auth round trip",
        requires=("health_reports_redis_unhealthy",),
        group="cache",
    ),
    # ------------------------------------------------------------ MLflow behind the API
    _E(
        "mlflow-db-auth",
        "MLflow cannot log in to its database",
        "MLflow never answers (the API cannot connect to it) and /health reports the database unhealthy: the MLflow "
        "server does not start because the database user or password in its backend store URI is wrong",
        "Pass the database password as a secret and URL-encode it in the backend store URI",
        Owner.INFRA,
        ("MLflow server", "model registry"),
        1,
        "@smoke or @proxy",
        "502/503 errors on every registry call",
        requires=("mlflow_unreachable_from_api|lb_503_pages", "health_reports_postgres_unhealthy"),
        refuted_by=("mlflow_answered",),
        group="mlflow-down",
        supports=("health_probes_report_mlflow_down",),
    ),
    _E(
        "mlflow-dns-failure",
        "The API cannot connect to the MLflow server",
        "After accepting the key the API answers at once that it cannot reach MLflow, and its own health check "
        "does not reach MLflow either: MLflow does not run, or the API cannot resolve or connect to it (service "
        "discovery entry missing, wrong namespace)",
        "Register MLflow in service discovery; check MLFLOW_SERVER_URL and that MLflow runs",
        Owner.INFRA,
        ("MLflow server", "model registry"),
        1,
        "@smoke or @proxy",
        "502/503 on every registry call ('cannot connect to MLflow')",
        requires=("mlflow_unreachable_from_api",),
        refuted_by=("mlflow_answered", "health_probes_report_mlflow_up"),
        group="mlflow-down",
        supports=("health_probes_report_mlflow_down",),
    ),
    _E(
        "proxy-cannot-reach-mlflow",
        "The API's proxy cannot reach MLflow, though the API's health check can",
        "After accepting the key the API answers that it cannot reach MLflow, while its own health check reports "
        "MLflow reachable: the proxy and the health check use different MLflow addresses, or the proxy's "
        "connection settings are wrong",
        "Point the proxy at the MLflow URL the health check uses (MLFLOW_SERVER_URL) and compare the two in the "
        "API's configuration",
        Owner.API,
        ("Hokusai API", "MLflow server"),
        1,
        "@smoke or @proxy",
        "502/503 on every registry call while /health says MLflow is fine",
        requires=("mlflow_unreachable_from_api", "health_probes_report_mlflow_up"),
        refuted_by=("mlflow_answered",),
        group="mlflow-down",
    ),
    _E(
        "mlflow-unresponsive",
        "MLflow accepts connections but does not answer",
        "Registry calls wait out the API's time limit towards MLflow (its 504) or the client's own timeout, while "
        "keyless calls are refused at once and unknown keys refused promptly: the API is up, key validation "
        "works, and MLflow behind it hangs "
        "(overloaded, deadlocked on its database pool, or its database hangs)",
        "Restart MLflow and look at its "
        "database connections and worker count; size its database pool to at least twice its concurrent requests",
        Owner.INFRA,
        ("MLflow server",),
        1,
        "@smoke or @proxy",
        "registry calls that hang, then 504 or a client timeout",
        requires=("small_calls_time_out|registry_calls_hang",),
        refuted_by=(
            "auth_service_timeout_reported",
            "validation_waits",
            "mlflow_unreachable_from_api",
            "health_stalls_the_api",
        ),
        group="mlflow-hangs",
        supports=("health_probes_report_mlflow_down",),
    ),
    _E(
        "registry-slow",
        "Registry calls are many times slower than they should be",
        "Registry calls with a key take many times their budget while calls refused at the front door and keys "
        "refused by the API stay prompt: the time is spent behind the API, in MLflow or on its way to it (writes "
        "only: its database or artifact store)",
        "Find the slow hop behind the API: MLflow's request latency and its database's commit latency, and the "
        "network between the API and MLflow",
        Owner.INFRA,
        ("MLflow server",),
        2,
        "@smoke",
        "every registration taking many times longer than it should",
        requires=("registry_writes_slow|registry_reads_slow",),
        refuted_by=("front_door_slow", "validation_slow"),
        group="slow-registry",
        look_alikes=("a slow network or proxy between the API and MLflow (no client can see that hop alone)",),
    ),
    _E(
        "front-door-slow",
        "Every call is slow, refusals included",
        "Even calls without a key, which the API refuses without asking any dependency, take many times their "
        "budget: the time is spent before or in the API's front door (the load balancer, the network to it, or "
        "an overloaded API)",
        "Check the load balancer's latency metrics and the API's CPU and request queue",
        Owner.INFRA,
        ("load balancer",),
        2,
        "@smoke",
        "every call, even a refused one, taking seconds",
        requires=("front_door_slow",),
        group="slow-front",
        look_alikes=("an overloaded Hokusai API (its own answers late)",),
    ),
    _E(
        "auth-validation-slow",
        "Validating a key is slow",
        "A key Hokusai never issued is refused only after a wait while calls without a key are refused at once: "
        "the API's round trip to its auth service is slow",
        "Find why validation is slow (the auth service's latency, the validation cache); alarm on it",
        Owner.AUTH,
        ("auth service",),
        2,
        "@auth",
        "every authenticated call slower by the validation's wait",
        requires=("validation_slow",),
        refuted_by=("front_door_slow", "validation_broken"),
        group="slow-auth",
        look_alikes=("a slow network between the API and the auth service",),
    ),
    _E(
        "auth-headers-stripped",
        "MLflow wants credentials the proxy strips",
        "Writes that carry a valid key are refused 401 behind the API while reads with the same key work: MLflow "
        "now authenticates writes itself, but the proxy removes Authorization before forwarding",
        "Forward the auth headers to MLflow, or authenticate the proxy to MLflow",
        Owner.API,
        ("Hokusai API", "MLflow server"),
        2,
        "@registration and @writes",
        "401 asking for a key on registration writes although the key was sent",
        requires=("writes_refused_401_with_key", "reads_work_with_key"),
        group="mlflow-auth",
    ),
    _E(
        "key-form-not-forwarded",
        "A key the API accepts in one form is refused behind it",
        "A key sent in a form other than a Bearer header (the api_key query parameter, the X-API-Key or ApiKey "
        "header) passes the API's check, but the call is refused by what stands behind the API, while the same key "
        "as a Bearer header works: the proxy forwards the credential only in the form it arrived, and the registry "
        "behind it reads only a Bearer header",
        "Forward the key the API accepted to the registry as a Bearer header, whatever form it came in (or stop "
        "accepting the other forms and say so in the API's documentation)",
        Owner.API,
        ("Hokusai API", "MLflow server"),
        2,
        "@auth",
        "401 from behind the API (the registry's own key check) for a key that works as a Bearer token",
        requires=("key_form_refused_behind_api",),
        group="mlflow-auth",
    ),
    _E(
        "artifacts-disabled",
        "Artifact storage is switched off",
        "The API itself refuses artifact calls while tracking works: MLflow was not started with --serve-artifacts "
        "or the API's artifact gate is off, so model upload fails",
        "Deploy MLflow with --serve-artifacts and the artifact store; set MLFLOW_SERVE_ARTIFACTS=true in the API",
        Owner.INFRA,
        ("artifact storage",),
        2,
        "@registration or @proxy",
        "the API refusing artifact calls (503, or 404) when the model files upload",
        requires=("artifacts_disabled_answer",),
        group="artifacts-off",
        supports=("health_reports_artifacts_unhealthy",),
    ),
    _E(
        "artifact-route-hairpin",
        "Artifact calls loop through the public load balancer",
        "Artifact calls get 404 for an ajax-api path while tracking works: the proxy points at the public MLflow "
        "URL, so artifact paths are rewritten to the public ajax-api form that the internal route does not serve",
        "Point the proxy at the internal MLflow URL and keep artifact paths as /api/2.0/mlflow-artifacts",
        Owner.API,
        ("artifact storage", "Hokusai API"),
        2,
        "@registration or @proxy",
        "log_model fails with 404 on .../mlflow-artifacts/artifacts/...",
        requires=("artifact_calls_404_ajax",),
        refuted_by=("artifact_calls_work",),
        group="artifact-route",
        supports=("health_reports_artifacts_unhealthy",),
    ),
    _E(
        "artifact-store-permission",
        "MLflow cannot use its artifact store",
        "Artifact upload/download fails with server errors from MLflow while tracking calls work: the MLflow task "
        "cannot read or write its artifact store (IAM role lacks s3:PutObject / s3:ListBucket, or a volume is "
        "read-only)",
        "Fix the artifact store's permissions (IAM policy)",
        Owner.INFRA,
        ("artifact storage",),
        2,
        "@registration or @proxy",
        "500 errors while the model files upload or download",
        requires=("artifact_calls_fail_5xx", "tracking_works"),
        refuted_by=("artifact_calls_work",),
        group="artifact-store",
        supports=("health_reports_artifacts_unhealthy",),
    ),
    _E(
        "proxy-buffering-limits",
        "Large models time out in the proxy",
        "Only artifact calls end in the API's 504: the proxy buffers whole bodies under one time limit, so large "
        "uploads/downloads fail",
        "Stream request and response bodies; give artifact routes a longer timeout",
        Owner.API,
        ("Hokusai API", "artifact storage"),
        3,
        "@registration and @slow",
        "504 for big models only",
        requires=("large_artifacts_time_out",),
        refuted_by=("small_calls_time_out",),
        group="buffering",
    ),
    _E(
        "mlflow-generation-mismatch",
        "MLflow 3 clients meet an MLflow 2.x server",
        "The registry runs an MLflow 2.x server (the 2025 generation), which has no logged-models or server-info "
        "API: an MLflow 3 client's log_model(..., registered_model_name=...) fails with 404 on .../logged-models, "
        "while runs, artifacts, register_model('runs:/<run>/model'), tags and load_model work",
        "Upgrade the MLflow server to 3.x (the client generation developers install today); until then, tell "
        "developers to pin mlflow<3 or to register with the compatible path (log the model files as run "
        "artifacts, then mlflow.register_model('runs:/<run_id>/model', name))",
        Owner.INFRA,
        ("MLflow server", "model registry"),
        2,
        "@registration",
        "log_model fails with 404 RESOURCE_NOT_FOUND on .../api/2.0/mlflow/logged-models",
        requires=("mlflow_server_2x", "mlflow_client_3x"),
        group="generation",
        kind=Kind.UPGRADE_GAP,
        supports=("logged_models_missing",),
    ),
    _E(
        "unexpected-version",
        "The deployed version is not the one expected",
        "The target reports another version or commit than HOKUSAI_EXPECTED_VERSION / HOKUSAI_EXPECTED_COMMIT: the "
        "deployment did not happen, rolled back, or went to another environment",
        "Check the deployment pipeline's last run and the running task definition's image tag",
        Owner.INFRA,
        ("Hokusai API",),
        2,
        "@smoke",
        "whatever the other version does",
        requires=("version_differs_from_expected",),
        group="version",
        kind=Kind.CONFIGURATION,
    ),
    # ------------------------------------------------------------ requests generated from the contract (@fuzz)
    _E(
        "mlflow-fails-on-generated-requests",
        "MLflow answers some malformed requests with a server error",
        "MLflow does not check the shape of every request before using it: a JSON body that is not an object (for "
        "example []), or a page token it never issued, fails inside the server and comes back as HTTP 500 (its "
        "HTML error page or INTERNAL_ERROR) instead of 400 INVALID_PARAMETER_VALUE",
        "Report each reproduction to MLflow (or upgrade to a release that refuses it with 400); meanwhile have "
        "the API refuse an MLflow request whose JSON body is not an object with 400 before forwarding it",
        Owner.API,
        ("MLflow server",),
        4,
        "@fuzz",
        "HTTP 500 'Internal Server Error' (or INTERNAL_ERROR) for their own malformed request, which looks like an "
        "outage",
        requires=("mlflow_fails_on_generated_requests",),
        group="generated-mlflow",
    ),
    _E(
        "api-fails-on-generated-requests",
        "The API fails with a server error on some requests it should refuse",
        "An error in the API's own code, before or instead of forwarding: the answer is the API's own (its JSON, "
        "or a bare error that none of MLflow's relayed answers looks like). A credential with control characters, "
        "copied into the call to the auth service, is one such request",
        "Reproduce with the listed command; refuse a malformed credential with 401 and turn any other error of a "
        "request into a 4xx or 503 with a JSON detail",
        Owner.API,
        ("Hokusai API",),
        3,
        "@fuzz",
        "HTTP 500 'Internal Server Error' from the API for a request it should refuse",
        requires=("api_fails_on_generated_requests",),
        group="generated-api",
    ),
    _E(
        "lb-fails-on-generated-requests",
        "Some requests make the load balancer answer for the API",
        "The API crashed, hung or dropped the connection on these requests, so the load balancer answered with its "
        "own 502, 503 or 504 page",
        "Send the listed reproduction to the API directly (inside the network) to see "
        "its own answer and log; make the API refuse the request instead",
        Owner.API,
        ("load balancer", "Hokusai API"),
        3,
        "@fuzz",
        "the load balancer's error page for their request",
        requires=("lb_fails_on_generated_requests",),
        group="generated-lb",
    ),
    _E(
        "answers-outside-the-contract",
        "Some answers are not the ones the contract documents",
        "For some generated requests the target answered with a status, content type or body shape the contract "
        "does not document (a documented route missing, an extra status, another body): a client written against "
        "the contract breaks on them",
        "For each listed operation decide which is wrong: fix the target, or change "
        "contract/hokusai-registration.openapi.yaml (make test keeps it in agreement with the embedded stack)",
        Owner.API,
        ("Hokusai API",),
        4,
        "@fuzz",
        "answers their client does not expect for some requests",
        requires=("generated_answers_undocumented",),
        group="generated-conformance",
    ),
    _E(
        "api-description-invalid",
        "The API's own description is not valid OpenAPI",
        "The API serves /openapi.json, but the document breaks a rule of OpenAPI (FastAPI gives a route declared "
        "for several methods the same operation id for each): clients, SDK generators and contract tools that "
        "read it refuse it or build it wrong",
        "Give every operation its own id (one route per method, or "
        "FastAPI's generate_unique_id_function), and validate /openapi.json in the API's own tests",
        Owner.API,
        ("Hokusai API",),
        5,
        "@fuzz",
        "an API description their tools refuse to read",
        requires=("served_description_invalid",),
        group="description",
    ),
    # ------------------------------------------------------------ the suite's own run
    _E(
        "cleanup-incomplete",
        "The run could not remove what it created",
        "Cleanup through the registry failed for some of the run's own entries; they carry the run's prefix and "
        "are listed in the report",
        "Remove the listed entries (they carry the run's prefix) once the cause above is fixed",
        Owner.INFRA,
        ("model registry",),
        4,
        "@writes",
        "nothing; test entries stay in the registry",
        requires=("cleanup_incomplete",),
        group="cleanup",
        explained_by=("proxy-drops-delete-body",),
        consequence=True,
    ),
]

ENTRIES = {e.id: e for e in CATALOG}

#: Shown for findings that only localise a failure (no catalog entry explains it).
LOCALISED = "localised"
UNRECOGNISED = "unrecognised"
#: failing scenarios whose answers differ from the suite's contract only in their details (words, shapes)
DIFFERS = "differs-from-contract"


def entry(fault_id: str) -> Entry:
    return ENTRIES[fault_id]
