"""Graph passes over ``ovcl.ir.Model``: folding and specialisation (``folding.py``), FP16 compression of
weights (``compress_fp16.py``), and cutting a model at given inputs and outputs (``cut.py``)."""
from .compress_fp16 import DECOMPRESSION, compress_constants_to_fp16
from .folding import fold_constants, remove_noops, specialize

__all__ = ["DECOMPRESSION", "compress_constants_to_fp16", "fold_constants", "remove_noops", "specialize"]
