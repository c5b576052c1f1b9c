"""ovcl's model: element types, shapes, nodes, the OpenVINO op set, graph passes. Knows no OpenCL."""
from .model import Model
from .node import IRError, Node, Output
from .shape import Dimension, PartialShape, Shape
from .types import Type, as_type
from . import ops

__all__ = ["Dimension", "IRError", "Model", "Node", "Output", "PartialShape", "Shape", "Type", "as_type", "ops"]
