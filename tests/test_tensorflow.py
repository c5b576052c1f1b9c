"""The TensorFlow frontend against TensorFlow itself: SavedModels, frozen graphs and live objects made in a
subprocess (tests/tf_models.py: random weights, once per test run) with TensorFlow's outputs stored beside them.
Tolerance: rtol 1e-3 / atol 1e-4 (the issue's); integer outputs exactly."""
from __future__ import annotations

import importlib.util
import json
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ovcl
from helpers import run_python
from ovcl.frontends.errors import FrontendError, UnsupportedOpError

HERE = Path(__file__).parent
_HAVE_TF = importlib.util.find_spec("tensorflow") is not None
_SKIP = "needs the tensorflow-test extra (tensorflow-cpu)"


def _subprocess(args):
    return run_python(args, TF_CPP_MIN_LOG_LEVEL="3")


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    if not _HAVE_TF:
        pytest.skip(_SKIP)
    out = tmp_path_factory.mktemp("tf")
    _subprocess([str(HERE / "tf_models.py"), str(out)])
    return out


@pytest.fixture(scope="session")
def slow_models(tmp_path_factory) -> Path:
    if not _HAVE_TF:
        pytest.skip(_SKIP)
    out = tmp_path_factory.mktemp("tf_slow")
    _subprocess([str(HERE / "tf_models.py"), str(out), "--slow"])
    return out


def _check(model: ovcl.Model, data, rtol=1e-3, atol=1e-4):
    feeds = {k[3:]: data[k] for k in data.files if k.startswith("in:")}
    res = ovcl.compile_model(model, "CPU")(feeds)
    for k in data.files:
        if not k.startswith("out:"):
            continue
        got, ref = np.asarray(res[k[4:]]), data[k]
        assert got.shape == ref.shape, f"{k}: shape {got.shape}, TensorFlow {ref.shape}"
        if ref.dtype.kind in "iub":
            np.testing.assert_array_equal(got, ref, err_msg=k)
        else:
            np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol, err_msg=k)


@pytest.mark.parametrize("name, file", [
    ("cnn", "cnn"),                             # Keras 3 model.export() SavedModel (ResNet50: -m slow)
    ("mobilenetv2", "mobilenetv2.pb"),          # frozen GraphDef
    ("encoder", "encoder"),                     # Keras encoder (MultiHeadAttention, int tokens), SavedModel
    ("encoder_frozen", "encoder_frozen.pbtxt"),  # the same frozen, as text
    ("small", "small"),                         # tf.Module: variables, shape arithmetic, a dict of outputs
    ("dynamic", "dynamic"),                     # tf.Module on a run-time batch: SpaceToBatchND, Conv2DTranspose...
    ("defun", "defun.pb"),                      # TF1 functions calling functions by op name
    ("ops", "ops"),                             # tf.Module: 49 outputs over the ops the models above do not use
])
def test_model_matches_tensorflow(models, name, file):
    model = ovcl.read_model(models / file)
    _check(model, np.load(models / f"{name}.npz"))


def test_nhwc_layout_leaves_one_transpose(models):
    """The layout pass removes the Transposes around every convolution; one stays after the NHWC input."""
    for file in ("cnn", "mobilenetv2.pb"):
        types = [n.type_name for n in ovcl.read_model(models / file).get_ordered_ops()]
        assert types.count("Transpose") == 1, file


@pytest.mark.slow
@pytest.mark.parametrize("name, file", [("resnet50_224", "resnet50_224"), ("mobilenetv2_224", "mobilenetv2_224.pb")])
def test_model_matches_tensorflow_224(slow_models, name, file):
    _check(ovcl.read_model(slow_models / file), np.load(slow_models / f"{name}.npz"))


def test_read_never_imports_tensorflow(models):
    code = textwrap.dedent(f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("tensorflow", "keras", "tf_keras", "tensorboard"):
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import ovcl
        for f in ("cnn", "mobilenetv2.pb", "encoder_frozen.pbtxt", "small"):
            ovcl.read_model({str(models)!r} + "/" + f)
        print("ok", [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")])
    """)
    assert _subprocess(["-c", code]).split("\n")[-2] == "ok []"


def test_convert_live_objects(models):
    """convert_model of a Keras model, a tf.Module, a tf.function with example_input and with input=, and a
    ConcreteFunction, in a subprocess (the test process never imports TensorFlow)."""
    code = textwrap.dedent(f"""
        import json, sys
        import numpy as np, tensorflow as tf, keras
        sys.path.insert(0, {str(HERE)!r})
        import ovcl, tf_models
        rng = np.random.default_rng(1)
        err = {{}}
        def run(model, feeds):
            return ovcl.compile_model(model, "CPU")(feeds)
        net = tf_models.cnn()
        x = rng.uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
        err["keras_cnn"] = float(np.abs(run(ovcl.convert_model(net), x)[0] - net(x).numpy()).max())
        enc = tf_models.encoder()
        t = rng.integers(0, 100, (3, 16)).astype(np.int32)
        err["keras_encoder"] = float(np.abs(run(ovcl.convert_model(enc), t)[0] - enc(t).numpy()).max())
        small = tf_models.Small()
        x = rng.normal(size=(2, 4, 6)).astype(np.float32)
        got, ref = run(ovcl.convert_model(small), x), small(x)
        err["module"] = max(float(np.abs(got[k] - ref[k].numpy()).max()) for k in ref)
        @tf.function
        def f(a, b):
            return tf.nn.softmax(a @ b, axis=-1)
        a, b = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)
        m = ovcl.convert_model(f, example_input=(a, b))
        err["function_example"] = float(np.abs(run(m, [a, b])[0] - f(a, b).numpy()).max())
        m = ovcl.convert_model(f, input=[("a", [-1, 3]), ("b", [3, 4])])
        err["function_input"] = float(np.abs(run(m, [a, b])[0] - f(a, b).numpy()).max())
        err["input_shapes"] = [str(p.get_partial_shape()) for p in m.inputs]
        cf = f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([3, 4], tf.float32))
        err["concrete_function"] = float(np.abs(run(ovcl.convert_model(cf), [a, b])[0] - f(a, b).numpy()).max())
        print(json.dumps(err))
    """)
    err = json.loads(_subprocess(["-c", code]).strip().split("\n")[-1])
    assert err.pop("input_shapes") == ["[?,3]", "[3,4]"]
    for name, e in err.items():
        assert e < 1e-4, f"{name}: max |diff| {e}"


def test_convert_cli_saved_model(models, tmp_path):
    from ovcl.convert_cli import main
    out = tmp_path / "small.xml"
    assert main([str(models / "small"), "--output_model", str(out), "--compress_to_fp16=False"]) == 0
    _check(ovcl.read_model(out), np.load(models / "small.npz"), rtol=1e-6, atol=1e-6)


def test_input_shape_by_tensorflow_name(models):
    model = ovcl.convert_model(models / "mobilenetv2.pb", input="x[1,96,96,3]")
    assert model.inputs[0].get_partial_shape() == ovcl.PartialShape([1, 96, 96, 3])
    assert model.outputs[0].get_partial_shape() == ovcl.PartialShape([1, 1000])


def test_cut_at_inner_tensor_name(models):
    """output= by a TensorFlow tensor name inside the NHWC part of a frozen graph (a tensor the layout pass
    merges away, and OpenVINO's reader loses), against Keras' value of that layer."""
    from ovcl.frontends.tensorflow.protos import GraphDef
    g = GraphDef()
    g.ParseFromString((models / "mobilenetv2.pb").read_bytes())
    name = next(n.name for n in g.node if "block_1_expand_relu" in n.name and n.op == "Relu6")
    model = ovcl.convert_model(models / "mobilenetv2.pb", input="x[1,96,96,3]", output=name)
    data = np.load(models / "mobilenetv2_cut.npz")
    got = ovcl.compile_model(model, "CPU")(data["x"])[0]
    np.testing.assert_allclose(got, data["block_1_expand_relu"], rtol=1e-3, atol=1e-4)


# -- malformed models ------------------------------------------------------------------------------------------

@pytest.fixture
def small_copy(models, tmp_path) -> Path:
    return Path(shutil.copytree(models / "small", tmp_path / "small"))


def test_missing_variables(small_copy):
    shutil.rmtree(small_copy / "variables")
    with pytest.raises(FrontendError, match="variables.index"):
        ovcl.read_model(small_copy)


def test_truncated_shard(small_copy):
    shard = next((small_copy / "variables").glob("variables.data-*"))
    shard.write_bytes(shard.read_bytes()[:40])
    with pytest.raises(FrontendError, match="variables"):
        ovcl.read_model(small_copy)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_saved_model(small_copy, cut):
    pb = small_copy / "saved_model.pb"
    data = pb.read_bytes()
    pb.write_bytes(data[:int(len(data) * cut)])
    with pytest.raises(FrontendError):
        ovcl.read_model(small_copy)


def test_not_a_saved_model(tmp_path):
    with pytest.raises(FrontendError, match="saved_model.pb"):
        ovcl.read_model(tmp_path)
    bad = tmp_path / "model.pb"
    bad.write_bytes(b"\x0a\xff\xff\xff\xff\x0f garbage")
    with pytest.raises(FrontendError, match="GraphDef"):
        ovcl.read_model(bad)


def test_unknown_signature(small_copy):
    from ovcl.frontends.tensorflow.saved_model import read_saved_model
    with pytest.raises(FrontendError, match="serving_default"):
        read_saved_model(small_copy, "predict")


def test_unsupported_op_names_op_and_node(tmp_path):
    from ovcl.frontends.tensorflow.protos import GraphDef
    g = GraphDef()
    x = g.node.add(name="x", op="Placeholder")
    entry = x.attr.add(key="dtype")
    entry.value.type = 1
    g.node.add(name="my/strange", op="FancyNewOp", input=["x"])
    path = tmp_path / "g.pb"
    path.write_bytes(g.SerializeToString())
    with pytest.raises(UnsupportedOpError, match="FancyNewOp.*my/strange"):
        ovcl.read_model(path)


# -- fuzzing (tests/fuzzing.py): mutated copies of models made here, every rejection a typed error --------------

@pytest.mark.parametrize("runs", [pytest.param(1000, id="default"),
                                  pytest.param(10_000, id="long", marks=pytest.mark.slow)])
@pytest.mark.parametrize("form", ["graphdef", "saved_model"])
def test_fuzzed_models_get_typed_errors(models, tmp_path, form, runs):
    """A frozen GraphDef with a function library, and a SavedModel's saved_model.pb (its variables intact)."""
    import warnings
    import fuzzing
    path = models / "defun.pb" if form == "graphdef" else models / "small" / "saved_model.pb"
    read = fuzzing.file_reader(path, tmp_path, whole_folder=form == "saved_model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = fuzzing.fuzz(read, [path.read_bytes()], runs, seed=5)
    fuzzing.check(report, f"tensorflow {form}")
