"""``CompiledModel.get_runtime_model()``: the execution graph of the latest plan, as OpenVINO gives one. Each
kernel launch is an ``ExecutionNode`` whose rt_info says what it is (``layerType``: the op it serves,
``primitiveType``: the kernel variant, ``originalLayersNames``: every node of the model it computes, fused ones
included, ``execOrder``, ``outputPrecisions``, ``runtimePrecision``, ``execTimeMcs`` where an inference
was profiled; OpenVINO's keys, plus the kernel and its sizes). Edges follow the device
buffers: a launch's outputs are the buffers it is the first to touch (or, for one that only updates a buffer in
place, the last it writes), and a launch reads what earlier launches made."""
from __future__ import annotations

from ovcl.ir import Model
from ovcl.ir import ops
from ovcl.lowering import Value


def execution_graph(plan, name: str, profile: list | None = None) -> Model:
    times = {id(launch): seconds for launch, seconds in (profile or [])}
    producers: dict[int, object] = {}        # root storage (by identity) -> the Output that made it
    params = []
    for k, v in enumerate(plan.inputs):
        p = ops.make("Parameter", [], name=v.name or f"input{k}", element_type=v.type, shape=list(v.shape))
        p.output(0).set_names({v.name or f"input{k}"})
        producers[id(v.storage.root()[0])] = p.output(0)
        params.append(p)
    names: dict[str, int] = {}
    for i, launch in enumerate(plan.launches):
        values = [a for a in launch.args if isinstance(a, Value)]
        made = [v for v in values if v.storage.root()[0].first == i and id(v.storage.root()[0]) not in producers
                and v.storage.root()[0].kind != "const"]
        if not made and values:
            made = [values[0]]            # an update in place: it makes a new version of its first buffer
        reads = [producers[id(v.storage.root()[0])] for v in values
                 if v not in made and id(v.storage.root()[0]) in producers]
        count = names.get(launch.node, 0)
        names[launch.node] = count + 1
        node = ops.make("ExecutionNode", list(dict.fromkeys(reads)),
                        name=launch.node if count == 0 else f"{launch.node}/{count}",
                        output_types=[v.type.name for v in made], output_shapes=[list(v.shape) for v in made])
        node.rt_info.update({
            "layerType": launch.op,
            "primitiveType": launch.exec_type,
            "originalLayersNames": ",".join(launch.nodes),
            "execOrder": str(i),
            "outputPrecisions": ",".join(v.type.name for v in made),
            "runtimePrecision": made[0].type.name if made else "",
            "execTimeMcs": f"{times[id(launch)] * 1e6:.0f}" if id(launch) in times else "not_executed",
            "kernel": launch.kernel, "globalSize": list(launch.gsize), "localSize": list(launch.lsize),
        })
        for k, v in enumerate(made):
            producers[id(v.storage.root()[0])] = node.output(k)
    results = []
    for k, v in enumerate(plan.outputs):
        source = producers.get(id(v.storage.root()[0]))
        if source is None:
            continue                         # an output no launch makes (a constant): nothing runs for it
        results.append(ops.make("Result", [source], name=f"{v.name or f'output{k}'}/sink_port_0"))
    return Model(results, params, name=f"{name} (execution graph)")
