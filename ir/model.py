"""``Model``: a graph of nodes from Parameters to Results."""
from __future__ import annotations

from typing import Any, Iterable

from .node import IRError, Node, Output
from .shape import PartialShape, as_partial_shape


class Model:
    """Results computed from parameters; a stateful model also has sinks (its Assign nodes, see
    ``ir/ops/state.py``). OpenVINO's argument orders are taken: ``(results, parameters[, name])`` and
    ``(results, sinks, parameters[, name])``, or keywords."""

    def __init__(self, results, parameters: Iterable[Node] = (), name="model", sinks: Iterable[Node] = ()):
        from .ops import make
        parameters = list(parameters)
        if parameters and all(isinstance(n, Node) and n.type_name == "Assign" for n in parameters) \
                and not isinstance(name, str):          # OpenVINO's (results, sinks, parameters[, name])
            sinks, parameters, name = parameters, list(name), sinks if isinstance(sinks, str) else "model"
        if isinstance(results, (Node, Output)):
            results = [results]
        self._results: list[Node] = []
        for r in results:
            if isinstance(r, Node) and r.type_name == "Result":
                self._results.append(r)
            else:
                out = r.output(0) if isinstance(r, Node) else r
                self._results.append(make("Result", [out], name=f"{out.node.name}/sink_port_{out.index}"))
        self._parameters: list[Node] = list(parameters)
        self._sinks: list[Node] = list(sinks)
        self.name = name
        self.rt_info: dict[str, Any] = {}

    # -- structure ----------------------------------------------------------
    def get_parameters(self) -> list[Node]:
        return list(self._parameters)

    def get_results(self) -> list[Node]:
        return list(self._results)

    def get_ordered_ops(self) -> list[Node]:
        """Nodes in topological order (inputs before users), parameters first."""
        order: list[Node] = []
        seen: set[int] = set()
        for p in self._parameters:
            seen.add(p.id)
            order.append(p)
        for root in self._results + self._sinks:
            stack = [(root, 0)]
            while stack:
                node, i = stack.pop()
                if node.id in seen and i == 0:
                    continue
                if i < len(node._inputs):
                    stack.append((node, i + 1))
                    src = node._inputs[i].node
                    if src.id not in seen:
                        stack.append((src, 0))
                else:
                    seen.add(node.id)
                    order.append(node)
        return order

    get_ops = get_ordered_ops

    @property
    def inputs(self) -> list[Output]:
        return [p.output(0) for p in self._parameters]

    @property
    def outputs(self) -> list[Output]:
        return [r.output(0) for r in self._results]

    def input(self, key=None) -> Output:
        return _pick(self.inputs, key, "input", self.name)

    def output(self, key=None) -> Output:
        return _pick(self.outputs, key, "output", self.name)

    def get_name(self) -> str:
        return self.name

    get_friendly_name = get_name

    def set_friendly_name(self, name: str) -> None:
        self.name = name

    friendly_name = property(get_name, set_friendly_name)

    @property
    def parameters(self) -> list[Node]:
        return self.get_parameters()

    @property
    def results(self) -> list[Node]:
        return self.get_results()

    def get_result(self) -> Node:
        """The Result of a model with one output."""
        if len(self._results) != 1:
            raise IRError(f"model '{self.name}' has {len(self._results)} outputs, not one: use get_results()")
        return self._results[0]

    result = property(get_result)

    def get_output_size(self) -> int:
        return len(self._results)

    def get_output_op(self, i: int) -> Node:
        return self._results[i]

    def get_output_element_type(self, i: int):
        return self._results[i].get_output_element_type(0)

    def get_output_partial_shape(self, i: int) -> PartialShape:
        return self._results[i].get_output_partial_shape(0)

    def get_output_shape(self, i: int):
        return self._results[i].get_output_shape(0)

    def get_parameter_index(self, parameter: Node) -> int:
        """The input index of ``parameter``, -1 if it is not one of this model's."""
        return next((k for k, p in enumerate(self._parameters) if p is parameter), -1)

    def get_result_index(self, value) -> int:
        """The output index of ``value`` (a Result, its output, or the tensor it returns), -1 if none."""
        for k, r in enumerate(self._results):
            if value is r or value == r.output(0) or value == r.input_value(0):
                return k
        return -1

    def replace_parameter(self, index: int, parameter: Node) -> None:
        """Input ``index`` becomes ``parameter``: the old one's users read the new one."""
        old = self._parameters[index]
        self._parameters[index] = parameter
        self.replace_outputs({old.output(0): parameter.output(0)})

    @property
    def dynamic(self) -> bool:
        return self.is_dynamic()

    # -- run-time info: nested by path, as OpenVINO's ------------------------------------------------------
    def get_rt_info(self, path=None):
        """The model's rt_info (a dict), or the value at ``path`` (a key, or a list of keys into nested
        entries) as an ``RTValue``."""
        if path is None:
            return self.rt_info
        node = self.rt_info
        keys = [path] if isinstance(path, str) else list(path)
        for k in keys:
            if not isinstance(node, dict) or str(k) not in node:
                raise IRError(f"model '{self.name}' has no rt_info {keys}")
            node = node[str(k)]
        return RTValue(node)

    def has_rt_info(self, path) -> bool:
        try:
            self.get_rt_info(path)
        except IRError:
            return False
        return True

    def set_rt_info(self, value, path) -> None:
        """Set the value at ``path`` (a key, or a list of keys; nested entries are made as needed)."""
        keys = [path] if isinstance(path, str) else [str(k) for k in path]
        node = self.rt_info
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise IRError(f"rt_info {keys}: '{k}' holds a value, not entries")
        node[keys[-1]] = value

    # -- outputs ----------------------------------------------------------------------------------------------
    def add_outputs(self, outputs) -> list[Output]:
        """Make inner tensors outputs of the model: each given by tensor name, (node name, output index) or
        port; a tensor that is an output already is not added twice. Returns their output ports."""
        from .ops import make
        items = outputs if isinstance(outputs, list) else [outputs]
        added = []
        for item in items:
            port = self._find_port(item)
            result = next((r for r in self._results if r.input_value(0) == port), None)
            if result is None:
                result = make("Result", [port], name=f"{port.node.name}/sink_port_{port.index}")
                result.output(0).add_names(port.get_names())
                self._results.append(result)
            added.append(result.output(0))
        return added

    def _find_port(self, item) -> Output:
        ops = [n for n in self.get_ordered_ops() if n.type_name != "Result"]
        if isinstance(item, Output):
            if any(n is item.node for n in ops):
                return item
            raise IRError(f"model '{self.name}': the port {item} is not part of its graph")
        if isinstance(item, tuple) and len(item) == 2:
            name, index = item
            for n in ops:
                if n.name == name:
                    if not 0 <= int(index) < n.get_output_size():
                        raise IRError(f"node '{name}' has {n.get_output_size()} outputs, not {int(index) + 1}")
                    return n.output(int(index))
            raise IRError(f"model '{self.name}' has no node named '{name}'")
        for n in ops:
            for out in n.outputs():
                if str(item) in out.get_names():
                    return out
        raise IRError(f"model '{self.name}' has no tensor named '{item}'")

    def is_dynamic(self) -> bool:
        return any(not o.get_partial_shape().is_static for o in self.inputs)

    # -- edits --------------------------------------------------------------
    def validate_nodes_and_infer_types(self) -> None:
        for node in self.get_ordered_ops():
            node.validate()

    def replace_outputs(self, mapping: dict[Output, Output]) -> None:
        """Make every user of each key read the value instead; the key's tensor names move to the value."""
        if not mapping:
            return
        changed = True
        while changed:          # again until stable: new nodes become reachable only after a rewrite
            changed = False
            for node in self.get_ordered_ops():
                for i, src in enumerate(node._inputs):
                    new = mapping.get(src)
                    while new is not None and new in mapping:   # follow chains a -> b -> c
                        new = mapping[new]
                    if new is not None:
                        node._inputs[i] = new
                        changed = True
        for old, new in mapping.items():
            names = old._info.names
            if names:
                while new in mapping:
                    new = mapping[new]
                if new.node.type_name != "Parameter" or not new._info.names:
                    new._info.names |= names

    def add_parameters(self, parameters) -> None:
        self._parameters.extend(parameters)

    def remove_parameter(self, parameter: Node) -> None:
        self._parameters = [p for p in self._parameters if p is not parameter]

    def add_results(self, results) -> None:
        self._results.extend(results)

    def remove_result(self, result: Node) -> None:
        self._results = [r for r in self._results if r is not result]

    def set_parameters(self, parameters) -> None:
        """Set the inputs, in order (e.g. after cutting the graph at inner tensors)."""
        self._parameters = list(parameters)

    def replace_graph(self, other: "Model") -> None:
        """Take ``other``'s graph (parameters, results, sinks): for edits done on a copy, applied when they fit."""
        self._parameters = list(other._parameters)
        self._results = list(other._results)
        self._sinks = list(other._sinks)

    # -- state (ir/ops/state.py) ---------------------------------------------
    def get_sinks(self) -> list[Node]:
        return list(self._sinks)

    sinks = property(get_sinks)

    def add_sinks(self, sinks) -> None:
        self._sinks.extend(sinks)

    def remove_sink(self, sink: Node) -> None:
        self._sinks = [s for s in self._sinks if s is not sink]

    def get_variables(self) -> list:
        """The model's variables (``ir.ops.state.Variable``), in the order their first ReadValue appears."""
        from .ops.state import variables_of
        return variables_of(self)

    variables = property(get_variables)

    def get_variable_by_id(self, variable_id: str):
        for v in self.get_variables():
            if v.variable_id == variable_id:
                return v
        raise IRError(f"model '{self.name}' has no variable '{variable_id}'")

    def is_stateful(self) -> bool:
        return bool(self._sinks) or any(n.type_name == "ReadValue" for n in self.get_ordered_ops())

    def reshape(self, shapes) -> None:
        """Set new input shapes: a shape (one input), a list of shapes, or a dict keyed by input name,
        index or port. Shapes as OpenVINO takes them: lists with -1 or (min, max), strings, PartialShape."""
        for param, ps in self._resolve_shapes(shapes).items():
            param.attrs["shape"] = ps
        self.validate_nodes_and_infer_types()

    def _resolve_shapes(self, shapes) -> dict[Node, PartialShape]:
        params = self._parameters
        if isinstance(shapes, dict):
            out = {}
            for key, shape in shapes.items():
                port = self.input(key.get_any_name() if isinstance(key, Output) else key)
                out[port.node] = as_partial_shape(shape)
            return out
        if isinstance(shapes, (PartialShape, str)) or (
                isinstance(shapes, (list, tuple)) and all(_is_dimension(s) for s in shapes)
                and (len(params) == 1 or not all(isinstance(s, tuple) for s in shapes))):
            if len(params) != 1:
                raise IRError(f"model '{self.name}' has {len(params)} inputs: give one shape per input")
            return {params[0]: as_partial_shape(shapes)}
        if len(shapes) != len(params):
            raise IRError(f"model '{self.name}' has {len(params)} inputs, got {len(shapes)} shapes")
        return {p: as_partial_shape(s) for p, s in zip(params, shapes)}

    def clone(self) -> "Model":
        """A deep copy of the graph (constant data is shared, it is never written in place)."""
        mapping: dict[int, Node] = {}
        for node in self.get_ordered_ops():
            new = Node(node.op, [Output(mapping[i.node.id], i.index) for i in node._inputs],
                       {k: (list(v) if isinstance(v, list) else v) for k, v in node.attrs.items()},
                       name=node.name, version=node.version)
            new.value = node.value
            new.rt_info = dict(node.rt_info)
            for info in node.output_ports():
                new.add_output(info.copy())
            mapping[node.id] = new
        m = Model([mapping[r.id] for r in self._results], [mapping[p.id] for p in self._parameters], self.name,
                  sinks=[mapping[s.id] for s in self._sinks])
        m.rt_info = dict(self.rt_info)
        return m

    def __repr__(self):
        ins = ", ".join(f"{_name(o)}{o.get_partial_shape()}" for o in self.inputs)
        outs = ", ".join(f"{_name(o)}{o.get_partial_shape()}" for o in self.outputs)
        return f"<Model: '{self.name}' inputs[{ins}] outputs[{outs}]>"


class RTValue:
    """A value of rt_info, as OpenVINO's ``OVAny``: ``value``, ``astype(type)``, ``aslist()``, ``get()``."""

    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value

    def astype(self, t):
        return t(self.value)

    def aslist(self, t=str) -> list:
        v = self.value
        items = v if isinstance(v, (list, tuple)) else str(v).split() if isinstance(v, str) else [v]
        return [t(x) for x in items]

    def __eq__(self, other):
        return self.value == (other.value if isinstance(other, RTValue) else other)

    def __hash__(self):
        return hash(str(self.value))

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"RTValue({self.value!r})"


def _is_dimension(value) -> bool:
    """One dimension of a shape as reshape takes it: a length, a Dimension, or a (min, max) interval."""
    from .shape import Dimension
    if isinstance(value, tuple):
        return len(value) == 2 and all(v is None or isinstance(v, int) for v in value)
    return isinstance(value, (int, Dimension)) and not isinstance(value, bool)


def _name(o: Output) -> str:
    names = o.get_names()
    return min(names) if names else o.node.name


def _pick(ports: list[Output], key, kind: str, model_name: str) -> Output:
    if key is None:
        if len(ports) != 1:
            raise IRError(f"model '{model_name}' has {len(ports)} {kind}s: name one by index or name")
        return ports[0]
    if isinstance(key, Output):
        for p in ports:
            if p == key or (p.node.type_name == "Result" and p.node.input_value(0) == key):
                return p
        raise IRError(f"model '{model_name}' has no such {kind} port {key!r}")
    if isinstance(key, int):
        if not 0 <= key < len(ports):
            raise IRError(f"model '{model_name}' has {len(ports)} {kind}s, no {kind} {key}")
        return ports[key]
    for p in ports:
        if key in p.get_names():
            return p
    for p in ports:
        if p.node.name == key:
            return p
    known = ", ".join(_name(p) for p in ports)
    raise IRError(f"model '{model_name}' has no {kind} named '{key}' (its {kind}s: {known})")
