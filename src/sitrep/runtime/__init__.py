"""The model runtime: trained checkpoints at work on raw text.

Layering: :mod:`sitrep` domain modules (scheme, documents, words, metrics)
know nothing of torch; this package runs models and is used by `python -m
train`, `python -m infer` and the `python -m sitrep` commands that need a
model (``evaluate``, ``studio push``). :class:`sitrep.runtime.pipeline.ConflictModel`
is the one loader all three use.
"""
