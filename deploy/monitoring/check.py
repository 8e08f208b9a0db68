#!/usr/bin/env python3
"""Check the monitoring files against the metrics Keepsake exports.

    python3 deploy/monitoring/check.py        (needs PyYAML: pip install pyyaml)

* Every PromQL expression in grafana-dashboard.json (panel queries and variable queries) and
  in prometheus-alerts.yaml names only Keepsake's metrics (histograms by their _bucket, _sum
  and _count series) or `up`, uses only known PromQL functions, matches only labels those
  metrics carry (plus the labels Prometheus adds to a target), with known values where the
  set is closed (state, flag, task, outbox status), and reads counters only over a range
  (rate, increase). The job metrics' `task` is never matched as `job` (Prometheus's scrape job).
* Every alert has a severity label, summary and description annotations and a runbook hint
  pointing at docs/operations.md; the alerts the service relies on are all there.
* The dashboard: schemaVersion 39, every query through the ${DS_PROMETHEUS} data source
  variable, unique panel ids, panels inside the 24-column grid and not overlapping, each
  with a description and a unit.
* With promtool on PATH (Debian: apt-get install prometheus): `promtool check rules`,
  `promtool test rules prometheus-alerts.test.yaml`, and the dashboard's queries parsed by
  promtool too (as recording rules, Grafana's variables replaced).

Exits 1 if anything is wrong, listing every problem.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("check.py needs PyYAML: pip install pyyaml")

HERE = os.path.dirname(os.path.abspath(__file__))
DASHBOARD = os.path.join(HERE, "grafana-dashboard.json")
RULES = os.path.join(HERE, "prometheus-alerts.yaml")
RULE_TESTS = os.path.join(HERE, "prometheus-alerts.test.yaml")

# --------------------------------------------------------------------------- the metrics

HTTP = {"method", "route", "status"}
TASK = {"task"}   # the background job; `job` is Prometheus's scrape job
COUNTERS = {
    "keepsake_http_requests_total": HTTP,
    "keepsake_job_runs_total": TASK,
    "keepsake_job_failures_total": TASK,
    "keepsake_upload_bytes_total": set(),
    "keepsake_sample_verifications_total": {"outcome"},
    "keepsake_login_failures_total": set(),
    "keepsake_login_throttled_total": set(),
}
HISTOGRAMS = {
    "keepsake_http_request_duration_seconds": HTTP,
    "keepsake_job_duration_seconds": TASK,
}
GAUGES = {
    "keepsake_db_pool_connections": {"state"},
    "keepsake_db_pool_max_connections": set(),
    "keepsake_job_last_success_timestamp_seconds": TASK,
    "keepsake_outbox_messages": {"status"},
    "keepsake_outbox_oldest_queued_age_seconds": set(),
    "keepsake_orders": {"status"},
    "keepsake_orders_flagged": {"flag"},
    "keepsake_ready": set(),
}

# Labels Prometheus (or the usual Kubernetes relabelling) puts on every series of a target.
TARGET_LABELS = {"job", "instance", "namespace", "pod", "app"}

TASKS = {"outbox_relay", "sla_sweeper", "retention", "upload_sweeper"}  # src/jobs/
ORDER_STATUSES = {  # src/domain/order.rs OrderStatus (every one is reported, 0 included)
    "draft", "submitted", "screening", "consent_review", "queued", "in_production",
    "quality_check", "delivered", "closed", "needs_info", "on_hold", "declined", "cancelled",
    "withdrawn",
}
ENUMS = {
    ("keepsake_db_pool_connections", "state"): {"in_use", "idle"},
    ("keepsake_orders_flagged", "flag"): {"at_risk", "overdue"},
    ("keepsake_outbox_messages", "status"): {"queued", "sent", "failed", "skipped"},  # db/outbox.rs
    ("keepsake_orders", "status"): ORDER_STATUSES,
}
TASK_SERIES = ("keepsake_job_runs_total", "keepsake_job_failures_total",
               "keepsake_job_last_success_timestamp_seconds", "keepsake_job_duration_seconds_bucket",
               "keepsake_job_duration_seconds_sum", "keepsake_job_duration_seconds_count")
for _m in TASK_SERIES:
    ENUMS[(_m, "task")] = TASKS


def metric_labels():
    """series name -> labels it may be matched on (None: any)."""
    out = {"up": None}
    for name, labels in {**COUNTERS, **GAUGES}.items():
        out[name] = labels | TARGET_LABELS
    for name, labels in HISTOGRAMS.items():
        out[name + "_bucket"] = labels | TARGET_LABELS | {"le"}
        out[name + "_sum"] = labels | TARGET_LABELS
        out[name + "_count"] = labels | TARGET_LABELS
    return out


SERIES = metric_labels()
RANGE_ONLY = set(COUNTERS) | {h + s for h in HISTOGRAMS for s in ("_bucket", "_sum", "_count")}
ALL_LABELS = set().union(*(v for v in SERIES.values() if v)) | {"le"}

AGGREGATIONS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio",
}
FUNCTIONS = AGGREGATIONS | {
    "abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
    "day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp",
    "floor", "histogram_avg", "histogram_count", "histogram_sum", "histogram_fraction",
    "histogram_quantile", "histogram_stddev", "histogram_stdvar", "holt_winters",
    "double_exponential_smoothing", "hour", "idelta", "increase", "irate", "label_join",
    "label_replace", "ln", "log2", "log10", "minute", "month", "predict_linear", "rate",
    "resets", "round", "scalar", "sgn", "sort", "sort_desc", "sort_by_label",
    "sort_by_label_desc", "sqrt", "time", "timestamp", "vector", "year", "avg_over_time",
    "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
    "quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
    "present_over_time", "mad_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
    "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg", "rad", "pi",
}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
GROUPING_TOKENS = {("ident", "by"), ("ident", "without")}   # sum by (…) (…)
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "start", "end"}

# --------------------------------------------------------------------------- a PromQL lexer

TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<num>(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)(?:(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)?)
  | (?P<var>\$\{[^}]*\}|\$\w+)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>==|!=|=~|!~|>=|<=|[=<>+\-*/%^@,(){}\[\]])
""", re.X)


def lex(expr):
    tokens, pos = [], 0
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read {expr[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            tokens.append((m.lastgroup, m.group()))
    return tokens


def unquote(s):
    if s[0] == "`":
        return s[1:-1]
    return bytes(s[1:-1], "utf-8").decode("unicode_escape")


def skip_group(tokens, i, open_, close):
    """tokens[i] is `open_`: the index after its matching `close`."""
    depth = 0
    while i < len(tokens):
        if tokens[i] == ("op", open_):
            depth += 1
        elif tokens[i] == ("op", close):
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced {open_}")


def parse_matchers(tokens, i):
    """tokens[i] is `{`: ([(label, op, value)], index after `}`)."""
    matchers, i = [], i + 1
    while tokens[i] != ("op", "}"):
        kind, label = tokens[i]
        if kind == "str":
            label = unquote(label)
        elif kind != "ident":
            raise ValueError(f"expected a label name, got {label!r}")
        op = tokens[i + 1][1]
        if op not in ("=", "!=", "=~", "!~"):
            raise ValueError(f"expected a matcher after {label}, got {op!r}")
        kind, value = tokens[i + 2]
        if kind == "str":
            value = unquote(value)
        elif kind != "var":
            raise ValueError(f"expected a value for {label}, got {value!r}")
        matchers.append((label, op, value))
        i += 3
        if tokens[i] == ("op", ","):
            i += 1
    return matchers, i + 1


def check_expr(expr, where, problems):
    """Check one PromQL expression; add a line to `problems` for each fault."""
    def bad(msg):
        problems.append(f"{where}: {msg}")

    try:
        tokens = lex(expr)
        i, n = 0, len(tokens)
        while i < n:
            kind, text = tokens[i]
            nxt = tokens[i + 1] if i + 1 < n else (None, None)
            if (kind, text) == ("op", "["):
                i = skip_group(tokens, i, "[", "]")
                continue
            if kind == "ident" and text in GROUPING:
                if nxt == ("op", "("):
                    j = skip_group(tokens, i + 1, "(", ")")
                    for k, t in tokens[i + 2:j - 1]:
                        if k == "ident" and t not in ALL_LABELS:
                            bad(f"{text} ({t}): no metric here has a label {t!r}")
                    i = j
                else:
                    i += 1
                continue
            if kind == "ident" and text in KEYWORDS:
                i += 1
                continue
            if kind == "ident" and (nxt == ("op", "(") or
                                    (text in AGGREGATIONS and nxt in GROUPING_TOKENS)):
                if text not in FUNCTIONS:
                    bad(f"unknown function {text}()")
                i += 1
                continue
            if kind == "ident" or (kind, text) == ("op", "{"):
                name, matchers = (text, []) if kind == "ident" else (None, [])
                j = i + 1 if kind == "ident" else i
                if j < n and tokens[j] == ("op", "{"):
                    matchers, j = parse_matchers(tokens, j)
                for label, op, value in matchers:
                    if label == "__name__" and op == "=":
                        name = value
                if name is None:
                    bad("a selector without a metric name")
                elif name not in SERIES:
                    hint = " (a histogram: use _bucket, _sum or _count)" if name in HISTOGRAMS else ""
                    bad(f"unknown metric {name}{hint}")
                else:
                    allowed = SERIES[name]
                    for label, op, value in matchers:
                        if label == "__name__" or allowed is None:
                            continue
                        if label not in allowed:
                            bad(f"{name} has no label {label!r}")
                            continue
                        if name in TASK_SERIES and label == "job" and "$" not in value and \
                                set(value.split("|")) & TASKS:
                            bad(f"{name}{{job}} is the scrape job: the background job is `task`")
                            continue
                        values = ENUMS.get((name, label))
                        if values is None or "$" in value:
                            continue
                        if op in ("=", "!="):
                            given = [value]
                        elif re.fullmatch(r"[a-z_]+(\|[a-z_]+)*", value):
                            given = value.split("|")
                        else:
                            continue
                        for v in given:
                            if v not in values:
                                bad(f"{name}{{{label}}} is never {v!r} (known: {', '.join(sorted(values))})")
                    if name in RANGE_ONLY and not (j < n and tokens[j] == ("op", "[")):
                        bad(f"{name} is a counter: read it over a range (rate, increase)")
                i = j
                continue
            i += 1
    except (ValueError, IndexError) as e:
        bad(f"cannot parse {expr!r}: {e}")


# --------------------------------------------------------------------------- the rules

REQUIRED_ALERTS = {
    "OutboxStuck", "OutboxFailures", "OverdueOrdersRising", "AtRiskOrders",
    "ReadinessFailing", "JobFailing", "HighErrorRate", "HighLatency",
}
SEVERITIES = {"critical", "warning", "info"}


def check_rules(problems):
    with open(RULES) as f:
        doc = yaml.safe_load(f)
    exprs = []
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list) or not doc["groups"]:
        problems.append(f"{RULES}: no `groups:` list")
        return exprs
    seen = set()
    for g in doc["groups"]:
        gname = g.get("name") or "?"
        if not g.get("rules"):
            problems.append(f"rule group {gname}: no rules")
            continue
        for r in g["rules"]:
            name = r.get("alert") or r.get("record")
            where = f"rule {gname}/{name}"
            if not r.get("expr"):
                problems.append(f"{where}: no expr")
                continue
            exprs.append((where, r["expr"]))
            if "record" in r:
                continue
            if name in seen:
                problems.append(f"{where}: a second alert of that name")
            seen.add(name)
            labels = r.get("labels") or {}
            notes = r.get("annotations") or {}
            if labels.get("severity") not in SEVERITIES:
                problems.append(f"{where}: severity label missing or not one of {sorted(SEVERITIES)}")
            for key in ("summary", "description"):
                if not str(notes.get(key) or "").strip():
                    problems.append(f"{where}: no {key} annotation")
            if "docs/operations.md" not in " ".join(str(v) for v in notes.values()):
                problems.append(f"{where}: no runbook hint pointing at docs/operations.md")
    for missing in sorted(REQUIRED_ALERTS - seen):
        problems.append(f"{RULES}: alert {missing} is missing")
    return exprs


# --------------------------------------------------------------------------- the dashboard

def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels") or [])


def check_dashboard(problems):
    with open(DASHBOARD) as f:
        d = json.load(f)
    exprs = []
    if d.get("schemaVersion") != 39:
        problems.append(f"dashboard: schemaVersion {d.get('schemaVersion')}, not 39")
    variables = {v.get("name"): v for v in (d.get("templating") or {}).get("list", [])}
    ds = variables.get("DS_PROMETHEUS")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("dashboard: no Prometheus data source variable DS_PROMETHEUS")

    def check_ds(obj, where):
        uid = (obj.get("datasource") or {}).get("uid")
        if uid != "${DS_PROMETHEUS}":
            problems.append(f"{where}: data source {uid!r}, not ${{DS_PROMETHEUS}}")

    for name, v in variables.items():
        if v.get("type") != "query":
            continue
        check_ds(v, f"variable {name}")
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", q or "")
        if m:
            exprs.append((f"variable {name}", m.group(1)))
            if m.group(2) not in ALL_LABELS:
                problems.append(f"variable {name}: no metric has a label {m.group(2)!r}")
        else:
            problems.append(f"variable {name}: query {q!r} is not label_values(selector, label)")

    ids, boxes = set(), []
    for p in walk_panels(d.get("panels") or []):
        title = p.get("title") or "?"
        where = f"panel {p.get('id')} {title!r}"
        if p.get("id") in ids:
            problems.append(f"{where}: id used twice")
        ids.add(p.get("id"))
        gp = p.get("gridPos") or {}
        x, y, w, h = (gp.get(k, 0) for k in ("x", "y", "w", "h"))
        if w <= 0 or h <= 0 or x < 0 or x + w > 24:
            problems.append(f"{where}: gridPos {gp} outside the 24-column grid")
        for (bx, by, bw, bh, other) in boxes:
            if x < bx + bw and bx < x + w and y < by + bh and by < y + h:
                problems.append(f"{where}: overlaps {other}")
        boxes.append((x, y, w, h, where))
        if p.get("type") == "row":
            continue
        check_ds(p, where)
        if not (p.get("description") or "").strip():
            problems.append(f"{where}: no description")
        if p.get("type") in ("timeseries", "stat", "bargauge", "gauge") and \
                not ((p.get("fieldConfig") or {}).get("defaults") or {}).get("unit"):
            problems.append(f"{where}: no unit")
        if not p.get("targets"):
            problems.append(f"{where}: no queries")
        for t in p.get("targets") or []:
            check_ds(t, f"{where} query {t.get('refId')}")
            if not (t.get("expr") or "").strip():
                problems.append(f"{where} query {t.get('refId')}: empty")
            else:
                exprs.append((f"{where} query {t.get('refId')}", t["expr"]))
    return exprs


# --------------------------------------------------------------------------- promtool

def grafana_to_promql(expr):
    expr = re.sub(r"\[\$\{?__\w+\}?\]", "[5m]", expr)     # [$__rate_interval], [$__range]
    return re.sub(r"\$\{?\w+\}?", ".*", expr)              # "$namespace" in a regex matcher


def run(cmd, cwd=HERE):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def check_with_promtool(dash_exprs, problems):
    promtool = shutil.which("promtool")
    if not promtool:
        print("promtool: not on PATH, skipped (Debian: apt-get install prometheus)")
        return
    _, version = run([promtool, "--version"])
    print(f"promtool: {version.splitlines()[0] if version else '?'}")
    rc, out = run([promtool, "check", "rules", RULES])
    print(f"  check rules {os.path.basename(RULES)}: {'ok' if rc == 0 else 'FAILED'}")
    if rc:
        problems.append(f"promtool check rules:\n{out}")
    if os.path.exists(RULE_TESTS):
        rc, out = run([promtool, "test", "rules", os.path.basename(RULE_TESTS)])
        print(f"  test rules {os.path.basename(RULE_TESTS)}: {'ok' if rc == 0 else 'FAILED'}")
        if rc:
            problems.append(f"promtool test rules:\n{out}")
    rules = [{"record": f"dashboard:query_{i}", "expr": grafana_to_promql(e)}
             for i, (_, e) in enumerate(dash_exprs)]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
    try:
        rc, out = run([promtool, "check", "rules", f.name])
    finally:
        os.unlink(f.name)
    print(f"  dashboard queries parsed by promtool ({len(rules)}): {'ok' if rc == 0 else 'FAILED'}")
    if rc:
        for i, (where, _) in enumerate(dash_exprs):
            out = out.replace(f"dashboard:query_{i}", where)
        problems.append(f"promtool on the dashboard's queries:\n{out}")


def main():
    problems = []
    rule_exprs = check_rules(problems)
    dash_exprs = check_dashboard(problems)
    for where, expr in rule_exprs + dash_exprs:
        check_expr(expr, where, problems)
    print(f"checked {len(rule_exprs)} rule expressions and {len(dash_exprs)} dashboard queries")
    check_with_promtool([x for x in dash_exprs if not x[0].startswith("variable ")], problems)
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"- {p}", file=sys.stderr)
        return 1
    print("all good")
    return 0


if __name__ == "__main__":
    sys.exit(main())
