"""The serving benchmark's verdict (correctness, the issue's two ratios) and its markdown."""

from __future__ import annotations


def _server(results: dict, name: str) -> dict | None:
    return next((s for s in results["servers"] if s["engine"] == name), None)


def _run(server: dict | None, concurrency: int) -> dict | None:
    if not server:
        return None
    return next((r for r in server["runs"] if r["concurrency"] == concurrency), None)


def verdict(results: dict) -> dict:
    """correct: packformer serve (when it ran) answered every text of every run with 200 and an
    embedding within PACKFORMER_MIN_COSINE of the offline one. The ratios use the highest
    concurrency."""
    pf = _server(results, "packformer serve")
    full = max(results["meta"]["concurrency"])
    problems = []
    if pf is not None:
        if "error" in pf:
            problems.append(f"packformer serve: {pf['error'][:200]}")
        for run in pf["runs"]:
            if run["ok"] != run["requests"] or run["answered"] != run["requests"]:
                problems.append(f"{run['concurrency']} clients: {run['ok']}/{run['requests']} answered 200, "
                                f"statuses {run['non_200']}")
            if run["worst_cosine"] is None or run["worst_cosine"] < results["min_cosine_packformer"]:
                problems.append(f"{run['concurrency']} clients: worst cosine {run['worst_cosine']}")
    serve_full, inf_full = _run(pf, full), _run(_server(results, "infinity-emb"), full)
    out = dict(correct=not problems, problems=problems, full_load=full)
    if serve_full:
        out["serve_vs_offline"] = serve_full["sentences_per_s"] / results["offline"]["sentences_per_s"]
    if serve_full and inf_full and inf_full["sentences_per_s"] > 0:
        out["serve_vs_infinity"] = serve_full["sentences_per_s"] / inf_full["sentences_per_s"]
    return out


def _f(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def markdown(results: dict) -> str:
    m, v = results["meta"], results["verdict"]
    versions = ", ".join(f"{k} {val}" for k, val in m["versions"].items())
    lines = [
        f"- command: `{m['command']}` ({m['date']})",
        f"- machine: {m['cpu']}, {m['cores']} cores ({', '.join(m['flags'])}), {m['memory_gb']} GB; "
        f"load average {' '.join(m['loadavg_start'])} at start, {' '.join(m['loadavg_end'])} at end",
        f"- thread settings from the environment: {m.get('env') or 'none (defaults)'}",
        f"- packformer {m['commit']}; Python {m['python']}; {versions}",
        f"- model {m['model']}; {m['sentences']} sentences (bench/compare/data/sentences.txt), one per request, "
        f"OpenAI-style POST /embeddings; {m['threads']} compute threads for every engine",
        f"- offline: `packformer embed --format npy` over the same texts, {m['offline_repeats']} timed pass(es) "
        "((1 + n) copies minus 1 copy, as bench/compare)",
        "",
        "| engine | clients | sentences/s | vs offline | p50 ms | p90 ms | p99 ms | max ms | answered 200 "
        "| worst cosine vs offline | client CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| packformer embed (offline) | - | {results['offline']['sentences_per_s']:.1f} | 1.00x | - | - | - | - "
        f"| {m['sentences']} | (reference) | - |",
    ]
    offline = results["offline"]["sentences_per_s"]
    for server in results["servers"]:
        if "error" in server and not server["runs"]:
            lines.append(f"| {server['engine']} | - | failed: {server['error'].splitlines()[0][:120]} "
                         "| | | | | | | | |")
        for r in server["runs"]:
            non_200 = "" if not r["non_200"] else f" ({r['non_200']})"
            lines.append(
                f"| {server['engine']} | {r['concurrency']} | {r['sentences_per_s']:.1f} | "
                f"{r['sentences_per_s'] / offline:.2f}x | {_f(r['p50_ms'], '.1f')} | {_f(r['p90_ms'], '.1f')} | "
                f"{_f(r['p99_ms'], '.1f')} | {_f(r['max_ms'], '.1f')} | {r['ok']}/{r['requests']}{non_200} | "
                f"{_f(r['worst_cosine'], '.12f')} | {r['client_cpu_s']:.2f} |")
    lines.append("")
    full = v["full_load"]
    if "serve_vs_offline" in v:
        lines.append(f"- packformer serve at {full} clients / offline embed: **{v['serve_vs_offline']:.2f}x** "
                     "(issue 19's target: >= 0.8x)")
    if "serve_vs_infinity" in v:
        lines.append(f"- packformer serve / infinity-emb at {full} clients: **{v['serve_vs_infinity']:.2f}x** "
                     "(target: >= 2x)")
    lines.append("- correctness (packformer serve: every text answered 200, cosine >= "
                 f"{results['min_cosine_packformer']} vs offline): "
                 + ("yes" if v["correct"] else "NO: " + "; ".join(v["problems"])))
    for server in results["servers"]:
        if "startup_s" in server:
            lines.append(f"- {server['engine']}: ready {server['startup_s']:.1f} s after start; "
                         f"exit status {server['exit_status']} after SIGTERM; `{server['command']}`")
    return "\n".join(lines) + "\n"
