"""What each known failure means for the infra team: root cause, owner, fix, how
to verify the fix, and what a third-party developer sees meanwhile."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    root_cause: str
    recommendation: str
    owner: str
    components: tuple[str, ...]
    impact: int                 # 1 (everything down) .. 5 (cosmetic); orders the report
    verify_tags: str            # behave selection that proves the fix
    developer_sees: str


COMPONENTS = ("routing / load balancer", "API service", "auth service", "validation cache", "MLflow tracking",
              "model registry", "artifact storage")

_E = Entry
ENTRIES = {e.id: e for e in [
    _E("target-unreachable", "Nothing answers at the configured URL",
       "The suite could not open a connection: wrong URL, DNS name not resolving, or nothing listening",
       "Check HOKUSAI_API_URL, the DNS record and that the load balancer exists", "infra (network)",
       ("routing / load balancer",), 1, "@smoke", "connection errors on every call"),
    _E("alb-to-api-blocked", "The API accepts connections but does not answer in time",
       "Load balancer cannot reach healthy API targets: security-group egress to :8001 missing, health-check path "
       "or grace period wrong, or /health slower than the check",
       "Allow the ALB->API :8001 rule; lengthen the health-check grace period; give the ALB a dependency-free "
       "probe (/health/alb)", "infra (load balancer, ECS)", ("routing / load balancer", "API service"), 1,
       "@smoke and @health", "calls that hang until their client times out"),
    _E("alb-no-rule", "The load balancer has no rule for the API paths",
       "No listener rule matches (rules attached only to the HTTP:80 listener, or the path is not routed), so "
       "the ALB answers its fixed text/plain 404", "Attach the path rules to the HTTPS:443 listener",
       "infra (load balancer)", ("routing / load balancer",), 1, "@smoke",
       "404 'Not Found' in plain text for every call"),
    _E("service-not-deployed", "The API service has no healthy targets",
       "The ECS service is missing or its target group is not attached, so the ALB answers HTML 503",
       "Deploy the service and attach its target group before switching traffic", "infra (ECS, load balancer)",
       ("routing / load balancer", "API service"), 1, "@smoke", "HTML '503 Service Temporarily Unavailable' pages"),
    _E("api-crash-loop", "The API container keeps crashing",
       "API paths get the ALB's HTML 504 while /mlflow/ answers: the API task fails at start (import or syntax "
       "error, missing database secret, wrong CPU architecture image)",
       "Add a start-up smoke test to CI, build linux/amd64 images, put every secret in the task definition",
       "API service team", ("API service",), 1, "@smoke", "HTML '504 Gateway Time-out' pages on /api"),
    _E("alb-api-path-to-mlflow", "/api/mlflow is routed to the MLflow server instead of the API",
       "The ALB rule for /api/mlflow/* forwards to the MLflow target group; MLflow has no such path and "
       "answers its Flask HTML 404", "Point the /api/mlflow/* rule at the API target group",
       "infra (load balancer)", ("routing / load balancer",), 1, "@smoke and @proxy",
       "MLflow client: '404 != 200. Response body: <!doctype html>...'"),
    _E("harness-false-result", "The URL does not point at a Hokusai API",
       "Something answers at the configured URL, but not with the Hokusai health contract: a default port, "
       "another service or a placeholder", "Set HOKUSAI_API_URL to the registry's base URL; verify the target "
       "identity before trusting any result", "whoever runs the suite", ("routing / load balancer",), 1,
       "@smoke", "answers that are not from Hokusai"),
    _E("api-mount-missing", "The MLflow proxy route is missing from the API",
       "Authenticated calls under /api/mlflow get the API's own JSON 404: the /api/mlflow mount was removed",
       "Restore the /api/mlflow mount and add a route smoke test", "API service team", ("API service",), 1,
       "@proxy", "404 {'detail': 'Not Found'} after a successful key check"),
    _E("auth-service-down", "The auth service is failing",
       "The auth service answers 5xx (its ALB shows 502/503: tasks not running). The same picture appears when "
       "its task never starts because a secret ARN or the secretsmanager:GetSecretValue permission is wrong "
       "(auth-secrets-misconfigured)",
       "Restart or scale the auth service and alarm on it; check the task's secret ARNs and IAM role; serve "
       "cached validations meanwhile", "auth service team", ("auth service",), 1, "@auth and @smoke",
       "'Authentication service error' on every authenticated call"),
    _E("auth-service-unreachable", "The API cannot reach the auth service",
       "DNS or connection failure from the API to the auth service", "Check the auth service URL the API uses, "
       "its DNS name and the security groups between them", "infra (network)", ("API service", "auth service"),
       1, "@auth and @smoke", "'Authentication service unavailable' on every authenticated call"),
    _E("auth-service-slow", "The auth service answers too slowly",
       "Key validation takes longer than the API's 5 s limit", "Find why validation is slow (database, cold "
       "starts); keep the validation cache healthy so fewer calls reach it", "auth service team",
       ("auth service",), 2, "@auth", "'Authentication service timeout' after about 5 s"),
    _E("auth-contract-mismatch", "API and auth service disagree on where the key travels",
       "The API sends the key in the JSON body while the auth service reads the Bearer header, so every valid "
       "key is rejected (the auth service logs 'API key required')",
       "Align both on the Authorization: Bearer header; add contract tests between the two services",
       "API service team + auth service team", ("API service", "auth service"), 1, "@auth and @smoke",
       "401 'Invalid or expired API key' for a key that is valid"),
    _E("auth-service-id-mismatch", "The API validates keys for the wrong service",
       "The API sends the wrong service_id (it was hard-coded 'ml-platform'); the auth service rejects the key "
       "for that service and the API hides its message", "Configure AUTH_SERVICE_ID=platform; surface the auth "
       "service's detail in the API's error", "API service team", ("API service", "auth service"), 1,
       "@auth and @smoke", "401 'Invalid or expired API key' for a key that is valid"),
    _E("rate-limit-misreported", "Rate limiting is reported as an authentication failure",
       "The auth service's 429 is mapped to 401 'Rate limit exceeded', and the API's own limiter runs before "
       "authentication so it never answers 429", "Map it to 429 with Retry-After; order the middleware "
       "auth-first", "API service team", ("API service", "auth service"), 2, "@errors and @auth",
       "401 'Rate limit exceeded' with no hint when to retry"),
    _E("health-probes-need-key", "Monitoring probes need an API key",
       "The auth middleware excludes only /health, so /ready, / and /api/health/* answer 401 and a healthy API "
       "looks down to monitoring", "Exclude the probe paths from authentication", "API service team",
       ("API service",), 3, "@health", "nothing directly; monitoring and deploy health checks fail"),
    _E("health-lies", "The health endpoint hides a broken dependency",
       "/health answers 200 while it reports itself degraded, so load balancers and dashboards see green",
       "Answer 503 when unhealthy; give the ALB a dependency-free probe; validate REDIS_URL at start",
       "API service team", ("API service",), 3, "@health", "intermittent failures that monitoring does not see"),
    _E("redis-cache-down", "The validation cache (Redis) is unreachable",
       "The API cannot reach Redis (wrong URL, or TLS/auth mismatch: rediss:// with a token), so every request "
       "pays a full auth round trip", "Fix the Redis URL (rediss:// and the auth token); alarm on cache "
       "misses", "infra (Redis / ElastiCache)", ("validation cache",), 3, "@health and @auth",
       "every call slower by an auth round trip"),
    _E("mlflow-db-auth", "MLflow cannot log in to its database",
       "The MLflow server does not start because the database user or password in the backend store URI is "
       "wrong; health shows postgres unhealthy", "Pass the database password as a secret and URL-encode it in "
       "the backend store URI", "infra (MLflow, database)", ("MLflow tracking", "model registry"), 1,
       "@smoke and @proxy", "502/503 errors on every registry call"),
    _E("mlflow-dns-failure", "The API cannot connect to the MLflow server",
       "The API cannot resolve or connect to MLflow: service discovery entry missing, wrong namespace, or MLflow "
       "not running", "Register MLflow in service discovery; check MLFLOW_SERVER_URL and that MLflow runs",
       "infra (ECS service discovery, MLflow)", ("MLflow tracking", "model registry"), 1, "@smoke and @proxy",
       "502 'Failed to connect to MLflow server at ...'"),
    _E("missing-write-scope", "Keys cannot write to the registry",
       "The key lacks the model:write / mlflow:write scope, so reads work and registrations are refused",
       "Issue keys with write scope; document which scopes registration needs", "auth service team",
       ("auth service", "model registry"), 2, "@registration and @writes",
       "403 FORBIDDEN on model registration while reads work"),
    _E("auth-headers-stripped", "MLflow wants credentials the proxy strips",
       "MLflow now authenticates writes itself, but the proxy removes Authorization before forwarding",
       "Forward the auth headers to MLflow, or authenticate the proxy to MLflow", "API service team",
       ("API service", "MLflow tracking"), 2, "@registration and @writes",
       "401 'API key required' on registration writes although the key was sent"),
    _E("artifacts-disabled", "Artifact storage is switched off",
       "MLflow was not started with --serve-artifacts or no artifact store is wired, so model upload fails",
       "Deploy MLflow with --serve-artifacts and the artifact store", "infra (MLflow)", ("artifact storage",),
       2, "@registration and @proxy", "503 ARTIFACTS_DISABLED (or 404) when the model files upload"),
    _E("artifact-route-hairpin", "Artifact calls loop through the public load balancer",
       "The proxy points at the public MLflow URL, so artifact paths are rewritten to the public /mlflow "
       "ajax-api form that the internal route does not serve; metadata calls still work",
       "Point the proxy at the internal MLflow URL and keep artifact paths as /api/2.0/mlflow-artifacts",
       "API service team", ("artifact storage", "API service"), 2, "@registration and @proxy",
       "log_model fails with 404 on .../mlflow-artifacts/artifacts/..."),
    _E("mlflow-generation-mismatch", "MLflow 3 clients meet an MLflow 2.x server",
       "The registry runs an MLflow 2.x server (the 2025 generation), which has no logged-models or server-info "
       "API: an MLflow 3 client's log_model(..., registered_model_name=...) fails with 404 on .../logged-models, "
       "while runs, artifacts, register_model('runs:/<run>/model'), tags and load_model work; the same client's "
       "search_registered_models also returns nothing (it adds a prompt-tag filter the 2.x server cannot match), "
       "so look models up by name",
       "Upgrade the MLflow server to 3.x (the client generation developers install today); until then, tell "
       "developers to pin mlflow<3 or to register with the compatible path (log the model files as run "
       "artifacts, then mlflow.register_model('runs:/<run_id>/model', name))",
       "infra (MLflow) and developer docs", ("MLflow tracking", "model registry"), 2, "@registration",
       "log_model fails with 404 RESOURCE_NOT_FOUND on .../api/2.0/mlflow/logged-models"),
    _E("artifact-store-permission", "MLflow cannot use its artifact store",
       "Metadata works but artifact upload/download fails with server errors: the MLflow task's role lacks "
       "storage permissions (e.g. s3:PutObject, s3:ListBucket)", "Fix the artifact store IAM policy",
       "infra (IAM, S3)", ("artifact storage",), 2, "@registration and @proxy",
       "500 errors while the model files upload or download"),
    _E("proxy-buffering-limits", "Large models time out in the proxy",
       "The proxy buffers whole bodies with one 30 s timeout, so large uploads/downloads end in 504 or memory "
       "pressure", "Stream request and response bodies; give artifact routes a longer timeout",
       "API service team", ("API service", "artifact storage"), 3, "@registration and @slow",
       "504 'MLflow server request timeout' for big models only"),
    _E("unrecognised", "A failure the catalog does not explain",
       "The evidence matches no known failure; read it below before guessing", "Investigate with the evidence "
       "and reproduction commands; add a diagnosis rule once the cause is known", "suite maintainers + infra",
       (), 4, "@smoke", "see the evidence"),
]}


def entry(fault_id: str) -> Entry:
    return ENTRIES[fault_id]
