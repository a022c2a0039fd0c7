"""Report files: report.json, report.md (plain tables for a terminal) and report.html (one
self-contained page: plots embedded, each article rendered with gold and predicted spans)."""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field
from functools import lru_cache
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


# ---- the view: one data model for both files --------------------------------


@dataclass
class Table:
    head: list[str]
    rows: list[list[str]]
    align: list[str] = field(default_factory=list)  # "l" or "r" per column


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    image: str | None = None  # a plot shown with the section in HTML


def _f(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _prf(rows: dict, micro: dict | None = None, macro: dict | None = None, first: str = "label") -> Table:
    body = [[label, _f(r["precision"]), _f(r["recall"]), _f(r["f1"]), str(r.get("support", ""))] for label, r in rows.items()]
    if micro:
        body.append(["**micro**", _f(micro["precision"]), _f(micro["recall"]), _f(micro["f1"]), str(micro.get("support", ""))])
    if macro:
        body.append(["**macro**", _f(macro["precision"]), _f(macro["recall"]), _f(macro["f1"]), ""])
    return Table([first, "precision", "recall", "F1", "support"], body, ["l", "r", "r", "r", "r"])


def sections(report: dict) -> list[Section]:
    """The report as titled sections of lines and tables, rendered by report.md.j2 and report.html.j2."""
    out: list[Section] = []
    if "entities" in report:
        s = report["entities"]["seqeval"]
        out.append(Section("Entities: seqeval, strict mode, IOB2, entity level",
                           tables=[_prf(s["per_label"], s["micro"], s["macro"])], image="f1_by_label"))
        nv = report["entities"]["nervaluate"]
        modes = [m for m in NERVALUATE_MODES]
        rows = [[label, *(_f(nv[m]["per_label"][label]["f1"]) for m in modes)] for label in nv["strict"]["per_label"]]
        rows += [["**micro**", *(_f(nv[m]["micro"]["f1"]) for m in modes)],
                 ["**macro**", *(_f(nv[m]["macro"]["f1"]) for m in modes)]]
        out.append(Section("Entities: SemEval-2013 schemes (nervaluate), F1", [nv["scheme"]],
                           [Table(["label", *modes], rows, ["l", *"r" * len(modes)])]))
        conf = report["confusion"]
        out.append(Section(f"Span confusion (rows gold, columns predicted; {conf['matching']})",
                           tables=[Table(["gold \\ predicted", *conf["columns"]],
                                         [[r, *(str(conf["matrix"][r][c]) for c in conf["columns"])] for r in conf["rows"]],
                                         ["l", *"r" * len(conf["columns"])])], image="confusion"))
        cas = report["casualties"]
        out.append(Section("Casualty numbers", [
            f"{cas['matched']} of {cas['gold_spans']} gold CASUALTY spans matched by a predicted one; exact-number "
            f"accuracy {_f(cas['exact_number_accuracy'])}, mean absolute error {_f(cas['mean_absolute_error'])}."]))
    if "event_types" in report:
        et = report["event_types"]
        per_article = Table(["article", "gold", "predicted"],
                            [[a["id"], ", ".join(a["gold_event_types"]), ", ".join(a["predicted_event_types"])]
                             for a in report["per_article"]], ["l", "l", "l"])
        out.append(Section("Event types (article level)", [f"Exact match of the whole set: {et['exact_match']:.3f}"],
                           [_prf(et["per_type"], et["micro"], et["macro"], "type"), per_article]))
    if "events" in report:
        ev = report["events"]
        out.append(Section("Event records against gold events", [
            f"{ev['matched']} of {ev['gold_events']} gold events matched by one of {ev['predicted_events']} predicted "
            f"({ev['matching']}): precision {ev['precision']:.3f}, recall {ev['recall']:.3f}, F1 {ev['f1']:.3f}."], [
            Table(["field", "accuracy over matched events"], [[k, _f(v)] for k, v in ev["field_accuracy"].items()], ["l", "r"]),
            *[Table([title, "events", "fatalities"], [[k, str(v["events"]), str(v["fatalities"])] for k, v in ev[key].items()],
                    ["l", "r", "r"]) for key, title in (("by_type", "event type"), ("by_country", "country"))],
        ]))
    if "cv" in report:
        out.append(Section("Cross-validation", [f"- {k}: {v['mean']:.3f} ± {v['sd']:.3f} (n={v['n']})"
                                                for k, v in report["cv"].items()]))
    if "learning_curve" in report:
        out.append(Section("Learning curve", tables=[Table(
            ["training articles", "test micro F1"],
            [[str(p["train_articles"]), f"{p['mean']:.3f} ± {p['sd']:.3f}"] for p in report["learning_curve"]],
            ["r", "l"])], image="learning_curve"))
    return out


@lru_cache(maxsize=1)
def _templates():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("sitrep", "templates"), undefined=StrictUndefined, autoescape=False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md_row"] = lambda cells: "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
    env.filters["md_rule"] = lambda table: "|" + "".join("---:|" if a == "r" else "---|"
                                                         for a in (table.align or ["l"] * len(table.head)))
    env.filters["e"] = lambda text: html.escape(str(text).replace("**", ""))
    env.filters["b64"] = lambda data: base64.b64encode(data).decode()
    return env


def to_markdown(report: dict, errors: bool = True) -> str:
    return _templates().get_template("report.md.j2").render(report=report, sections=sections(report), errors=errors)


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


def to_html(report: dict, gold: list[Document], pred: list[Document], images: dict[str, bytes]) -> str:
    """One self-contained page: the same sections as report.md, plots embedded, every article rendered twice."""
    pred_by_id = {d.id: d for d in pred}
    articles = []
    for doc, errs in zip(gold, report["per_article"]):
        other = pred_by_id.get(doc.id)
        articles.append({"doc": doc, "errors": errs, "gold_html": render_spans(doc.text, doc.spans, report["colours"]),
                         "pred_html": render_spans(doc.text, other.spans if other else [], report["colours"])})
    return _templates().get_template("report.html.j2").render(report=report, sections=sections(report), images=images,
                                                             articles=articles)


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


def rerender(report_dir: str | Path, extras: dict) -> Path:
    """A written report again, with more sections (cross-validation, a learning curve); returns its page."""
    report_dir = Path(report_dir)
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    report.update(extras)
    gold, pred = read_documents(report_dir)
    return write_report(report_dir, report, gold, pred)


def summary_text(report_dir: str | Path) -> str:
    """The scores of a written report for a terminal: report.md without the per-article error lists."""
    report = json.loads((Path(report_dir) / "report.json").read_text(encoding="utf-8"))
    return to_markdown(report, errors=False)
