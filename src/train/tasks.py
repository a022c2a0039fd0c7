"""The two things `python -m train` can fit: the span tagger and the event-type classifier.

A task turns documents into window datasets, builds its model head, scores
dev windows during training (for early stopping) and scores whole documents
after training through the same code that `python -m infer` runs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from infer.tagger import THRESHOLDS_KEY, EventTypeClassifier, SpanTagger
from sitrep.alignment import IGNORE, encode_windows, tokenize_text
from sitrep.document import Document, Span
from sitrep.metrics import entity_scores, event_type_scores
from sitrep.scheme import SCHEME, LabelScheme


@dataclass
class WindowData:
    rows: list[dict]  # input_ids, attention_mask, labels
    doc_index: list[int]  # which document each window came from
    n_tokens: int  # tokens in all windows, special tokens included
    lost_spans: list[tuple[str, Span]] = field(default_factory=list)


class NerTask:
    name = "ner"

    def __init__(self, task_cfg, data_cfg, scheme: LabelScheme = SCHEME):
        self.cfg, self.data_cfg, self.scheme = task_cfg, data_cfg, scheme

    @property
    def model_class(self):
        from transformers import AutoModelForTokenClassification

        return AutoModelForTokenClassification

    def head(self) -> dict:
        return {"num_labels": len(self.scheme.bio_tags), "id2label": self.scheme.id2label, "label2id": self.scheme.label2id}

    def collator(self, tokenizer):
        from transformers import DataCollatorForTokenClassification

        return DataCollatorForTokenClassification(tokenizer, label_pad_token_id=IGNORE)

    def windows(self, docs: list[Document], tokenizer) -> WindowData:
        data = WindowData([], [], 0)
        for i, doc in enumerate(docs):
            enc = encode_windows(tokenizer, tokenize_text(tokenizer, doc.text), doc.spans,
                                 self.data_cfg.max_length, self.data_cfg.stride, self.scheme)
            data.lost_spans += [(doc.id, s) for s in enc.lost_spans]
            for w in enc.windows:
                data.rows.append({k: w[k] for k in ("input_ids", "attention_mask", "labels")})
                data.doc_index.append(i)
                data.n_tokens += len(w["input_ids"])
        return data

    def compute_metrics(self, dev: WindowData):
        """Window-level seqeval micro F1 on dev, for early stopping and best-checkpoint choice."""
        from seqeval.metrics import f1_score
        from seqeval.scheme import IOB2

        def compute(eval_pred) -> dict:
            logits, labels = eval_pred.predictions, eval_pred.label_ids
            pred_ids = logits.argmax(-1)
            y_true, y_pred = [], []
            for p_row, l_row in zip(pred_ids, labels):
                keep = l_row != IGNORE
                y_true.append([self.scheme.id2label[int(i)] for i in l_row[keep]])
                y_pred.append([self.scheme.id2label[int(i)] for i in p_row[keep]])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return {"f1": f1_score(y_true, y_pred, mode="strict", scheme=IOB2, zero_division=0)}

        return compute

    def predictor(self, model, tokenizer, batch_size: int, precision: str) -> SpanTagger:
        return SpanTagger(model, tokenizer, self.scheme, self.data_cfg.max_length, self.data_cfg.stride,
                          batch_size, precision)

    def tune(self, predictor, dev: list[Document]) -> dict:
        return {}

    def predict(self, predictor: SpanTagger, docs: list[Document]) -> list[Document]:
        spans = predictor.tag([d.text for d in docs])
        return [Document(d.id, d.text, s, [], dict(d.meta)) for d, s in zip(docs, spans)]

    def score(self, gold: list[Document], pred: list[Document]) -> dict:
        return entity_scores(gold, pred, self.scheme)


class EventTypesTask:
    name = "event_types"

    def __init__(self, task_cfg, data_cfg, scheme: LabelScheme = SCHEME):
        self.cfg, self.data_cfg, self.scheme = task_cfg, data_cfg, scheme
        self.types = list(scheme.trigger_labels)

    @property
    def model_class(self):
        from transformers import AutoModelForSequenceClassification

        return AutoModelForSequenceClassification

    def head(self) -> dict:
        return {
            "num_labels": len(self.types),
            "id2label": dict(enumerate(self.types)),
            "label2id": {t: i for i, t in enumerate(self.types)},
            "problem_type": "multi_label_classification",  # sigmoid + BCE
        }

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
        b_tags = {self.scheme.label2id[f"B-{t}"]: t for t in self.types}
        for i, doc in enumerate(docs):
            triggers = [s for s in doc.spans if s.label in self.types]
            enc = encode_windows(tokenizer, tokenize_text(tokenizer, doc.text), triggers,
                                 self.data_cfg.max_length, self.data_cfg.stride, self.scheme)
            data.lost_spans += [(doc.id, s) for s in enc.lost_spans]
            for w in enc.windows:
                present = {b_tags[l] for l in w["labels"] if l in b_tags}
                target = [float(t in present) for t in self.types]
                data.rows.append({"input_ids": w["input_ids"], "attention_mask": w["attention_mask"], "labels": target})
                data.doc_index.append(i)
                data.n_tokens += len(w["input_ids"])
        return data

    def _pool(self, window_probs: np.ndarray, doc_index: list[int]) -> np.ndarray:
        n_docs = max(doc_index) + 1 if doc_index else 0
        pooled = np.zeros((n_docs, window_probs.shape[1]), dtype=np.float32)
        idx = np.asarray(doc_index)
        for d in range(n_docs):
            rows = window_probs[idx == d]
            pooled[d] = rows.max(axis=0) if self.cfg.pooling == "max" else rows.mean(axis=0)
        return pooled

    def compute_metrics(self, dev: WindowData):
        """Article-level micro F1 at the default threshold, windows pooled as at inference."""

        def compute(eval_pred) -> dict:
            probs = 1.0 / (1.0 + np.exp(-eval_pred.predictions))
            pooled = self._pool(probs, dev.doc_index)
            gold = self._pool(eval_pred.label_ids, dev.doc_index)
            pred = pooled >= self.cfg.default_threshold
            tp = float((pred & (gold > 0.5)).sum())
            fp = float((pred & (gold < 0.5)).sum())
            fn = float((~pred & (gold > 0.5)).sum())
            return {"f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0}

        return compute

    def predictor(self, model, tokenizer, batch_size: int, precision: str) -> EventTypeClassifier:
        return EventTypeClassifier(model, tokenizer, self.scheme, self.data_cfg.max_length, self.data_cfg.stride,
                                   batch_size, precision, pooling=self.cfg.pooling,
                                   thresholds={t: self.cfg.default_threshold for t in self.types})

    def tune(self, predictor: EventTypeClassifier, dev: list[Document]) -> dict:
        """Per-type thresholds that maximise dev F1; stored in the model config."""
        if not dev:
            return {}
        probs = predictor.probabilities([d.text for d in dev])
        thresholds = {}
        for j, t in enumerate(self.types):
            gold = np.array([t in d.event_types for d in dev])
            best, best_f1 = self.cfg.default_threshold, -1.0
            if gold.any():
                for th in self.cfg.threshold_grid:
                    pred = probs[:, j] >= th
                    tp = (pred & gold).sum()
                    f1 = 2 * tp / (pred.sum() + gold.sum()) if pred.sum() + gold.sum() else 0.0
                    if f1 > best_f1 + 1e-9:
                        best, best_f1 = th, f1
            thresholds[t] = float(best)
        predictor.thresholds = thresholds
        setattr(predictor.runner.model.config, THRESHOLDS_KEY, thresholds)
        return {"thresholds": thresholds}

    def predict(self, predictor: EventTypeClassifier, docs: list[Document]) -> list[Document]:
        types = predictor.predict([d.text for d in docs])
        return [Document(d.id, d.text, [], [t for t, _ in ts], dict(d.meta)) for d, ts in zip(docs, types)]

    def score(self, gold: list[Document], pred: list[Document]) -> dict:
        return event_type_scores(gold, pred, self.scheme)


TASKS = {NerTask.name: NerTask, EventTypesTask.name: EventTypesTask}
