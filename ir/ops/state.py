"""Model state: ReadValue and Assign (opset3 and opset6), the variables of stateful models (a decoder's KV cache,
a streaming model's memory).

A variable lives between inferences, one copy per infer request. ReadValue gives its current value, or, while
it has none (the first inference, after ``reset_state``), its initial value: the input where there is one,
else zeros of the variable's shape. Assign sets the value the next inference reads. Assign nodes are the model's
*sinks*: nothing consumes them, the model keeps them (``Model.get_sinks``).

When a model is specialised for an inference, each ReadValue gets the state it will read in
``rt_info[STATE_SHAPE]``: ``{"shape": the current value's shape}``, or ``{"shape": None}`` while there is none."""
from __future__ import annotations

from ..node import IRError
from ..shape import PartialShape
from ..types import as_type
from .registry import Op, REQUIRED, register

# rt_info key of a specialised ReadValue: {"shape": the state's shape (a list), or None for the initial value}
STATE_SHAPE = "ovcl_state_shape"
# rt_info key (value: the variable id) of a ReadValue and the ScatterUpdate of its value that its Assign stores,
# set where nothing else reads either (``ir.passes.stateful.fixed_capacity_cache``): the ReadValue is then a view
# of the state buffer and the update is written into it in place, after every other node (a KV-cache append)
STATE_IN_PLACE = "ovcl_state_in_place"


@register
class ReadValue(Op):
    type_name = "ReadValue"
    version = "opset6"
    # opset3 has variable_id only (its type and shape are its input's)
    attrs = {"variable_id": REQUIRED, "variable_type": None, "variable_shape": None}
    num_inputs = (0, 1)

    @classmethod
    def infer(cls, node):
        vt, vs = node.attrs["variable_type"], node.attrs["variable_shape"]
        declared_t = as_type(vt) if vt else None
        declared_ps = PartialShape(vs) if vs is not None else None
        if node.get_input_size():
            init_t, init_ps = node.input_type(0), node.input_shape(0)
            if declared_t is not None and declared_t.is_static() and init_t.is_static() and init_t != declared_t:
                raise IRError(f"ReadValue node '{node.name}': initial value of type {init_t} for variable "
                              f"'{node.attrs['variable_id']}' of type {declared_t}")
        elif declared_t is None or declared_ps is None:
            raise IRError(f"ReadValue node '{node.name}': without an initial value, the variable "
                          f"'{node.attrs['variable_id']}' needs variable_type and variable_shape")
        else:
            init_t, init_ps = declared_t, declared_ps
        t = declared_t if declared_t is not None else init_t
        spec = node.rt_info.get(STATE_SHAPE)
        if spec is None:                    # the variable as declared
            return [(t, declared_ps if declared_ps is not None else init_ps)]
        # specialised: the shape of the value it reads, or of the initial value
        return [(t, PartialShape(list(spec["shape"])) if spec["shape"] is not None else init_ps)]

    @classmethod
    def variable(cls, node) -> tuple[str, object, PartialShape]:
        """(id, element type, shape) of the variable, as declared (or taken from the initial value)."""
        t, ps = node.get_output_element_type(0), node.get_output_partial_shape(0)
        if node.attrs["variable_shape"] is not None:
            ps = PartialShape(node.attrs["variable_shape"])
        return node.attrs["variable_id"], t, ps


@register
class Assign(Op):
    type_name = "Assign"
    version = "opset6"
    attrs = {"variable_id": REQUIRED}
    num_inputs = (1, 1)

    @classmethod
    def infer(cls, node):
        return [(node.input_type(0), node.input_shape(0))]


class Variable:
    """A variable of a stateful model, as OpenVINO's ``op.util.Variable``: ``variable_id``, ``data_type``,
    ``data_shape`` (also through ``get_info()``)."""

    def __init__(self, variable_id: str, data_type, data_shape: PartialShape):
        self.variable_id, self.data_type, self.data_shape = variable_id, data_type, data_shape

    def get_info(self) -> "Variable":
        return self

    def __repr__(self):
        return f"<Variable '{self.variable_id}': {self.data_type}{self.data_shape}>"


def variables_of(model) -> list[Variable]:
    """The variables the model's ReadValue and Assign nodes name, in the order they first appear; an Assign
    without a ReadValue of its variable is an error (it would set a value nothing reads)."""
    found: dict[str, Variable] = {}
    assigned: dict[str, object] = {}
    for node in model.get_ordered_ops():
        if node.type_name == "ReadValue":
            vid, t, ps = ReadValue.variable(node)
            found.setdefault(vid, Variable(vid, t, ps))
        elif node.type_name == "Assign":
            assigned[node.attrs["variable_id"]] = node
    for vid, node in assigned.items():
        if vid not in found:
            raise IRError(f"Assign node '{node.name}' sets variable '{vid}', which no ReadValue of the model reads")
    return list(found.values())
