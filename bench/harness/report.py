"""The result tables (Markdown): each workload, the services, the targets, the checks and notes."""

from __future__ import annotations

from harness.common import NCPU, div, fmt, med, verdict
from harness.measure import Bench, Run


TITLES = {
    "1": "Workload 1 — officers' list: 50 applications with everything, over many cursors "
         "(× PG = req/s ÷ PostGraphile's in the same round)",
    "2": "Workload 2 — agencies' feed: 100 checks a page with an agency API key, first page vs deep pages",
    "3": "Workload 3 — one application by id with everything (× PG = req/s ÷ PostGraphile's in the same round)",
    "6": "Workload 6 — writes: check results (agency key), submissions and support payments (officer JWT), "
         "5 / 3 / 2 per 10 requests, each server on a copy of the database of its own "
         "(× raw = req/s ÷ raw's in the same round)",
}
# The server each workload's ratios are taken against (the "× PG" columns).
REFERENCE = {"1": "PG", "3": "PG", "6": "raw"}


def load_tables(b: Bench, w: str) -> list[str]:
    runs = [r for r in b.runs if r.workload == w and r.round > 0]
    if not runs:
        return []
    out = [f"## {TITLES[w]}", ""]
    ref = REFERENCE.get(w, "PG")
    head = (f"| round | server | req/s | × {ref} | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req "
            f"| × {ref} by CPU | peak RSS MB | KB/resp | ok | errors | compiled | other load |")
    out += [head, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    def cpu(per_request: float | None, busy: float) -> str:
        # With no completed request, say how busy the process was instead.
        return fmt(per_request, 2) if per_request is not None else f"– (busy {busy:.0f}%)"

    for r in runs:
        out.append(f"| {r.round} | {r.label}{' (EXHAUSTED)' if r.exhausted else ''} | {fmt(r.rps)} | {fmt(r.ratio, 2)} | {fmt(r.p50_ms)} | {fmt(r.p99_ms)} "
                   f"| {cpu(r.server_cpu_ms, r.server_busy_pct)} | {cpu(r.db_cpu_ms, r.db_busy_pct)} "
                   f"| {fmt(r.cpu_ratio, 2)} "
                   f"| {fmt(r.rss_peak_mb, 0)} | {fmt(r.kb_per_response)} | {r.ok:,} | {r.errors:,} "
                   f"| {fmt(r.compiled_pct, 0) + '%' if r.compiled_pct is not None else '–'} "
                   f"| {fmt(r.other_cpu_pct, 0)}% |")
    out += ["", "Median over the rounds (peak RSS: the highest; ok and errors: the sums):", ""]
    out += [f"| server | req/s | × {ref} | p50 ms | p99 ms | server CPU ms/req | PostgreSQL CPU ms/req "
            f"| × {ref} by CPU | peak RSS MB | ok | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label in dict.fromkeys(r.label for r in runs):
        rs = [r for r in runs if r.label == label]
        out.append(f"| {label} | {fmt(med([r.rps for r in rs]))} | {fmt(med([r.ratio for r in rs]), 2)} "
                   f"| {fmt(med([r.p50_ms for r in rs]))} | {fmt(med([r.p99_ms for r in rs]))} "
                   f"| {fmt(med([r.server_cpu_ms for r in rs]), 2)} | {fmt(med([r.db_cpu_ms for r in rs]), 2)} "
                   f"| {fmt(med([r.cpu_ratio for r in rs]), 2)} "
                   f"| {fmt(max(r.rss_peak_mb for r in rs), 0)} | {sum(r.ok for r in rs):,} "
                   f"| {sum(r.errors for r in rs):,} |")
    if w == "2":
        out += ["", "Deep ÷ first, within each round:", "",
                "| round | server | p50 deep ÷ first | mean latency deep ÷ first | req/s first ÷ deep |",
                "|---:|---|---:|---:|---:|"]
        for rnd in sorted({r.round for r in runs}):
            for who in ("Qonys", "raw"):
                first, deep = feed_pair(runs, rnd, who)
                if first and deep:
                    out.append(f"| {rnd} | {who} | {fmt(div(deep.p50_ms, first.p50_ms), 2)} "
                               f"| {fmt(div(deep.mean_ms, first.mean_ms), 2)} | {fmt(div(first.rps, deep.rps), 2)} |")
        if b.sequential:
            out += ["", f"One connection, no other load ({b.cfg.feed_sequential} first and "
                        f"{b.cfg.feed_sequential} deep pages in turn, median wall time seen by the client):", "",
                    "| server | first page ms | deep page ms | deep ÷ first |", "|---|---:|---:|---:|"]
            for who, t in b.sequential.items():
                out.append(f"| {who} | {fmt(t['first'])} | {fmt(t['deep'])} | {fmt(div(t['deep'], t['first']), 2)} |")
    if w == "6":
        out += writes_tables(b, runs)
    out.append("")
    return out


def writes_tables(b: Bench, runs: list[Run]) -> list[str]:
    """Workload 6: what the load wrote, and what the databases prove afterwards."""
    out: list[str] = []
    facts = b.facts.get("writes", {})
    if facts:
        k = facts["by_kind"]
        out += ["", f"Requests prepared a server: {facts['requests']:,} ({k['check_result']:,} check results on "
                    f"{facts['pending_checks']:,} pending checks of {facts['agency']}"
                    + (f", {facts['bench_check_types_added']} bench-only check types added to have enough"
                       if facts["bench_check_types_added"] else "")
                    + f"; {k['submit']:,} submissions; {k['payment']:,} payments over "
                      f"{facts['contract_measures_with_room']:,} contract measures with room under their cap), cut "
                      f"into runs of {', '.join(f'{n:,}' for n in facts['runs'])} (BENCH_W6_RATE = "
                      f"{facts['rate']:,}/s of run time)."]
    exhausted = [r for r in b.runs if r.workload == "6" and r.exhausted]
    if exhausted:
        out += ["", f"**{len(exhausted)} run(s) sent all their requests before their end and stopped early** "
                    "(their req/s is over the shorter time): raise BENCH_W6_RATE."]
    if b.writes:
        out += ["", "After the load (each server's database):", "",
                "| server | qonys check-integrity | audit events (queries) | checks given a result | applications "
                "submitted | payments recorded | written in all | acknowledged (200, no errors) |",
                "|---|---|---|---:|---:|---:|---:|---:|"]
        for label, x in b.writes.items():
            bad = {k: v for k, v in x["audit_violations"].items() if v}
            w = x["written"]
            total = sum(w.values())
            over = total - x["acknowledged"]
            note = "" if 0 <= over <= x["in_flight_allowance"] else " **(lost or extra writes)**"
            ci = "clean" if x["check_integrity_clean"] else "**" + "; ".join(x["check_integrity"][:5]) + "**"
            audit = "clean" if not bad else "**" + "; ".join(f"{k}: {v}" for k, v in bad.items()) + "**"
            out.append(f"| {label} | {ci} | {audit} | {w['check_result']:,} | {w['submit']:,} | {w['payment']:,} "
                       f"| {total:,} | {x['acknowledged']:,}{note} |")
        out += ["", "Written − acknowledged: the requests still in flight when wrk ended a run (the server "
                    f"finishes them); at most {b.cfg.connections} a run. The audit queries: every check given a "
                    "result, application, applicant and payment written by the load has exactly its one audit "
                    "event (application.check_result naming the check, application.submit, applicant.create, "
                    "contract.support_payment naming the payment and its amount), no such event names a row that "
                    "is not there, and no other event was written."]
    return out


def feed_pair(runs: list[Run], rnd: int, who: str) -> tuple[Run | None, Run | None]:
    first = next((r for r in runs if r.round == rnd and r.label == f"{who} first page"), None)
    deep = next((r for r in runs if r.round == rnd and r.label == f"{who} deep page"), None)
    return first, deep


def service_tables(b: Bench) -> list[str]:
    out: list[str] = []
    for n, title in (("4", "Workload 4 — a selection round over PASSED applications "
                           "(services.quotas.run_selection_round, on a copy of the database)"),
                     ("5", "Workload 5 — re-scoring (services.rescore.rescore_all, on a copy of the database)")):
        if n not in b.services:
            continue
        s = b.services[n]
        out += [f"## {title}", ""]
        if not s.get("available", True):
            out.append(f"not available: {s['reason']}")
        elif n == "4":
            below = s.get("ranked_below")
            out += ["| candidates (PASSED KANDAS in the quota's region) | quota capacity (used before) | approved "
                    "| passed over above the last approved | ranked below the last approved "
                    "| dry run s | round s (with its commit) | peak RSS MB |",
                    "|---:|---:|---:|---:|---:|---:|---:|---:|",
                    f"| {s['candidates']:,} | {s['capacity']:,} ({s['used_before']:,}) | {s['approved']:,} "
                    f"| {s['passed_over']:,} | {'–' if below is None else f'{below:,}'} "
                    f"| {s['dry_run_s']:.2f} | {s['round_s']:.2f} | {s['rss_mb']:.0f} |"]
        else:
            out += ["| candidates | re-scored | seconds | applications/s | stopped at the time limit | batch size "
                    "| peak RSS MB |",
                    "|---:|---:|---:|---:|---|---:|---:|",
                    f"| {s['candidates']:,} | {s['rescored']:,} | {s['seconds']:.1f} | {s['per_second']:,.0f} "
                    f"| {'yes' if s['stopped_early'] else 'no'} | {s['batch_size']} | {s['rss_mb']:.0f} |"]
        if s.get("note"):
            out += ["", s["note"]]
        out.append("")
    return out


def same_round(b: Bench, workload: str, label: str, other: str) -> list[tuple[Run, Run]]:
    """(``label``'s run, ``other``'s run) of each measured round of ``workload``."""
    runs = [r for r in b.runs if r.workload == workload and r.round > 0]
    return [(one, two) for one in runs if one.label == label
            for two in runs if two.label == other and two.round == one.round]


def every_round(values: list[float | None], at_least: float) -> tuple[str, str]:
    """The values shown (× each round) and the verdict: every one at least ``at_least``."""
    shown = ", ".join(fmt(v, 2) + "×" for v in values) or "not measured"
    return shown, verdict(bool(values) and all(v is not None and v >= at_least for v in values))


def issue_18_targets(b: Bench) -> list[str]:
    """Issue 18's targets, each round on its own (a median hides the round that misses)."""
    out = []
    rows = [("1", "Qonys", "PostGraphile", "(1) ≥ 3.0× PostGraphile's req/s", 3.0, "rps"),
            ("1", "Qonys", "PostGraphile", "(1) ≥ 3.0× PostGraphile by CPU a request (server + PostgreSQL)", 3.0, "cpu"),
            ("2", "Qonys first page", "raw first page", "(2) first page ≥ 0.9× raw's req/s", 0.9, "rps"),
            ("2", "Qonys deep page", "raw deep page", "(2) deep page ≥ 0.9× raw's req/s", 0.9, "rps"),
            ("3", "Qonys", "raw", "(3) ≥ 0.9× raw's req/s", 0.9, "rps"),
            ("3", "Qonys", "PostGraphile", "(3) ≥ 2× PostGraphile's req/s", 2.0, "rps")]
    for w, label, other, target, at_least, what in rows:
        pairs = same_round(b, w, label, other)
        if not pairs:
            continue
        values = [div(one.rps, two.rps) if what == "rps" else div(two.total_cpu_ms, one.total_cpu_ms)
                  for one, two in pairs]
        shown, ok = every_round(values, at_least)
        out.append(f"| {target}, every round | {shown} | {ok} |")
    p99 = []
    for w, label, other in (("1", "Qonys", "raw"), ("2", "Qonys first page", "raw first page"),
                            ("2", "Qonys deep page", "raw deep page"), ("3", "Qonys", "raw"), ("6", "Qonys", "raw")):
        for one, two in same_round(b, w, label, other):
            p99.append((f"({w}){label.removeprefix('Qonys')} r{one.round} {fmt(one.p99_ms)} / {fmt(two.p99_ms)}",
                        one.p99_ms is not None and two.p99_ms is not None and one.p99_ms <= two.p99_ms))
    if p99:
        out.append(f"| p99 at {b.cfg.connections} connections no worse than raw's in the same round, every workload "
                   f"(Qonys / raw, ms) | {'; '.join(s + ('' if ok else ' ✗') for s, ok in p99)} "
                   f"| {verdict(all(ok for _, ok in p99))} |")
    return out


def target_table(b: Bench) -> list[str]:
    cfg = b.cfg
    out = ["## Targets", "", "| target | measured | verdict |", "|---|---|---|", *issue_18_targets(b)]
    w1 = [r for r in b.runs if r.workload == "1" and r.round > 0 and r.label == "Qonys"]
    if w1:
        ratios = [r.ratio for r in w1 if r.ratio is not None]
        errs = sum(r.errors for r in w1)
        note = f"; {errs:,} errors" if errs else ""
        out.append(f"| (1) Qonys ≥ 1.0× PostGraphile's req/s in the same round "
                   f"| {', '.join(f'{x:.2f}×' for x in ratios)} (median {fmt(med(ratios), 2)}×){note} "
                   f"| {verdict(bool(ratios) and (med(ratios) or 0) >= 1.0 and errs == 0)} |")
        cpu = [r.cpu_ratio for r in w1]
        out.append(f"| (1) for reference, not a target: PostGraphile's CPU per request ÷ Qonys's (server + "
                   f"PostgreSQL) | {', '.join(fmt(x, 2) + '×' for x in cpu)} | – |")
        p99 = [r.p99_ms for r in w1]
        shown = ", ".join("no request completed" if x is None else f"{x:,.1f} ms" for x in p99)
        out.append(f"| (1) Qonys p99 < 50 ms at {cfg.connections} connections, every round | {shown}{note} "
                   f"| {verdict(all(x is not None and x < 50 for x in p99) and errs == 0)} |")
    w2 = [r for r in b.runs if r.workload == "2" and r.round > 0]
    if w2:
        ratios = []
        for rnd in sorted({r.round for r in w2}):
            first, deep = feed_pair(w2, rnd, "Qonys")
            ratios.append(div(deep.p50_ms, first.p50_ms) if first and deep else None)
        errs = sum(r.errors for r in w2 if r.label.startswith("Qonys"))
        shown = ", ".join("no request completed" if x is None else f"{x:.2f}×" for x in ratios)
        seq = b.sequential.get("Qonys")
        seq_ratio = div(seq["deep"], seq["first"]) if seq else None
        ok = seq_ratio is not None and seq_ratio <= 1.5 and \
            all(x is None or x <= 1.5 for x in ratios) and errs == 0
        out.append(f"| (2) Qonys deep page within 1.5× the first page's time | one connection: "
                   f"{fmt(seq_ratio, 2)}×; {cfg.connections} connections (p50, each round): {shown}"
                   f"{f'; {errs:,} errors' if errs else ''} | {verdict(ok)} |")
    for n, target in (("4", "selection round < 2 s"), ("5", "re-scoring ≥ 5,000 applications/s")):
        s = b.services.get(n)
        if s is None:
            continue
        if not s.get("available", True):
            out.append(f"| ({n}) {target} | not available | – |")
        elif n == "4":
            out.append(f"| (4) selection round over {s['candidates']:,} PASSED applications < 2 s "
                       f"| {s['round_s']:.2f} s | {verdict(s['round_s'] < 2 and s['candidates'] >= 100_000)} |")
        else:
            out.append(f"| (5) {target} | {s['per_second']:,.0f}/s over {s['rescored']:,} "
                       f"applications | {verdict(s['per_second'] >= 5000)} |")
    w6 = [r for r in b.runs if r.workload == "6" and r.round > 0 and r.label == "Qonys"]
    if w6:
        ratios = [r.ratio for r in w6 if r.ratio is not None]
        errs = sum(r.errors for r in b.runs if r.workload == "6")
        writes = b.writes or {}
        clean = bool(writes) and all(x["check_integrity_clean"] and not any(x["audit_violations"].values())
                                     and 0 <= sum(x["written"].values()) - x["acknowledged"] <= x["in_flight_allowance"]
                                     for x in writes.values())
        short = any(r.exhausted for r in b.runs if r.workload == "6" and r.round > 0)
        out.append(f"| (6) writes: Qonys ≥ 0.7× raw's req/s in the same round, 0 errors, check-integrity (and the "
                   f"audit queries) clean on both databases | {', '.join(f'{x:.2f}×' for x in ratios)} (median "
                   f"{fmt(med(ratios), 2)}×); {errs:,} errors (all runs, raw's too); "
                   f"{'clean' if clean else ('not checked' if not writes else 'NOT clean')}"
                   f"{'; some runs EXHAUSTED' if short else ''} "
                   f"| {verdict(bool(ratios) and (med(ratios) or 0) >= 0.7 and errs == 0 and clean)} |")
        cpu = [r.cpu_ratio for r in w6]
        out.append(f"| (6) for reference, not a target: raw's CPU per request ÷ Qonys's (server + PostgreSQL) "
                   f"| {', '.join(fmt(x, 2) + '×' for x in cpu)} | – |")
    workers = cfg.workers_label
    for n in sorted({r.workload for r in b.runs if r.label.startswith(workers)}):
        labels = dict.fromkeys(r.label for r in b.runs if r.workload == n and r.label.startswith(workers))
        pairs = sorted((pair for label in labels for pair in same_round(b, n, label.replace(workers, "Qonys", 1), label)),
                       key=lambda pair: (pair[1].round, pair[1].label))
        shown = "; ".join(f"{' '.join(filter(None, (f'r{many.round}', many.label.replace(workers, '', 1).strip())))} req/s "
                          f"{fmt(div(many.rps, one.rps), 2)}× (server CPU a request {fmt(many.server_cpu_ms, 2)} "
                          f"against {fmt(one.server_cpu_ms, 2)} ms)" for one, many in pairs)
        out.append(f"| ({n}) for reference, not a target: `qonys serve --workers {cfg.qonys_workers}` ÷ one process, "
                   f"each round | {shown} | – |")
    q_runs = [r for r in b.runs if r.label.startswith("Qonys") and not r.label.startswith(workers)]
    if q_runs:
        peak = max(r.rss_peak_mb for r in q_runs)
        out.append(f"| Qonys server memory under load < 250 MB RSS (one process) | peak {peak:.0f} MB "
                   f"| {verdict(peak < 250)} |")
    out.append("")
    return out


def report(b: Bench) -> str:
    cfg = b.cfg
    f = b.facts
    out = [f"# Qonys benchmark — {f['started']}", ""]
    out.append(f"- machine: {NCPU} CPU(s), {f['mem_gb']:.0f} GB; load average at the start {f['loadavg_start']}, "
               f"at the end {f.get('loadavg_end', '?')}")
    out.append(f"- PostgreSQL {f['pg']} at {f['db_url']}: {f['counts']}")
    if cfg.fill_note:
        out.append(f"- fill: {cfg.fill_note}")
    beside = (f"; beside it `qonys serve --workers {cfg.qonys_workers}` (\"{cfg.workers_label}\": uvicorn's supervisor "
              f"and {cfg.qonys_workers} worker processes, CPU and RSS summed over them)" if cfg.qonys_workers > 1 else "")
    out.append(f"- Qonys {f['git']} (uvicorn, one process, QONYS_ENV=production, its default pool{beside}); "
               f"PostGraphile {f['postgraphile']} on Node {f['node']} (amber preset, pool of 10); "
               "raw = Starlette + asyncpg (pool of 10), one hand-written SQL statement a read request "
               "(workload 6: one asyncpg transaction a write, its statements by hand)")
    out.append(f"- load: wrk, {cfg.connections} connections, {cfg.wrk_threads} thread; {cfg.warmup} s warm-up per "
               f"server, then {cfg.rounds} rounds of {cfg.duration} s, the order of the servers reversed every other "
               "round; before each run the harness waits for the servers and PostgreSQL to be idle")
    if cfg.nice:
        out.append(f"- BENCH_NICE={cfg.nice}: the servers, wrk and the private PostgreSQL cluster ran at that "
                   "priority, ahead of other work on the machine")
    runs = [r for r in b.runs if r.round > 0]
    if runs:
        busy = med([r.other_cpu_pct for r in runs]) or 0
        if busy >= 20:
            out.append(f"- **the machine was busy with other work during the runs (median {busy:.0f}% of its CPU, "
                       "column 'other load')**: absolute figures are pessimistic and noisy; compare within a round")
    out.append("")
    for w in ("1", "2", "3", "6"):
        out += load_tables(b, w)
    out += service_tables(b)
    out += target_table(b)
    if b.checks:
        out += ["## Same answers", ""] + [f"- {c}" for c in b.checks] + [""]
    if b.notes:
        out += ["## Notes", ""] + [f"- {n}" for n in b.notes] + [""]
    return "\n".join(out)
