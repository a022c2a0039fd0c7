"""sitrep: conflict news -> event data. Shared domain code: label scheme, Label Studio I/O, alignment."""

__version__ = "0.1.0"
