"""Graph passes over ``ovcl.ir.Model``: folding and specialisation (``folding.py``), FP16 compression of
weights (``compress_fp16.py``), cutting a model at given inputs and outputs (``cut.py``), and sinking the
Transposes of NHWC models through layout-agnostic ops until they cancel (``transpose_sinking.py``)."""
from .compress_fp16 import DECOMPRESSION, compress_constants_to_fp16
from .folding import fold_constants, remove_noops, specialize
from .transpose_sinking import sink_transposes

__all__ = ["DECOMPRESSION", "compress_constants_to_fp16", "fold_constants", "remove_noops", "sink_transposes",
           "specialize"]
