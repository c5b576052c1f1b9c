"""OpenVINO IR in and out: ovcl -> IR -> ovcl round trips, IR written by ovcl in OpenVINO, IR written by OpenVINO
in ovcl, FP16 compression, malformed files, convert_model(input=, output=) and ``ovcl convert``."""
import re
import warnings

import numpy as np
import pytest
from onnx import helper

import ovcl
from ovcl.ir import IRError, PartialShape, Type
from ovcl.ir.ir_reader import IRReadError, read_ir, read_ir_bytes
from ovcl.ir.ir_writer import serialize, write_ir
from ovcl.ir.passes import DECOMPRESSION
from ovcl.ir.passes.compress_fp16 import compress_value_to_fp16, precision_sensitive_constants

from helpers import onnx_model, run_ovcl

try:        # the reader-hardening tests run without OpenVINO; those that compare with it need it
    import openvino as ov
except ImportError:  # pragma: no cover - openvino is a test dependency
    ov = None
needs_openvino = pytest.mark.skipif(ov is None, reason="needs openvino (the comparison oracle)")

RTOL, ATOL = 1e-3, 1e-4


# -- models --------------------------------------------------------------------------------------------

def _eltwise_onnx(big=64):
    """Element-wise ops with attributes, integer and boolean paths, a dynamic batch and float weights."""
    rng = np.random.default_rng(1)
    nodes = [
        helper.make_node("Add", ["x", "w"], ["a"]),
        helper.make_node("Clip", ["a", "lo", "hi"], ["c"]),
        helper.make_node("LeakyRelu", ["c"], ["l"], alpha=0.2),
        helper.make_node("Elu", ["l"], ["e"], alpha=0.5),
        helper.make_node("Mul", ["e", "w"], ["m"]),
        helper.make_node("Sigmoid", ["m"], ["s"]),
        helper.make_node("Div", ["xi", "k"], ["d"]),
        helper.make_node("Equal", ["d", "k"], ["eq"]),
        helper.make_node("Add", ["y", "big"], ["yb"]),
        helper.make_node("Tanh", ["yb"], ["t"]),
    ]
    inits = [("w", rng.standard_normal((3, 4)).astype(np.float32)), ("lo", np.float32(-0.75)),
             ("hi", np.float32(0.5)), ("k", np.array(3, np.int32)),
             ("big", rng.standard_normal((big, big)).astype(np.float32))]
    return onnx_model(nodes, [("x", np.float32, ["N", 4]), ("xi", np.int32, [2, 5]), ("y", np.float32, [big, big])],
                      [("s", None, None), ("eq", None, None), ("t", None, None)], initializers=inits)


def _conv_onnx():
    rng = np.random.default_rng(2)
    nodes = [helper.make_node("Conv", ["img", "cw", "cb"], ["cv"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["cv"], ["r"]),
             helper.make_node("Conv", ["r", "cw2"], ["cv2"], dilations=[2, 2], pads=[2, 0, 2, 0])]
    inits = [("cw", rng.standard_normal((4, 3, 3, 3)).astype(np.float32)),
             ("cb", rng.standard_normal(4).astype(np.float32)),
             ("cw2", rng.standard_normal((2, 4, 3, 1)).astype(np.float32))]
    return onnx_model(nodes, [("img", np.float32, [1, 3, 9, 9])], [("cv2", None, None)], initializers=inits)


def _data_onnx():
    """Data movement, pooling and normalisation: Transpose, Reshape, Concat, MaxPool, AveragePool,
    BatchNormalization, Slice, Gather."""
    rng = np.random.default_rng(3)
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]),
             helper.make_node("Reshape", ["t", "shp"], ["r"]),
             helper.make_node("Concat", ["r", "r"], ["c"], axis=1),
             helper.make_node("MaxPool", ["x"], ["mp"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("AveragePool", ["x"], ["ap"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["ap", "sc", "bi", "mu", "var"], ["bn"], epsilon=1e-3),
             helper.make_node("Slice", ["bn", "st", "en"], ["sl"]),
             helper.make_node("Gather", ["c", "idx"], ["g"], axis=1)]
    inits = [("shp", np.array([1, -1], np.int64)), ("sc", rng.random(3).astype(np.float32)),
             ("bi", rng.random(3).astype(np.float32)), ("mu", rng.random(3).astype(np.float32)),
             ("var", rng.random(3).astype(np.float32) + 0.5), ("st", np.array([0, 1], np.int64)),
             ("en", np.array([2, 3], np.int64)), ("idx", np.array([0, 5, 7], np.int64))]
    return onnx_model(nodes, [("x", np.float32, [1, 3, 4, 4])],
                      [("c", None, None), ("mp", None, None), ("sl", None, None), ("g", None, None)],
                      initializers=inits)


def _matmul_onnx():
    """MatMul, Gemm (transposed B), Softmax and a reduction."""
    rng = np.random.default_rng(4)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["mm"]),
             helper.make_node("Gemm", ["mm", "wg", "bg"], ["gm"], transB=1, alpha=0.5),
             helper.make_node("Softmax", ["gm"], ["sm"], axis=-1),
             helper.make_node("ReduceMean", ["mm"], ["rm"], axes=[1], keepdims=0)]
    inits = [("w", rng.standard_normal((8, 16)).astype(np.float32)),
             ("wg", rng.standard_normal((5, 16)).astype(np.float32)), ("bg", rng.standard_normal(5).astype(np.float32))]
    return onnx_model(nodes, [("x", np.float32, [2, 8])], [("sm", None, None), ("rm", None, None)], initializers=inits,
                      opset=17)


ONNX_MODELS = {"eltwise": _eltwise_onnx, "conv": _conv_onnx, "data": _data_onnx, "matmul": _matmul_onnx}
WHICH = sorted(ONNX_MODELS)


def _feeds(model, rng):
    out = {}
    for p in model.inputs:
        ps = p.get_partial_shape()
        shape = [d.get_length() if d.is_static else 3 for d in ps]
        t = p.get_element_type()
        out[p.get_any_name()] = (rng.standard_normal(shape).astype(t.dtype) if t.is_real()
                                 else rng.integers(-20, 20, shape).astype(t.dtype))
    return out


def _run_ov(xml, feeds):
    compiled = ov.Core().compile_model(str(xml), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    res = compiled(feeds)
    return [np.asarray(res[o]) for o in compiled.outputs]


def _close(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.shape == e.shape
        if e.dtype.kind in "iub":
            np.testing.assert_array_equal(a, e)
        else:
            np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL)


@pytest.fixture(scope="module")
def ov_ir(tmp_path_factory):
    """(which, compress) -> the .xml openvino.save_model wrote for that test model (made once per module)."""
    made = {}

    def get(which, compress):
        if (which, compress) not in made:
            d = tmp_path_factory.mktemp(f"ov_{which}_{int(compress)}")
            (d / "m.onnx").write_bytes(ONNX_MODELS[which]().SerializeToString())
            ov.save_model(ov.convert_model(str(d / "m.onnx")), str(d / "m.xml"), compress_to_fp16=compress)
            made[(which, compress)] = d / "m.xml"
        return made[(which, compress)]
    return get


@pytest.fixture(scope="module")
def eltwise():
    return ovcl.read_model(_eltwise_onnx().SerializeToString())


@pytest.fixture(scope="module")
def conv():
    return ovcl.read_model(_conv_onnx().SerializeToString())


@pytest.fixture(scope="module")
def matmul():
    return ovcl.read_model(_matmul_onnx().SerializeToString())


@pytest.fixture(scope="module")
def data():
    return ovcl.read_model(_data_onnx().SerializeToString())


# -- graph comparison ------------------------------------------------------------------------------------

def _norm(v):
    if isinstance(v, PartialShape):
        return ("shape", str(v))
    if isinstance(v, Type):
        return v.name
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    return v


def _signature(model, as_f16=False):
    """Per node in order: type, version, name, attrs, inputs (by position), output types/shapes/names, data.

    ``as_f16``: f32 constants are described by their f16 value and a decompression Convert of an f16
    constant is described as that constant, so that a compressed IR compares with its source model."""
    ops = model.get_ordered_ops()
    skip = set()
    for n in ops:
        if n.type_name == "Convert" and n.rt_info.get(DECOMPRESSION) and as_f16:
            skip.add(n.input_value(0).node.id)
    index, sig = {}, []
    for n in ops:
        if n.id in skip:
            continue
        index[n.id] = len(sig)
        if as_f16 and n.type_name == "Convert" and n.rt_info.get(DECOMPRESSION):
            src = n.input_value(0).node
            data = ("f16", src.value.tobytes(), src.value.shape)
            sig.append(("Constant", n.name, n.get_output_element_type(0).name, sorted(n.output(0).get_names()),
                        data))
            continue
        if n.type_name == "Constant":
            v = n.value
            data = (("f16", v.astype(np.float16).tobytes(), v.shape) if as_f16 and v.dtype == np.float32
                    else (v.dtype.str, v.tobytes(), v.shape))
            sig.append(("Constant", n.name, n.get_output_element_type(0).name, sorted(n.output(0).get_names()),
                        data))
            continue
        ins = [(index[i.node.id], i.index) for i in n.input_values()]
        outs = [(o.get_element_type().name, str(o.get_partial_shape()), sorted(o.get_names())) for o in n.outputs()]
        sig.append((n.type_name, n.version, n.name, {k: _norm(v) for k, v in n.attrs.items()}, ins, outs))
    io = ([p.name for p in model.get_parameters()], [r.name for r in model.get_results()],
          [sorted(o.get_names()) for o in model.outputs])
    return sig, io


# -- round trips -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", WHICH)
def test_roundtrip_uncompressed_is_identical(which, request, tmp_path):
    model = request.getfixturevalue(which)
    write_ir(model, tmp_path / "m.xml", compress_to_fp16=False)
    back = read_ir(tmp_path / "m.xml")
    assert _signature(back) == _signature(model)
    assert back.name == model.name
    # writing what was read gives the same bytes
    assert serialize(back, compress_to_fp16=False) == serialize(model, compress_to_fp16=False)


@pytest.mark.parametrize("which", WHICH)
def test_roundtrip_compressed(which, request, tmp_path):
    model = request.getfixturevalue(which)
    write_ir(model, tmp_path / "m.xml")
    back = read_ir(tmp_path / "m.xml")
    assert _signature(back, as_f16=True) == _signature(model, as_f16=True)
    converts = [n for n in back.get_ordered_ops() if n.type_name == "Convert" and DECOMPRESSION in n.rt_info]
    ops = model.get_ordered_ops()
    kept = precision_sensitive_constants(ops)
    n_float_consts = sum(1 for n in ops if n.type_name == "Constant" and n.value.dtype == np.float32
                         and n.id not in kept)
    assert len(converts) == n_float_consts > 0
    assert all(n.rt_info[DECOMPRESSION] is True and n.input_value(0).node.value.dtype == np.float16 for n in converts)
    # an already-compressed model is written as it is, with or without compression
    assert serialize(back) == serialize(model) == serialize(back, compress_to_fp16=False)


def test_bin_size_halves_and_constants_stored_once(tmp_path):
    w = np.random.default_rng(0).standard_normal((128, 128)).astype(np.float32)
    x = ovcl.ir.ops.parameter([128, 128], "f32", name="x")
    a = ovcl.ir.ops.make("Add", [x, ovcl.ir.ops.constant(w, name="w1")])
    b = ovcl.ir.ops.make("Multiply", [a, ovcl.ir.ops.constant(w.copy(), name="w2")])    # same bytes: stored once
    model = ovcl.Model([b], [x], "twice")
    xml16, bin16 = serialize(model)
    xml32, bin32 = serialize(model, compress_to_fp16=False)
    assert len(bin32) == w.nbytes and len(bin16) == w.nbytes // 2
    assert xml32.count(b'offset="0"') == 2
    # the ovcl example model: dominated by its weights, so about half
    m = ovcl.read_model(_eltwise_onnx(big=96).SerializeToString())
    ratio = len(serialize(m)[1]) / len(serialize(m, compress_to_fp16=False)[1])
    assert 0.45 < ratio < 0.55


def test_fp16_compression_rule():
    assert compress_value_to_fp16(np.array([1e6, 1e6, 1e6, 0.5], np.float32)) is None          # 75% overflow
    assert compress_value_to_fp16(np.array([1e-9, 1e-9, 1e6, 0.5], np.float32)) is None        # 2 under, 1 over
    out = compress_value_to_fp16(np.array([1e6, -1e6, 0.5, 0.0], np.float32))                 # 50%: compressed
    assert out.dtype == np.float16 and out.tolist() == [65504.0, -65504.0, 0.5, 0.0]
    zeros = compress_value_to_fp16(np.zeros(8, np.float32))                                  # zeros fit
    assert zeros is not None and not zeros.any()
    x = ovcl.ir.ops.parameter([4], "f32", name="x")
    big = ovcl.ir.ops.constant(np.array([1e6, 2e6, 3e6, 1.0], np.float32), name="big")
    model = ovcl.Model([ovcl.ir.ops.make("Add", [x, big])], [x])
    xml, weights = serialize(model)
    assert b'element_type="f32" shape="4"' in xml and b"decompression" not in xml and len(weights) == 16


def _const_types(xml: str):
    return sorted(re.findall(r'name="([^"]+)" type="Const" version="opset1">\s*<data element_type="(\w+)"', xml))


@needs_openvino
def test_shape_constants_stay_f32_as_in_openvino(tmp_path):
    from ovcl.ir import ops
    x = ops.parameter([2, 6], "f32", name="x")
    sizes = ops.make("Convert", [ops.make("ShapeOf", [x])], destination_type="f32")
    target = ops.make("Multiply", [sizes, ops.constant(np.array([2.0, 0.5], np.float32), name="scale")])
    r = ops.make("Reshape", [x, ops.make("Convert", [target], destination_type="i64")], special_zero=False)
    y = ops.make("Add", [r, ops.constant(np.full((4, 3), 0.1, np.float32), name="data")])
    model = ovcl.Model([y], [x], "shapes")
    ours = serialize(model)[0].decode()
    assert _const_types(ours) == [("data_compressed", "f16"), ("scale", "f32")]
    write_ir(model, tmp_path / "f32.xml", compress_to_fp16=False)
    ov.save_model(ov.Core().read_model(str(tmp_path / "f32.xml")), str(tmp_path / "ov.xml"))
    assert _const_types((tmp_path / "ov.xml").read_text()) == _const_types(ours)


# -- ovcl -> OpenVINO ---------------------------------------------------------------------------------------

@needs_openvino
@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("which", WHICH)
def test_ovcl_ir_runs_in_openvino(which, compress, request, tmp_path, rng):
    model = request.getfixturevalue(which)
    ovcl.save_model(model, tmp_path / "m.xml", compress_to_fp16=compress)
    om = ov.Core().read_model(str(tmp_path / "m.xml"))
    assert [sorted(p.get_names()) for p in om.inputs] == [sorted(p.get_names()) for p in model.inputs]
    assert [sorted(p.get_names()) for p in om.outputs] == [sorted(p.get_names()) for p in model.outputs]
    assert [str(p.get_partial_shape()) for p in om.inputs] == [str(p.get_partial_shape()) for p in model.inputs]
    feeds = _feeds(model, rng)
    expected = run_ovcl(read_ir(tmp_path / "m.xml") if compress else model, feeds)
    _close(_run_ov(tmp_path / "m.xml", feeds), expected)


@needs_openvino
def test_attribute_spellings_match_openvino(eltwise, tmp_path):
    xml = serialize(eltwise)[0].decode()
    assert re.search(r'type="Const" version="opset1">\s*<data element_type="f16" shape="3, 4" offset="\d+" '
                     r'size="24" />', xml)
    assert '<data min="-0.75" max="0.5" />' in xml
    assert '<data alpha="0.5" />' in xml
    assert 'type="PReLU"' in xml and 'm_pythondiv="false"' in xml
    assert '<data shape="?,4" element_type="f32" />' in xml
    assert '<attribute name="decompression" version="0" />' in xml
    # OpenVINO reads the attributes back as it wrote them
    om = ov.Core().read_model(serialize(eltwise)[0].decode(), ov.Tensor(np.frombuffer(serialize(eltwise)[1],
                                                                                       np.uint8)))
    clamp = next(n for n in om.get_ordered_ops() if n.get_type_name() == "Clamp")
    assert clamp.get_attributes() == {"min": -0.75, "max": 0.5}


@needs_openvino
def test_names_and_shapes_survive(tmp_path):
    x = ovcl.ir.ops.parameter(PartialShape("[1..10,?,3]"), "f32", name="in,put")
    x.output(0).set_names({"a,b", "c"})
    r = ovcl.ir.ops.make("Relu", [x], name="relu")
    r.output(0).set_names({"q,1", "out"})
    model = ovcl.Model([r], [x], "named")
    write_ir(model, tmp_path / "n.xml")
    text = (tmp_path / "n.xml").read_text()
    assert 'names="a\\,b,c"' in text and 'shape="1..10,?,3"' in text and 'output_names="out,q\\,1"' in text
    back = read_ir(tmp_path / "n.xml")
    assert back.inputs[0].get_names() == {"a,b", "c"} and back.outputs[0].get_names() == {"q,1", "out"}
    assert str(back.inputs[0].get_partial_shape()) == "[1..10,?,3]"
    om = ov.Core().read_model(str(tmp_path / "n.xml"))
    assert om.inputs[0].get_names() == {"a,b", "c"} and om.outputs[0].get_names() == {"q,1", "out"}
    assert str(om.inputs[0].get_partial_shape()) == "[1..10,?,3]"


@needs_openvino
def test_rt_info_survives(tmp_path):
    """Layer and port rt_info OpenVINO wrote (e.g. a layout) and model rt_info are written back."""
    import openvino.opset13 as ops
    p = ops.parameter([1, 3, 4, 4], ov.Type.f32, name="x")
    p.set_layout(ov.Layout("NCHW"))
    m = ov.Model([ops.relu(p)], [p], "laid")
    m.set_rt_info("value", ["framework", "name"])
    ov.save_model(m, str(tmp_path / "ov.xml"))
    model = read_ir(tmp_path / "ov.xml")
    assert model.inputs[0].get_rt_info()["layout"]["layout"] == "[N,C,H,W]"
    assert model.rt_info["framework"] == {"name": "value"}
    model.get_parameters()[0].rt_info["note"] = "kept"
    write_ir(model, tmp_path / "ovcl.xml")
    back = ov.Core().read_model(str(tmp_path / "ovcl.xml"))
    assert str(back.get_parameters()[0].get_layout()) == "[N,C,H,W]"
    assert back.get_rt_info(["framework", "name"]).astype(str) == "value"
    assert read_ir(tmp_path / "ovcl.xml").get_parameters()[0].rt_info["note"] == "kept"


# -- OpenVINO -> ovcl ---------------------------------------------------------------------------------------

@needs_openvino
@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("which", WHICH)
def test_openvino_ir_runs_in_ovcl(which, compress, ov_ir, rng):
    xml = ov_ir(which, compress)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # every attribute OpenVINO wrote is understood
        model = ovcl.read_model(xml)
    om = ov.Core().read_model(str(xml))
    assert [sorted(p.get_names()) for p in model.outputs] == [sorted(p.get_names()) for p in om.outputs]
    decompress = [n for n in model.get_ordered_ops() if n.type_name == "Convert" and DECOMPRESSION in n.rt_info]
    assert bool(decompress) == compress
    feeds = _feeds(model, rng)
    _close(run_ovcl(model, feeds), _run_ov(xml, feeds))


def _ir_layers(xml: str):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(xml)
    layers = []
    for layer in root.find("layers"):
        data = layer.find("data")
        ports = [(g.tag, p.attrib, [d.text for d in p.findall("dim")]) for g in layer if g.tag in ("input", "output")
                 for p in g.findall("port")]
        rt = [a.attrib for a in layer.findall("rt_info/attribute")]
        layers.append((dict(layer.attrib), dict(data.attrib) if data is not None else None, ports, rt))
    edges = sorted(tuple(e.attrib.items()) for e in root.find("edges"))
    return layers, edges


@needs_openvino
@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("which", WHICH)
def test_openvino_ir_is_written_back_as_openvino_wrote_it(which, compress, ov_ir, tmp_path):
    """IR from openvino.save_model, read by ovcl and written again: the same layers in the same order, with the
    same attributes, ports, names and rt_info, the same edges and a byte-identical .bin."""
    xml = ov_ir(which, compress)
    write_ir(read_ir(xml), tmp_path / "ovcl.xml", compress_to_fp16=compress)
    assert _ir_layers((tmp_path / "ovcl.xml").read_text()) == _ir_layers(xml.read_text())
    assert (tmp_path / "ovcl.bin").read_bytes() == xml.with_suffix(".bin").read_bytes()


# -- malformed IR --------------------------------------------------------------------------------------------

@pytest.fixture
def small_ir(tmp_path):
    x = ovcl.ir.ops.parameter([2, 3], "f32", name="x")
    w = ovcl.ir.ops.constant(np.arange(6, dtype=np.float32).reshape(2, 3), name="weights")
    model = ovcl.Model([ovcl.ir.ops.make("Add", [x, w], name="add")], [x], "small")
    xml, weights = serialize(model, compress_to_fp16=False)
    return xml.decode(), weights


def _expect(match, xml, weights):
    with pytest.raises(IRReadError, match=match):
        read_ir_bytes(xml.encode() if isinstance(xml, str) else xml, weights)


def test_valid_small_ir_reads(small_ir, tmp_path):
    xml, weights = small_ir
    (tmp_path / "other.bin").write_bytes(weights)
    (tmp_path / "s.xml").write_text(xml)
    for m in (read_ir_bytes(xml.encode(), weights), ovcl.read_model(xml.encode(), weights),
              read_ir(tmp_path / "s.xml", weights=tmp_path / "other.bin"),
              read_ir_bytes(xml, tmp_path / "other.bin")):
        w = next(n for n in m.get_ordered_ops() if n.type_name == "Constant")
        assert w.value.tolist() == [[0, 1, 2], [3, 4, 5]] and w.value.dtype == np.float32
    # IR v10 (older OpenVINO) has the same layout
    assert len(read_ir_bytes(xml.replace('version="11"', 'version="10"', 1), weights).get_ordered_ops()) == 4


def test_truncated_bin(small_ir):
    xml, weights = small_ir
    _expect(r"layer 'weights'.*beyond the end of the weights file \(20 bytes\)", xml, weights[:20])


def test_offset_out_of_range(small_ir):
    xml, weights = small_ir
    _expect(r"layer 'weights'.*offset 4096", xml.replace('offset="0"', 'offset="4096"'), weights)
    _expect(r"layer 'weights'.*negative offset", xml.replace('offset="0"', 'offset="-8"'), weights)
    _expect(r"layer 'weights'.*size=12 bytes does not match shape \[2, 3\]", xml.replace('size="24"', 'size="12"'),
            weights)


def test_missing_weights(small_ir, tmp_path):
    xml, _ = small_ir
    _expect(r"no weights were given", xml, None)
    (tmp_path / "lonely.xml").write_text(xml)
    with pytest.raises(IRReadError, match=r"weights file .*lonely.bin not found"):
        read_ir(tmp_path / "lonely.xml")


def test_broken_xml(small_ir):
    xml, weights = small_ir
    _expect(r"malformed XML at line \d+", xml[: len(xml) // 2], weights)
    _expect(r"malformed XML", "not xml at all", weights)
    _expect(r"not <net>", "<model/>", weights)
    _expect(r"IR version '7' is not supported", xml.replace('version="11"', 'version="7"'), weights)


def test_dtd_and_entities_refused(small_ir):
    xml, weights = small_ir
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE net [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n'
            + xml.split("\n", 1)[1].replace('name="small"', 'name="&b;"'))
    _expect(r"DTD or entities", bomb, weights)
    ext = '<?xml version="1.0"?>\n<!DOCTYPE net SYSTEM "file:///etc/passwd">\n' + xml.split("\n", 1)[1]
    _expect(r"DTD or entities", ext, weights)


def test_unknown_op(small_ir):
    xml, weights = small_ir
    _expect(r"layer 'add'.*unknown op type 'FancyAdd'", xml.replace('type="Add"', 'type="FancyAdd"'), weights)


def test_dangling_edges(small_ir):
    xml, weights = small_ir
    _expect(r"edge goes to layer 99, which does not exist",
            re.sub(r'to-layer="2" to-port="0"', 'to-layer="99" to-port="0"', xml), weights)
    _expect(r"layer 'add'.*port 7, which is not an input port",
            re.sub(r'to-layer="2" to-port="1"', 'to-layer="2" to-port="7"', xml), weights)
    _expect(r"layer 'x'.*port 5, which is not an output port",
            re.sub(r'from-layer="0" from-port="0"', 'from-layer="0" from-port="5"', xml), weights)
    no_edge = re.sub(r'\s*<edge from-layer="1"[^>]*/>', "", xml)
    _expect(r"layer 'add'.*input port 1 has no incoming edge", no_edge, weights)


def test_inconsistent_and_bad_attributes(small_ir):
    xml, weights = small_ir
    _expect(r"layer 'add'.*declared FP16 but the graph gives FP32",
            re.sub(r'(<port id="2") precision="FP32"', r'\1 precision="FP16"', xml), weights)
    _expect(r"layer 'x'.*unknown element type 'f33'", xml.replace('element_type="f32" />', 'element_type="f33" />'),
            weights)
    _expect(r"layer 'x'.*bad shape", xml.replace('shape="2,3"', 'shape="2,x"'), weights)


# -- convert_model(input=, output=) and ovcl convert ---------------------------------------------------------

@needs_openvino
def test_input_specs(eltwise):
    from ovcl.ir.input_spec import parse_input_spec
    cases = {"x[1,3,224,224]": ["x[1,3,224,224]"], "x[1,3,?,?]{f32}": ["x[1,3,?,?]{f32}"],
             "a[1,3],b[2]{i32}": ["a[1,3]", "b[2]{i32}"], "[1,3,-1,-1]": ["[1,3,?,?]"],
             "x[1 3 224 224]": ["x[1,3,224,224]"]}
    for text, want in cases.items():
        assert [str(s) for s in parse_input_spec(text)] == want
    assert [str(s) for s in parse_input_spec([1, 3, -1, -1])] == ["[1,3,?,?]"]
    assert [str(s) for s in parse_input_spec([[1, 3], [2]])] == ["[1,3]", "[2]"]
    assert [str(s) for s in parse_input_spec({"x": [1, 2]})] == ["x[1,2]"]
    assert [str(s) for s in parse_input_spec(([1, 3], np.float32))] == ["[1,3]{f32}"]
    assert [str(s) for s in parse_input_spec(PartialShape("[1,?]"))] == ["[1,?]"]
    assert [str(s) for s in parse_input_spec(("x", [1, 2]))] == ["x[1,2]"]
    assert [str(s) for s in parse_input_spec(("x", [1, 2], Type.f16))] == ["x[1,2]{f16}"]
    assert [str(s) for s in parse_input_spec([("x", [1, 2]), "y[1..3]{i32}"])] == ["x[1,2]", "y[1..3]{i32}"]
    assert [str(s) for s in parse_input_spec({"x": "[1,2]{f16}", "y": "i32"})] == ["x[1,2]{f16}", "y{i32}"]
    assert [str(s) for s in parse_input_spec(ov.PartialShape([1, -1]))] == ["[1,?]"]
    data = _eltwise_onnx().SerializeToString()
    m = ovcl.convert_model(data, input="x[3,4],xi[2,5]{i32},y")
    assert [str(p.get_partial_shape()) for p in m.inputs] == ["[3,4]", "[2,5]", "[64,64]"]
    m = ovcl.convert_model(data, input={"x": ([3, 4], np.float32)})
    assert str(m.input("x").get_partial_shape()) == "[3,4]"
    with pytest.raises(IRError, match="does not fit"):
        ovcl.convert_model(data, input="x[2,5]")
    from ovcl.ir.passes.cut import apply_input_spec
    m = ovcl.read_model(data)
    before = repr(m)
    with pytest.raises(IRError, match="does not fit"):
        apply_input_spec(m, "e[3,5],xi[2,9]")                  # a cut, then a misfit: nothing changes
    assert repr(m) == before and len(m.get_ordered_ops()) == len(ovcl.read_model(data).get_ordered_ops())
    with pytest.raises(IRError, match="no input or tensor"):
        ovcl.convert_model(data, input="nope[1]")


def test_input_cut_and_output_cut():
    data = _eltwise_onnx().SerializeToString()
    m = ovcl.convert_model(data, input="e[3,4]", output="s")      # cut both ends: e -> Mul -> Sigmoid
    assert [sorted(p.get_names()) for p in m.inputs] == [["e"]]
    assert [sorted(p.get_names()) for p in m.outputs] == [["s"]]
    assert sorted(n.type_name for n in m.get_ordered_ops()) == ["Constant", "Multiply", "Parameter", "Result",
                                                                "Sigmoid"]
    m = ovcl.convert_model(data, output="t,eq")
    assert [sorted(p.get_names()) for p in m.outputs] == [["t"], ["eq"]]
    assert sorted(p.get_any_name() for p in m.inputs) == ["xi", "y"]


def test_convert_cli(tmp_path, capsys):
    from ovcl.convert_cli import main
    src = tmp_path / "net.onnx"
    src.write_bytes(_eltwise_onnx().SerializeToString())
    assert main([str(src), "--output_model", str(tmp_path / "out") + "/"]) == 0
    assert (tmp_path / "out" / "net.xml").exists() and (tmp_path / "out" / "net.bin").exists()
    assert "[ SUCCESS ] XML file:" in capsys.readouterr().out
    assert main([str(src), "--output_model", str(tmp_path / "f32"), "--compress_to_fp16=False",
                 "--input", "x[3,4]", "--output", "s"]) == 0
    m = read_ir(tmp_path / "f32.xml")
    assert str(m.inputs[0].get_partial_shape()) == "[3,4]" and len(m.outputs) == 1
    assert "decompression" not in (tmp_path / "f32.xml").read_text()
    capsys.readouterr()
    assert main([str(tmp_path / "missing.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err
    assert main([str(src), "--compress_to_fp16=maybe"]) == 2
    assert main(["--bogus"]) == 2
    assert main([]) == 2
    assert main(["--version"]) == 0
    assert main(["--help"]) == 0 and "--compress_to_fp16" in capsys.readouterr().out
    assert main([str(src), "--output_model", str(tmp_path / "d"), "--dynamo"]) == 0      # ovc's flag, accepted
    capsys.readouterr()
    assert main([str(src), "--extension", "libcustom.so"]) == 1
    assert "extensions" in capsys.readouterr().err
