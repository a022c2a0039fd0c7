"""What `python -m train` can fit, built from ``configs/task/*.yaml`` with ``hydra.utils.instantiate``.

- :class:`NerTask`: the span tagger, with an article head on the same encoder
  pass for event types (both losses), and the event-type rule tuned on dev;
- :class:`EventTypesTask`: the separate article classifier (a second pass),
  kept for comparison.

A task turns documents into window datasets, builds its model, scores dev
windows during training (early stopping) and scores whole documents after
training through the same runtime code that `python -m infer` runs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sitrep.alignment import IGNORE, encode_windows, tokenize_text
from sitrep.document import Document, Span
from sitrep.metrics import entity_scores, event_type_scores, overlap_scores
from sitrep.runtime.article_head import ArticleHead, TaggerWithArticleHead
from sitrep.runtime.classifier import THRESHOLDS_KEY, EventTypeClassifier
from sitrep.runtime.event_types import RULES, EventTypeDecision, tune_thresholds
from sitrep.runtime.tagger import SpanTagger
from sitrep.scheme import SCHEME, LabelScheme


@dataclass
class WindowData:
    rows: list[dict]  # input_ids, attention_mask, labels (and type_labels)
    doc_index: list[int]  # which document each window came from
    n_tokens: int  # tokens in all windows, special tokens included
    lost_spans: list[tuple[str, Span]] = field(default_factory=list)


def doc_groups(doc: Document) -> list[str]:
    """The report groups of a document: its provenance, and for real text its form (short or full)."""
    prov = str(doc.meta.get("provenance"))
    form = doc.meta.get("form")
    return [prov] + ([f"{prov}/{form}"] if prov == "real" and form in ("short", "full") else [])


def grouped(score, gold: list[Document], pred: list[Document]) -> dict:
    """``score(gold, pred)`` overall and per group (provenance; real short and full apart)."""
    out = score(gold, pred)
    groups = sorted({g for d in gold for g in doc_groups(d)})
    by_id = {d.id: d for d in pred}
    out["by_group"] = {}
    for g in groups:
        members = [d for d in gold if g in doc_groups(d)]
        out["by_group"][g] = {"articles": len(members),
                              **score(members, [by_id[d.id] for d in members if d.id in by_id])}
    return out


def window_type_targets(labels: list[int], types: list[str], scheme: LabelScheme) -> list[float]:
    """The event types whose triggers begin in a window: the article label is the max over windows."""
    begins = {scheme.label2id[f"B-{t}"]: t for t in types}
    present = {begins[label] for label in labels if label in begins}
    return [float(t in present) for t in types]


class NerTask:
    def __init__(self, name: str = "ner", metric: str = "f1", article_head: dict | None = None,
                 event_types: dict | None = None, max_length: int = 128, stride: int = 32,
                 scheme: LabelScheme = SCHEME):
        self.name, self.metric, self.scheme = name, metric, scheme
        self.max_length, self.stride = max_length, stride
        self.head_cfg = {"enabled": False, "loss_weight": 1.0, "dropout": 0.1, **(article_head or {})}
        self.types_cfg = {"rule": "triggers", "threshold_grid": [0.5], **(event_types or {})}
        if self.types_cfg["rule"] not in (*RULES, "auto"):
            raise ValueError(f"task.event_types.rule must be one of {', '.join(RULES)} or auto, "
                             f"not {self.types_cfg['rule']!r}")
        self.types = list(scheme.trigger_labels)
        self.decision = EventTypeDecision("triggers")
        self.decisions: dict[str, EventTypeDecision] = {}  # every rule, tuned on dev: compared side by side
        self._tagged: dict[str, object] = {}  # doc id -> its last analysis, to score every rule

    @property
    def with_head(self) -> bool:
        return bool(self.head_cfg["enabled"])

    @property
    def label_names(self) -> list[str]:
        return ["labels", "type_labels"] if self.with_head else ["labels"]

    def build_model(self, backbone, tokenizer):
        from transformers import AutoModelForTokenClassification

        model = backbone.load_model(AutoModelForTokenClassification, tokenizer, num_labels=len(self.scheme.bio_tags),
                                    id2label=self.scheme.id2label, label2id=self.scheme.label2id)
        if not self.with_head:
            return model
        head = ArticleHead(model.config.hidden_size, self.types, float(self.head_cfg["dropout"]))
        return TaggerWithArticleHead(model, head, float(self.head_cfg["loss_weight"]))

    def collator(self, tokenizer):
        import torch
        from transformers import DataCollatorForTokenClassification

        tokens = DataCollatorForTokenClassification(tokenizer, label_pad_token_id=IGNORE)

        def collate(rows: list[dict]):
            types = [r["type_labels"] for r in rows] if "type_labels" in rows[0] else None
            batch = tokens([{k: v for k, v in r.items() if k != "type_labels"} for r in rows])
            if types is not None:
                batch["type_labels"] = torch.tensor(types, dtype=torch.float32)
            return batch

        return collate

    def windows(self, docs: list[Document], tokenizer) -> WindowData:
        data = WindowData([], [], 0)
        for i, doc in enumerate(docs):
            enc = encode_windows(tokenizer, tokenize_text(tokenizer, doc.text), doc.spans,
                                 self.max_length, self.stride, self.scheme)
            data.lost_spans += [(doc.id, s) for s in enc.lost_spans]
            for w in enc.windows:
                row = {k: w[k] for k in ("input_ids", "attention_mask", "labels")}
                if self.with_head:
                    row["type_labels"] = window_type_targets(w["labels"], self.types, self.scheme)
                data.rows.append(row)
                data.doc_index.append(i)
                data.n_tokens += len(w["input_ids"])
        return data

    def compute_metrics(self, dev: WindowData):
        """Window-level seqeval strict F1 on dev (early stopping); with a head, its window micro F1 too."""
        from seqeval.metrics import f1_score
        from seqeval.scheme import IOB2
        from sklearn.metrics import f1_score as sk_f1

        def compute(eval_pred) -> dict:
            preds = eval_pred.predictions
            token_logits = preds[0] if isinstance(preds, tuple) else preds
            labels = eval_pred.label_ids[0] if isinstance(eval_pred.label_ids, tuple) else eval_pred.label_ids
            pred_ids = token_logits.argmax(-1)
            y_true, y_pred = [], []
            for p_row, l_row in zip(pred_ids, labels):
                keep = l_row != IGNORE
                y_true.append([self.scheme.id2label[int(i)] for i in l_row[keep]])
                y_pred.append([self.scheme.id2label[int(i)] for i in p_row[keep]])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = {"f1": f1_score(y_true, y_pred, mode="strict", scheme=IOB2, zero_division=0)}
            if isinstance(preds, tuple) and isinstance(eval_pred.label_ids, tuple):
                out["type_f1"] = float(sk_f1(eval_pred.label_ids[1] > 0.5, preds[1] > 0, average="micro",
                                             zero_division=0))
            return out

        return compute

    def predictor(self, model, tokenizer, batch_size: int, precision: str) -> SpanTagger:
        token_model, head = (model.token_model, model.head) if isinstance(model, TaggerWithArticleHead) else (model, None)
        return SpanTagger(token_model, tokenizer, self.scheme, self.max_length, self.stride, batch_size, precision,
                          head=head)

    def tune(self, predictor: SpanTagger, dev: list[Document]) -> dict:
        """Thresholds of every event-type rule on dev; the configured rule (or the best, for auto) is kept."""
        if not dev:
            return {}
        tagged = predictor.analyse([d.text for d in dev])
        gold = [d.event_types for d in dev]
        grid = list(self.types_cfg["threshold_grid"])
        rules = RULES if predictor.head is not None else ("triggers",)
        results = {}
        for rule in rules:
            probe = EventTypeDecision(rule)
            scores = np.stack([probe.scores(self._trigger_scores(t.spans), t.head_probs) for t in tagged])
            # The trigger rule's thresholds start at 0: the spec's own definition is one of its choices.
            thresholds = tune_thresholds(scores, gold, self.types, ([0.0] + grid) if rule == "triggers" else grid,
                                         0.0 if rule == "triggers" else 0.5)
            decision = EventTypeDecision(rule, thresholds, f"dev ({len(dev)} articles)")
            self.decisions[rule] = decision
            predicted = [Document(d.id, d.text, [], [t for t, _ in decision.decide(x.spans, x.head_probs, self.scheme)])
                         for d, x in zip(dev, tagged)]
            results[rule] = {"thresholds": thresholds,
                             "dev_micro_f1": event_type_scores(dev, predicted, self.scheme)["micro"]["f1"]}
        wanted = self.types_cfg["rule"]
        rule = max(results, key=lambda r: (results[r]["dev_micro_f1"], r == "triggers")) if wanted == "auto" else wanted
        if rule not in results:
            raise ValueError(f"task.event_types.rule={rule} needs an article head (task.article_head.enabled=true)")
        self.decision = EventTypeDecision(rule, results[rule]["thresholds"], f"dev ({len(dev)} articles)")
        return {"event_type_rules": results, "event_type_rule": rule}

    def _trigger_scores(self, spans: list[Span]) -> np.ndarray:
        from sitrep.runtime.event_types import trigger_scores

        return trigger_scores(spans, self.types)

    def predict(self, predictor: SpanTagger, docs: list[Document]) -> list[Document]:
        out = []
        for d, t in zip(docs, predictor.analyse([d.text for d in docs])):
            self._tagged[d.id] = t
            types = [label for label, _ in self.decision.decide(t.spans, t.head_probs, self.scheme)]
            out.append(Document(d.id, d.text, t.spans, types, dict(d.meta)))
        return out

    def score(self, gold: list[Document], pred: list[Document]) -> dict:
        def one(g, p):
            return {**entity_scores(g, p, self.scheme), "overlap": overlap_scores(g, p, self.scheme),
                    "event_types": event_type_scores(g, p, self.scheme)}

        out = grouped(one, gold, pred)
        # Every tuned rule on the same pass (README: the event-type designs side by side), and the baseline
        # they must beat: the spec's definition, the set of trigger labels found (no threshold).
        if self.decisions and all(d.id in self._tagged for d in gold):
            out["event_types_by_rule"] = {}
            baseline = EventTypeDecision("triggers", {t: 0.0 for t in self.types}, "none: the spec's definition")
            for rule, decision in {"trigger_labels": baseline, **self.decisions}.items():
                by_rule = [Document(d.id, d.text, [], [t for t, _ in decision.decide(
                    self._tagged[d.id].spans, self._tagged[d.id].head_probs, self.scheme)], dict(d.meta)) for d in gold]
                out["event_types_by_rule"][rule] = grouped(
                    lambda g, p: event_type_scores(g, p, self.scheme), gold, by_rule)
        return out

    def save(self, model, tokenizer, out_dir: Path) -> None:
        token_model = model.token_model if isinstance(model, TaggerWithArticleHead) else model
        token_model.save_pretrained(out_dir, safe_serialization=True)
        tokenizer.save_pretrained(out_dir)
        if isinstance(model, TaggerWithArticleHead):
            model.head.save(out_dir)
        self.decision.save(out_dir)


class EventTypesTask:
    def __init__(self, name: str = "event_types", metric: str = "f1", pooling: str = "max",
                 threshold_grid: list[float] = (0.5,), default_threshold: float = 0.5,
                 max_length: int = 128, stride: int = 32, scheme: LabelScheme = SCHEME):
        self.name, self.metric, self.pooling, self.scheme = name, metric, pooling, scheme
        self.threshold_grid, self.default_threshold = list(threshold_grid), default_threshold
        self.max_length, self.stride = max_length, stride
        self.types = list(scheme.trigger_labels)
        self.label_names = ["labels"]

    def build_model(self, backbone, tokenizer):
        from transformers import AutoModelForSequenceClassification

        return backbone.load_model(
            AutoModelForSequenceClassification, tokenizer, num_labels=len(self.types),
            id2label=dict(enumerate(self.types)), label2id={t: i for i, t in enumerate(self.types)},
            problem_type="multi_label_classification",  # sigmoid + BCE
        )

    def collator(self, tokenizer):
        from transformers import DataCollatorWithPadding

        return DataCollatorWithPadding(tokenizer)

    def windows(self, docs: list[Document], tokenizer) -> WindowData:
        """Each window is labelled with the event types whose triggers it holds.

        The article label is then exactly the max over its windows, which is how
        inference pools them; labelling every window with the whole article's
        types would teach the model to see events in windows that report none.
        """
        data = WindowData([], [], 0)
        for i, doc in enumerate(docs):
            triggers = [s for s in doc.spans if s.label in self.types]
            enc = encode_windows(tokenizer, tokenize_text(tokenizer, doc.text), triggers,
                                 self.max_length, self.stride, self.scheme)
            data.lost_spans += [(doc.id, s) for s in enc.lost_spans]
            for w in enc.windows:
                target = window_type_targets(w["labels"], self.types, self.scheme)
                data.rows.append({"input_ids": w["input_ids"], "attention_mask": w["attention_mask"], "labels": target})
                data.doc_index.append(i)
                data.n_tokens += len(w["input_ids"])
        return data

    def _pool(self, window_probs: np.ndarray, doc_index: list[int]) -> np.ndarray:
        idx = np.asarray(doc_index)
        n_docs = int(idx.max()) + 1 if len(idx) else 0
        rows = [window_probs[idx == d] for d in range(n_docs)]
        return np.stack([r.max(axis=0) if self.pooling == "max" else r.mean(axis=0) for r in rows])

    def compute_metrics(self, dev: WindowData):
        """Article-level micro F1 at the default threshold, windows pooled as at inference."""
        from sklearn.metrics import f1_score

        def compute(eval_pred) -> dict:
            probs = 1.0 / (1.0 + np.exp(-eval_pred.predictions))
            pooled = self._pool(probs, dev.doc_index) >= self.default_threshold
            gold = self._pool(eval_pred.label_ids, dev.doc_index) > 0.5
            return {"f1": float(f1_score(gold, pooled, average="micro", zero_division=0))}

        return compute

    def predictor(self, model, tokenizer, batch_size: int, precision: str) -> EventTypeClassifier:
        return EventTypeClassifier(model, tokenizer, self.scheme, self.max_length, self.stride, batch_size, precision,
                                   pooling=self.pooling, thresholds={t: self.default_threshold for t in self.types})

    def tune(self, predictor: EventTypeClassifier, dev: list[Document]) -> dict:
        """Per-type thresholds that maximise dev F1; stored in the model config."""
        if not dev:
            return {}
        probs = predictor.probabilities([d.text for d in dev])
        thresholds = tune_thresholds(probs, [d.event_types for d in dev], self.types, self.threshold_grid,
                                     self.default_threshold)
        predictor.thresholds = thresholds
        setattr(predictor.runner.model.config, THRESHOLDS_KEY, thresholds)
        return {"thresholds": thresholds}

    def predict(self, predictor: EventTypeClassifier, docs: list[Document]) -> list[Document]:
        types = predictor.predict([d.text for d in docs])
        return [Document(d.id, d.text, [], [t for t, _ in ts], dict(d.meta)) for d, ts in zip(docs, types)]

    def score(self, gold: list[Document], pred: list[Document]) -> dict:
        return grouped(lambda g, p: event_type_scores(g, p, self.scheme), gold, pred)

    def save(self, model, tokenizer, out_dir: Path) -> None:
        model.save_pretrained(out_dir, safe_serialization=True)
        tokenizer.save_pretrained(out_dir)
