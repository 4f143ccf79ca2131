"""Markdown tables and PNG plots of a compare.py run."""
import json
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from compare import ANCHORS, ENGINE_NAMES, ENGINE_ORDER, MIN_EMBED_COSINE, ROOT, TOLERANCE  # noqa: E402

BEGIN = "<!-- compare:begin (bench/compare/run --full writes this part) -->"
END = "<!-- compare:end -->"
COLORS = {"torch_eager": "#999999", "torch_bt": "#ee7733", "ort": "#0077bb", "ct2": "#009988",
          "pf_slow": "#cc99cc", "pf_fast": "#aa3377", "pf_sparse": "#cc3311", "pf_sparse_fp32": "#ddaa33"}


def fmt_ms(v):
    return "-" if v is None else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def table(item):
    rows = item["rows"]
    anchors = [rows[k]["median_ms"] for k in ANCHORS if k in rows]
    best = min(anchors) if anchors else None
    best_key = min((k for k in ANCHORS if k in rows), key=lambda k: rows[k]["median_ms"], default=None)
    out = [f"**{item['title']}** — {item['tokens']} real tokens, {item['padded_tokens']} padded; "
           f"{item['iterations']} timed runs after {item['warmup']} warm-up",
           "", "| engine | median ms | p90 ms | real tokens/s | vs best anchor |", "|---|---:|---:|---:|---:|"]
    fp32 = rows.get("pf_sparse_fp32", {}).get("median_ms")  # low-precision runs only
    if fp32:
        out[-2:] = [out[-2] + " vs packformer fp32 |", out[-1] + "---:|"]
    for key in ENGINE_ORDER:
        if key not in rows:
            continue
        r = rows[key]
        tps = item["tokens"] / (r["median_ms"] / 1e3)
        ratio = f"{best / r['median_ms']:.2f}x" if best else "-"
        name = ENGINE_NAMES[key] + (" (best anchor)" if key == best_key else "")
        line = f"| {name} | {fmt_ms(r['median_ms'])} | {fmt_ms(r['p90_ms'])} | {tps:,.0f} | {ratio} |"
        out.append(line + (f" {fp32 / r['median_ms']:.2f}x |" if fp32 else ""))
    return "\n".join(out)


def fmt_cos(v):
    return "-" if v is None else f"{v:.6f}"


def within(p, dtype):
    if dtype == "fp32":
        return p["max_abs_diff"] <= TOLERANCE
    return p.get("embed_cos_min", 0.0) >= MIN_EMBED_COSINE[dtype]


def parity_table(results):
    dtype = results["meta"].get("dtype", "fp32")
    bar = "within 1e-3" if dtype == "fp32" else f"embedding cosine >= {MIN_EMBED_COSINE[dtype]}"
    out = [f"| model | engine | max abs diff vs transformers | token cosine min / mean | embedding cosine min / mean "
           f"| {bar} | parity input | notes |",
           "|---|---|---:|---:|---:|:---:|---|---|"]
    for p in results["parity"]:
        key = p["engine"].split(" ")[0]
        name = ENGINE_NAMES.get(key, key) + (p["engine"][len(key):] if p["engine"] != key else "")
        notes = []
        if "fusions" in p:
            notes.append("fused: " + ", ".join(f"{k} {v}" for k, v in p["fusions"].items()))
        if "nested_tensor" in p:
            notes.append("nested tensors " + ("on" if p["nested_tensor"] else "OFF: " + p.get("why_not_fastpath", "")))
        ok = "yes" if within(p, dtype) else "**NO**"
        out.append(f"| {p['model']} | {name} | {p['max_abs_diff']:.2e} | {fmt_cos(p.get('token_cos_min'))} / "
                   f"{fmt_cos(p.get('token_cos_mean'))} | {fmt_cos(p.get('embed_cos_min'))} / "
                   f"{fmt_cos(p.get('embed_cos_mean'))} | {ok} | {p['input']} | {'; '.join(notes)} |")
    return "\n".join(out)


def header(meta):
    dtype = meta.get("dtype", "fp32")
    precision = ("fp32 for every engine" if dtype == "fp32" else
                 f"{dtype} for every engine that has it (torch: {'bfloat16 cast' if dtype == 'bf16' else 'quantize_dynamic qint8'}"
                 f"; ONNX Runtime: {'none on its CPU provider' if dtype == 'bf16' else 'quantize_dynamic QInt8'}"
                 f"; CTranslate2: compute_type {'bfloat16' if dtype == 'bf16' else 'int8'}; packformer: --dtype {dtype}), "
                 "packformer fp32 beside it; the reference is transformers in fp32")
    return "\n".join([
        f"- command: `{meta['command']}` ({meta['mode']} mode, {meta.get('wall_minutes', '?')} minutes, {meta['date']})",
        f"- precision: {precision}",
        f"- machine: {meta['cpu']}, {meta['memory_gb']} GB; threads: {meta['threads']}; load average "
        f"{' '.join(meta['loadavg_start'])} at start, {' '.join(meta.get('loadavg_end', ['?']))} at end",
        f"- versions: torch {meta['torch']}, transformers {meta['transformers']}, onnxruntime {meta['onnxruntime']}, "
        f"ctranslate2 {meta['ctranslate2']}, Python {meta['python']}; packformer {meta['packformer']}",
        f"- token ids: one tokenization (HF tokenizers) fed to every engine; random ids {meta['random_ids']}",
    ])


def plots(results, out, mode):
    made = []
    sent = [w for w in results["workloads"] if w["kind"] == "sentences"]
    if sent:
        engines = [k for k in ENGINE_ORDER if k in sent[0]["rows"]]
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
        for ax, order in zip(axes, ("unsorted", "sorted")):
            ws = sorted((w for w in sent if w["param"][1] == order), key=lambda w: w["param"][0])
            for k in engines:
                ax.plot([w["param"][0] for w in ws], [w["tokens"] / w["rows"][k]["median_ms"] * 1e3 for w in ws],
                        marker="o", label=ENGINE_NAMES[k], color=COLORS[k])
            ax.set_xscale("log", base=2)
            ax.set_xlabel("batch size")
            ax.set_title(f"{len(ws) and sent[0]['title'].split(',')[1].strip()}, {order}")
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("real tokens / s (higher is better)")
        axes[1].legend(fontsize=8)
        fig.suptitle("all-MiniLM-L6-v2: throughput vs batch size (2 threads)")
        fig.tight_layout()
        name = f"compare-{mode}-sentences.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        made.append(name)

        n = len(engines)
        cols = 4
        fig, axes = plt.subplots((n + cols - 1) // cols, cols, figsize=(14, 6.5), sharey=True)
        axes = axes.ravel()
        for ax, k in zip(axes, engines):
            for order, style, marker in (("unsorted", "--", "s"), ("sorted", "-", "o")):
                ws = sorted((w for w in sent if w["param"][1] == order), key=lambda w: w["param"][0])
                ax.plot([w["param"][0] for w in ws], [w["tokens"] / w["rows"][k]["median_ms"] * 1e3 for w in ws],
                        style, marker=marker, mfc="white" if order == "unsorted" else COLORS[k], color=COLORS[k],
                        label=order)
            ax.set_title(ENGINE_NAMES[k], fontsize=9)
            ax.set_xscale("log", base=2)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        for ax in axes[n:]:
            ax.axis("off")
        fig.supxlabel("batch size")
        fig.supylabel("real tokens / s")
        fig.suptitle("all-MiniLM-L6-v2: sorted by length (solid) vs unsorted (dashed), per engine")
        fig.tight_layout()
        name = f"compare-{mode}-sorted-vs-unsorted.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        made.append(name)

    grid = [w for w in results["workloads"] if w["kind"] == "fixed"]
    if grid:
        lengths = sorted({w["param"][1] for w in grid})
        engines = [k for k in ENGINE_ORDER if k in grid[0]["rows"]]
        fig, axes = plt.subplots(1, len(lengths), figsize=(5 * len(lengths), 4.5), sharey=True)
        axes = [axes] if len(lengths) == 1 else axes
        for ax, t in zip(axes, lengths):
            ws = sorted((w for w in grid if w["param"][1] == t), key=lambda w: w["param"][0])
            for k in engines:
                ax.plot([w["param"][0] for w in ws], [w["tokens"] / w["rows"][k]["median_ms"] * 1e3 for w in ws],
                        marker="o", label=ENGINE_NAMES[k], color=COLORS[k])
            ax.set_xscale("log", base=2)
            ax.set_title(f"length {t}")
            ax.set_xlabel("batch size")
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("tokens / s")
        axes[-1].legend(fontsize=8)
        fig.suptitle("bert-base geometry (seeded weights): fixed grid throughput (2 threads)")
        fig.tight_layout()
        name = f"compare-{mode}-fixed-grid.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        made.append(name)
    return made


def markdown(results, pngs, link_prefix):
    notes = [f"- {n}" for n in results.get("notes", [])]
    parts = [header(results["meta"]), *notes, "", "#### Parity (each engine's last hidden states vs transformers, same run)",
             "", parity_table(results), ""]
    groups = [("tutorial", "Tutorial batches"), ("fixed", "Fixed grid (random ids)"),
              ("variable", "Variable-length grid (mean length 0.5 x max)"),
              ("sentences", "1,000 sentences of mixed length: whole pass, unsorted vs sorted by length")]
    for kind, title in groups:
        ws = [w for w in results["workloads"] if w["kind"] == kind]
        if not ws:
            continue
        parts += [f"#### {title}", ""]
        for w in ws:
            parts += [table(w), ""]
    if pngs:
        parts += ["#### Plots", ""] + [f"![{p}]({link_prefix}{p})" for p in pngs] + [""]
    return "\n".join(parts)


def write(results, out, mode):
    out.mkdir(parents=True, exist_ok=True)
    (out / f"compare-{mode}.json").write_text(json.dumps(results, indent=1))
    pngs = plots(results, out, mode)
    (out / f"compare-{mode}.md").write_text(f"# Side-by-side comparison ({mode} mode)\n\n" + markdown(results, pngs, ""))
    if mode == "full":
        doc = ROOT / "docs" / "BENCHMARKS.md"
        text = doc.read_text() if doc.exists() else ""
        body = f"{BEGIN}\n{markdown(results, pngs, 'benchmarks/')}\n{END}"
        if BEGIN in text and END in text:
            text = text[:text.index(BEGIN)] + body + text[text.index(END) + len(END):]
        else:
            text += "\n" + body + "\n"
        doc.write_text(text)
    print(f"wrote {out}/compare-{mode}.md", flush=True)


if __name__ == "__main__":
    import sys

    mode = sys.argv[1] if len(sys.argv) > 1 else "quick"
    out = ROOT / "docs" / "benchmarks"
    write(json.loads((out / f"compare-{mode}.json").read_text()), out, mode)
