"""Report files: report.json, report.md (plain tables for a terminal) and report.html (one
self-contained page: plots embedded, each article rendered with gold and predicted spans)."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from sitrep.document import Document
from sitrep.metrics import NERVALUATE_MODES

# ---- plots ----------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    _pyplot().close(fig)
    return buf.getvalue()


def plot_f1_bars(report: dict) -> bytes:
    plt = _pyplot()
    per_label = report["entities"]["seqeval"]["per_label"]
    labels = list(per_label)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.bar(labels, [per_label[l]["f1"] for l in labels], color=[report["colours"][l] for l in labels])
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1 (seqeval strict)")
    ax.set_title("Entity F1 per label")
    ax.tick_params(axis="x", rotation=35)
    for i, l in enumerate(labels):
        ax.text(i, per_label[l]["f1"] + 0.02, f"n={per_label[l]['support']}", ha="center", fontsize=7)
    fig.tight_layout()
    return _png(fig)


def plot_confusion(report: dict) -> bytes:
    plt = _pyplot()
    conf = report["confusion"]
    rows, cols = conf["rows"], conf["columns"]
    values = [[conf["matrix"][r][c] for c in cols] for r in rows]
    fig, ax = plt.subplots(figsize=(7.5, 6))
    im = ax.imshow(values, cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    top = max(max(r) for r in values) or 1
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            if v:
                ax.text(j, i, v, ha="center", va="center", fontsize=7, color="white" if v > top / 2 else "black")
    fig.colorbar(im, ax=ax, shrink=0.7)
    ax.set_title("Span confusion (best character overlap)")
    fig.tight_layout()
    return _png(fig)


def plot_learning_curve(curve: list[dict]) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    xs = [p["train_articles"] for p in curve]
    ax.errorbar(xs, [p["mean"] for p in curve], yerr=[p["sd"] for p in curve], marker="o", capsize=3)
    ax.set_xlabel("training articles")
    ax.set_ylabel("seed-test micro F1")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


# ---- markdown -------------------------------------------------------------


def _prf_table(rows: dict, support_key: str = "support") -> list[str]:
    out = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for label, r in rows.items():
        out.append(f"| {label} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r.get(support_key, '')} |")
    return out


def to_markdown(report: dict, errors: bool = True) -> str:
    md = ["# Evaluation report", "",
          f"- gold: `{report['gold']}` ({report['articles']} articles)",
          f"- predictions: `{report['predictions']}`",
          f"- created: {report['created']}"]
    if report["articles_without_prediction"]:
        md.append(f"- articles without a prediction (scored as empty): {', '.join(report['articles_without_prediction'])}")
    if "windowing" in report:
        md.append(f"- gold spans lost to windowing: {report['windowing']['lost_spans']} (must be 0)")
    md.append("")
    if "entities" in report:
        s = report["entities"]["seqeval"]
        md += ["## Entities: seqeval, strict mode, IOB2, entity level", ""]
        md += _prf_table(s["per_label"])
        md += [f"| **micro** | {s['micro']['precision']:.3f} | {s['micro']['recall']:.3f} | {s['micro']['f1']:.3f} | {s['micro']['support']} |",
               f"| **macro** | {s['macro']['precision']:.3f} | {s['macro']['recall']:.3f} | {s['macro']['f1']:.3f} | |", ""]
        nv = report["entities"]["nervaluate"]
        md += ["## Entities: SemEval-2013 schemes (nervaluate), F1", "", nv["scheme"], "",
               "| label | " + " | ".join(NERVALUATE_MODES) + " |", "|---|" + "---:|" * len(NERVALUATE_MODES)]
        for label in nv["strict"]["per_label"]:
            md.append(f"| {label} | " + " | ".join(f"{nv[m]['per_label'][label]['f1']:.3f}" for m in NERVALUATE_MODES) + " |")
        md.append("| **micro** | " + " | ".join(f"{nv[m]['micro']['f1']:.3f}" for m in NERVALUATE_MODES) + " |")
        md.append("| **macro** | " + " | ".join(f"{nv[m]['macro']['f1']:.3f}" for m in NERVALUATE_MODES) + " |")
        conf = report["confusion"]
        md += ["", f"## Span confusion (rows gold, columns predicted; {conf['matching']})", "",
               "| gold \\ predicted | " + " | ".join(conf["columns"]) + " |", "|---|" + "---:|" * len(conf["columns"])]
        for r in conf["rows"]:
            md.append(f"| {r} | " + " | ".join(str(conf["matrix"][r][c]) for c in conf["columns"]) + " |")
        cas = report["casualties"]
        md += ["", "## Casualty numbers", "",
               f"{cas['matched']} of {cas['gold_spans']} gold CASUALTY spans matched by a predicted one; "
               f"exact-number accuracy {_fmt(cas['exact_number_accuracy'])}, mean absolute error {_fmt(cas['mean_absolute_error'])}.", ""]
    if "event_types" in report:
        et = report["event_types"]
        md += ["## Event types (article level)", ""] + _prf_table(et["per_type"])
        md += [f"| **micro** | {et['micro']['precision']:.3f} | {et['micro']['recall']:.3f} | {et['micro']['f1']:.3f} | {et['micro']['support']} |",
               f"| **macro** | {et['macro']['precision']:.3f} | {et['macro']['recall']:.3f} | {et['macro']['f1']:.3f} | |",
               "", f"Exact match of the whole set: {et['exact_match']:.3f}", "",
               "| article | gold | predicted |", "|---|---|---|"]
        for a in report["per_article"]:
            md.append(f"| {a['id']} | {', '.join(a['gold_event_types'])} | {', '.join(a['predicted_event_types'])} |")
        md.append("")
    if "cv" in report:
        md += ["## Cross-validation", ""] + [f"- {k}: {v['mean']:.3f} ± {v['sd']:.3f} (n={v['n']})" for k, v in report["cv"].items()] + [""]
    if "learning_curve" in report:
        md += ["## Learning curve", "", "| training articles | seed-test micro F1 |", "|---:|---|"]
        md += [f"| {p['train_articles']} | {p['mean']:.3f} ± {p['sd']:.3f} |" for p in report["learning_curve"]] + [""]
    if "entities" in report and errors:
        md += ["## Errors per article (strict)", ""]
        for a in report["per_article"]:
            md.append(f"### {a['id']}: {len(a['false_negatives'])} missed, {len(a['false_positives'])} spurious")
            for kind, key in (("FN", "false_negatives"), ("FP", "false_positives")):
                for e in a[key]:
                    md.append(f"- {kind} {e['start']}-{e['end']} {e['label']}: {e['context']}")
            md.append("")
    return "\n".join(md) + "\n"


def _fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


# ---- html -----------------------------------------------------------------


def render_spans(text: str, spans: list, colours: dict) -> str:
    """Article text as HTML with each span a <mark> in its label's colour."""
    out, pos = [], 0
    for s in sorted(spans, key=lambda s: (s.start, s.end)):
        if s.start < pos:
            continue
        out.append(html.escape(text[pos:s.start]))
        title = s.label + (f" {s.score:.2f}" if getattr(s, "score", None) is not None else "")
        out.append(f'<mark class="span" data-label="{s.label}" style="--c:{colours.get(s.label, "#999")}" '
                   f'title="{html.escape(title)}">{html.escape(text[s.start:s.end])}<sub>{s.label}</sub></mark>')
        pos = s.end
    out.append(html.escape(text[pos:]))
    return "".join(out)


CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}
td:first-child,th:first-child{text-align:left}img{max-width:100%}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.doc{white-space:pre-wrap;border:1px solid #ddd;padding:.6rem;font-size:13px}
mark.span{background:color-mix(in srgb,var(--c) 30%,white);border-bottom:2px solid var(--c);padding:0 1px}
mark.span sub{font-size:9px;color:#444;margin-left:2px}.err{font-size:13px}details{margin:.6rem 0}
"""


def _html_table(md_rows: list[str]) -> str:
    head, _, *body = md_rows
    cells = lambda row: [c.strip() for c in row.strip("|").split("|")]
    out = ["<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cells(head)) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{html.escape(c.replace('**', ''))}</td>" for c in cells(r)) + "</tr>" for r in body]
    return "".join(out) + "</table>"


def to_html(report: dict, gold: list[Document], pred: list[Document], images: dict[str, bytes]) -> str:
    """One self-contained page: tables, embedded plots, and every article rendered twice."""
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>sitrep evaluation report</title>"
             f"<style>{CSS}</style></head><body><h1>Evaluation report</h1>",
             f"<p>gold <code>{html.escape(report['gold'])}</code> ({report['articles']} articles); predictions "
             f"<code>{html.escape(report['predictions'])}</code>; {html.escape(report['created'])}</p>"]
    if "windowing" in report:
        parts.append(f"<p>Gold spans lost to windowing: <b>{report['windowing']['lost_spans']}</b> (must be 0)</p>")
    # Reuse the Markdown tables so both files always agree.
    md = to_markdown(report).splitlines()
    section, rows = None, []

    def flush():
        if rows:
            parts.append(_html_table(rows))
            rows.clear()

    for line in md:
        if line.startswith("## ") and not line.startswith("## Errors"):
            flush()
            section = line[3:]
            parts.append(f"<h2>{html.escape(section)}</h2>")
            key = {"Entities: seqeval": "f1_by_label", "Span confusion": "confusion", "Learning curve": "learning_curve"}
            for prefix, name in key.items():
                if section.startswith(prefix) and name in images:
                    parts.append(f"<img alt='{name}' src='data:image/png;base64,{base64.b64encode(images[name]).decode()}'>")
        elif line.startswith("## Errors"):
            flush()
            break
        elif line.startswith("|"):
            rows.append(line)
        else:
            flush()
            if line.strip() and not line.startswith("#") and not line.startswith("- ") and section:
                parts.append(f"<p>{html.escape(line)}</p>")
    flush()
    parts.append("<h2>Articles: gold and predicted spans</h2>")
    pred_by_id = {d.id: d for d in pred}
    errors = {a["id"]: a for a in report["per_article"]}
    for doc in gold:
        other = pred_by_id.get(doc.id)
        a = errors[doc.id]
        parts.append(f"<details open><summary><b>{html.escape(doc.id)}</b> ({html.escape(str(doc.meta.get('provenance', '')))}): "
                     f"{len(a['false_negatives'])} missed, {len(a['false_positives'])} spurious; event types gold "
                     f"{html.escape(', '.join(a['gold_event_types']))}, predicted {html.escape(', '.join(a['predicted_event_types']))}"
                     "</summary>")
        if "entities" in report:
            parts.append("<div class='err'><ul>")
            for kind, key in (("missed", "false_negatives"), ("spurious", "false_positives")):
                for e in a[key]:
                    parts.append(f"<li>{kind} {e['start']}-{e['end']} <b>{e['label']}</b>: {html.escape(e['context'])}</li>")
            parts.append("</ul></div>")
            parts.append("<div class='pair'><div><h3>gold</h3><div class='doc gold'>"
                         + render_spans(doc.text, doc.spans, report["colours"]) + "</div></div>"
                         + "<div><h3>predicted</h3><div class='doc predicted'>"
                         + render_spans(doc.text, other.spans if other else [], report["colours"]) + "</div></div></div>")
        parts.append("</details>")
    parts.append("</body></html>")
    return "\n".join(parts)


DOCUMENTS = "documents.json"


def read_documents(report_dir: str | Path) -> tuple[list[Document], list[Document]]:
    from sitrep.document import Span

    saved = json.loads((Path(report_dir) / DOCUMENTS).read_text(encoding="utf-8"))
    to_doc = lambda d: Document(d["id"], d["text"], [Span(*s) for s in d["spans"]], d["event_types"], d.get("meta", {}))
    return [to_doc(d) for d in saved["gold"]], [to_doc(d) for d in saved["predicted"]]


def write_report(out_dir: str | Path, report: dict, gold: list[Document], pred: list[Document]) -> Path:
    """report.json, report.md, report.html and the plot PNGs; returns the HTML path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = {}
    if "entities" in report:
        images["f1_by_label"] = plot_f1_bars(report)
        images["confusion"] = plot_confusion(report)
    if report.get("learning_curve"):
        images["learning_curve"] = plot_learning_curve(report["learning_curve"])
    for name, data in images.items():
        (out / f"{name}.png").write_bytes(data)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # The scored documents, so a report can be re-rendered with more sections later.
    as_json = lambda d: {"id": d.id, "text": d.text, "event_types": d.event_types, "meta": d.meta,
                         "spans": [[s.start, s.end, s.label, s.score] for s in d.sorted_spans()]}
    (out / DOCUMENTS).write_text(json.dumps({"gold": [as_json(d) for d in gold], "predicted": [as_json(d) for d in pred]},
                                            ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "report.md").write_text(to_markdown(report), encoding="utf-8")
    page = out / "report.html"
    page.write_text(to_html(report, gold, pred, images), encoding="utf-8")
    return page


def summary_text(report_dir: str | Path) -> str:
    """The scores of a written report for a terminal: report.md without the per-article error lists."""
    report = json.loads((Path(report_dir) / "report.json").read_text(encoding="utf-8"))
    return to_markdown(report, errors=False)
