"""The PaddlePaddle frontend against Paddle itself: inference models saved by ``paddle.jit.save`` in the PIR form
(.json) and the legacy form (.pdmodel), made in a subprocess (tests/paddle_models.py: random weights and
BatchNorm statistics, once per test run) with Paddle's outputs stored beside them; live layers converted in a
subprocess (the test process never imports Paddle); damaged files. Tolerance: rtol 1e-3 / atol 1e-4 (the
issue's)."""
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
_HAVE_PADDLE = importlib.util.find_spec("paddle") is not None
_SKIP = "needs the paddle-test extra (paddlepaddle)"


def _subprocess(args):
    return run_python(args, GLOG_minloglevel="3")


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    if not _HAVE_PADDLE:
        pytest.skip(_SKIP)
    out = tmp_path_factory.mktemp("paddle")
    _subprocess([str(HERE / "paddle_models.py"), str(out)])
    return out


@pytest.fixture(scope="session")
def slow_models(tmp_path_factory) -> Path:
    if not _HAVE_PADDLE:
        pytest.skip(_SKIP)
    out = tmp_path_factory.mktemp("paddle_slow")
    _subprocess([str(HERE / "paddle_models.py"), str(out), "--slow"])
    return out


def _check(model: ovcl.Model, data, rtol=1e-3, atol=1e-4):
    """Every output (``out0``, ``out1``, ...) against Paddle's: shape, element type and values."""
    feeds = {k[3:]: data[k] for k in data.files if k.startswith("in:")}
    result = ovcl.compile_model(model, "CPU")(feeds)
    refs = [data[f"out{k}"] for k in range(sum(f.startswith("out") for f in data.files))]
    assert len(model.outputs) == len(refs)
    for k, ref in enumerate(refs):
        got = np.asarray(result[k])
        assert (got.shape, got.dtype) == (ref.shape, ref.dtype), f"output {k}: {got.shape} {got.dtype}, Paddle " \
                                                                  f"{ref.shape} {ref.dtype}"
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol, err_msg=f"output {k}")


_FILES = {"pir": "pir/{}.json", "legacy": "legacy/{}.pdmodel"}


@pytest.mark.parametrize("form", ["pir", "legacy"])
@pytest.mark.parametrize("name", ["mobilenetv2", "resnet18", "encoder"])
def test_model_matches_paddle(models, name, form):
    _check(ovcl.read_model(models / _FILES[form].format(name)), np.load(models / f"{name}.npz"))


def test_ops_model_matches_paddle(models):
    """Grouped and transposed convolutions, resize, max pooling, split / concat / slices, activations, layer norm,
    reductions (PIR form: Paddle 3.3 no longer exports these to legacy programs)."""
    _check(ovcl.read_model(models / "pir/ops.json"), np.load(models / "ops.npz"))


def test_paddle_rules_where_openvino_differs(models):
    """Resizing by a scale, SAME padding of dilated and transposed convolutions, inclusive ceil-mode average
    pooling, pad values, unsqueeze order, sum's dtype, int64 max, argmax, where, full_like, arange, floor_divide,
    unstack, pooling masks: one output each (tests/paddle_models.py, Semantics)."""
    _check(ovcl.read_model(models / "pir/semantics.json"), np.load(models / "semantics.npz"))


def test_legacy_ops_program_matches_paddle(models):
    """A legacy program written op by op: the legacy ops and attributes the models above do not use (their
    renaming to PIR's terms), against Paddle's executor."""
    _check(ovcl.read_model(models / "legacy/legacy_ops.pdmodel"), np.load(models / "legacy_ops.npz"))


def test_both_forms_name_inputs_alike(models):
    for name, inp in (("resnet18", "x"), ("encoder", "ids")):
        for form in _FILES:
            m = ovcl.read_model(models / _FILES[form].format(name))
            assert m.inputs[0].get_any_name() == inp
            assert m.inputs[0].get_partial_shape() == ovcl.PartialShape([-1, 3, 64, 64] if inp == "x" else [-1, 16])


@pytest.mark.slow
@pytest.mark.parametrize("form", ["pir", "legacy"])
@pytest.mark.parametrize("name", ["mobilenetv2_224", "resnet18_224"])
def test_model_matches_paddle_224(slow_models, name, form):
    _check(ovcl.read_model(slow_models / _FILES[form].format(name)), np.load(slow_models / f"{name}.npz"))


def test_read_never_imports_paddle(models):
    code = textwrap.dedent(f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "paddle":
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import ovcl
        for f in ("pir/encoder.json", "legacy/encoder.pdmodel", "pir/ops.json"):
            ovcl.read_model({str(models)!r} + "/" + f)
        print("ok", [m for m in sys.modules if m.split(".")[0] == "paddle"])
    """)
    assert _subprocess(["-c", code]).split("\n")[-2] == "ok []"


def test_convert_live_layers(models):
    """convert_model of paddle.nn.Layer objects with example_input and with input=, against the layer itself."""
    code = textwrap.dedent(f"""
        import json, sys
        import numpy as np, paddle
        sys.path.insert(0, {str(HERE)!r})
        import ovcl, paddle_models
        paddle.seed(0)
        rng = np.random.default_rng(1)
        err = {{}}
        def run(model, feeds):
            return ovcl.compile_model(model, "CPU")(feeds)[0]
        enc = paddle_models.Encoder()
        enc.eval()
        ids = rng.integers(0, 100, (3, 16)).astype(np.int64)
        ref = enc(paddle.to_tensor(ids)).numpy()
        err["encoder_example"] = float(np.abs(run(ovcl.convert_model(enc, example_input=ids), ids) - ref).max())
        m = ovcl.convert_model(enc, input=[("ids", [-1, 16], np.int64)])
        err["encoder_input"] = float(np.abs(run(m, ids) - ref).max())
        err["shape"] = str(m.inputs[0].get_partial_shape())
        ops = paddle_models.Ops()
        ops.train()
        x = rng.standard_normal((2, 4, 16, 16)).astype(np.float32)
        m = ovcl.convert_model(ops, example_input=paddle.to_tensor(x))
        err["still_training"] = ops.training
        ops.eval()
        err["ops"] = float(np.abs(run(m, x) - ops(paddle.to_tensor(x)).numpy()).max())
        print(json.dumps(err))
    """)
    err = json.loads(_subprocess(["-c", code]).strip().split("\n")[-1])
    assert err.pop("shape") == "[?,16]"
    assert err.pop("still_training") is True
    for name, e in err.items():
        assert e < 1e-4, f"{name}: max |diff| {e}"


def test_convert_cli(models, tmp_path):
    from ovcl.convert_cli import main
    out = tmp_path / "encoder.xml"
    assert main([str(models / "pir/encoder.json"), "--output_model", str(out), "--compress_to_fp16=False"]) == 0
    _check(ovcl.read_model(out), np.load(models / "encoder.npz"), rtol=1e-5, atol=1e-6)


# -- damaged and unsupported files ---------------------------------------------------------------------------
@pytest.fixture
def encoder_copy(models, tmp_path) -> Path:
    for form in ("pir", "legacy"):
        shutil.copytree(models / form, tmp_path / form, ignore=shutil.ignore_patterns("[!e]*"))
    return tmp_path


@pytest.mark.parametrize("form", ["pir", "legacy"])
def test_missing_parameters(encoder_copy, form):
    (encoder_copy / form / "encoder.pdiparams").unlink()
    with pytest.raises(FrontendError, match="encoder.pdiparams does not exist"):
        ovcl.read_model(encoder_copy / _FILES[form].format("encoder"))


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.999])
def test_truncated_parameters(encoder_copy, cut):
    p = encoder_copy / "pir/encoder.pdiparams"
    data = p.read_bytes()
    p.write_bytes(data[:int(len(data) * cut)])
    with pytest.raises(FrontendError, match="truncated"):
        ovcl.read_model(encoder_copy / "pir/encoder.json")


def test_parameters_of_another_model(encoder_copy, models):
    shutil.copy(models / "pir/resnet18.pdiparams", encoder_copy / "pir/encoder.pdiparams")
    with pytest.raises(FrontendError):
        ovcl.read_model(encoder_copy / "pir/encoder.json")


@pytest.mark.parametrize("cut", [0.01, 0.5, 0.99])
def test_truncated_programs(encoder_copy, cut):
    for form in _FILES:
        p = encoder_copy / _FILES[form].format("encoder")
        data = p.read_bytes()
        p.write_bytes(data[:int(len(data) * cut)])
        with pytest.raises(FrontendError):
            ovcl.read_model(p)


def _edit_json(path: Path, fn):
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc))


def test_unsupported_pir_version(encoder_copy):
    p = encoder_copy / "pir/encoder.json"
    _edit_json(p, lambda d: d["base_code"].update(version=7))
    with pytest.raises(FrontendError, match="version 7 is not supported.*Paddle 3.0 to 3.3"):
        ovcl.read_model(p)


def test_not_a_pir_program(tmp_path):
    p = tmp_path / "config.json"
    p.write_text('{"name": "not a model"}')
    with pytest.raises(FrontendError, match="not a PaddlePaddle PIR program"):
        ovcl.read_model(p)


def test_unsupported_op_names_op(encoder_copy):
    p = encoder_copy / "pir/encoder.json"

    def rename(doc):
        op = next(o for o in doc["program"]["regions"][0]["blocks"][0]["ops"] if o["#"] == "1.layer_norm")
        op["#"] = "1.fancy_norm"
    _edit_json(p, rename)
    with pytest.raises(UnsupportedOpError, match="'fancy_norm'.*not supported"):
        ovcl.read_model(p)


def _ops(doc) -> list:
    return doc["program"]["regions"][0]["blocks"][0]["ops"]


def _attr(op, name) -> dict:
    return next(a["AT"] for a in op["A"] if a["N"] == name)


def _first(doc, name) -> dict:
    return next(o for o in _ops(doc) if o["#"] == name)


_DAMAGE = {
    "version is not a number": (lambda d: d["base_code"].update(version=True), "version True is not supported"),
    "value id is an object": (lambda d: _first(d, "1.conv2d")["I"][0].update({"%": {"a": 1}}), "not an integer"),
    "input name is a list": (lambda d: _attr(_first(d, "1.data"), "name").update(D=["x"]), "is not text"),
    "conv groups 0": (lambda d: _attr(_first(d, "1.conv2d"), "groups").update(D=0), "groups 0 does not divide"),
    "full of 2**43 elements": (lambda d: _attr(_first(d, "1.full"), "shape").update(D=[2**43]),
                               "not one a constant can have"),
    "int full of infinity": (lambda d: next(_attr(o, "value") for o in _ops(d) if o["#"] == "1.full" and
                                            _attr(o, "dtype")["D"] == "int64").update(VD="INF"), "OverflowError"),
    "resize scale NaN": (lambda d: _first(d, "1.bilinear_interp")["A"].append(
        {"N": "scale", "AT": {"#": "0.a_array", "D": [{"#": "0.a_f32", "VD": "NaN"}] * 2}}), "does not fit"),
}


@pytest.mark.parametrize("damage", list(_DAMAGE))
def test_damaged_programs_name_the_problem(models, tmp_path, damage):
    """Edits to a PIR program that Paddle would never write, each a FrontendError that says what is wrong."""
    edit, message = _DAMAGE[damage]
    for suffix in (".json", ".pdiparams"):
        shutil.copy(models / f"pir/semantics{suffix}", tmp_path / f"m{suffix}")
    _edit_json(tmp_path / "m.json", edit)
    with pytest.raises(FrontendError, match=message):
        ovcl.compile_model(ovcl.read_model(tmp_path / "m.json"), "CPU")


def test_deeply_nested_json(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(FrontendError, match="nested too deeply"):
        ovcl.read_model(p)


def test_fuzzed_programs_give_typed_errors(encoder_copy):
    """Random byte flips of the legacy program and random deletions in the PIR program: a model or a
    FrontendError, never another exception."""
    rng = np.random.default_rng(0)
    legacy = (encoder_copy / "legacy/encoder.pdmodel").read_bytes()
    doc = json.loads((encoder_copy / "pir/encoder.json").read_text())
    ops = doc["program"]["regions"][0]["blocks"][0]["ops"]
    target = encoder_copy / "fuzz"
    target.mkdir()
    shutil.copy(encoder_copy / "pir/encoder.pdiparams", target / "m.pdiparams")
    for k in range(60):
        data = bytearray(legacy)
        for i in rng.integers(0, len(data), 8):
            data[i] = int(rng.integers(0, 256))
        (target / "m.pdmodel").write_bytes(bytes(data))
        mutated = json.loads(json.dumps(doc))
        op = mutated["program"]["regions"][0]["blocks"][0]["ops"][int(rng.integers(0, len(ops)))]
        key = list(op)[int(rng.integers(0, len(op)))]
        op[key] = [None, 3, "x", {}][k % 4]
        (target / "m.json").write_text(json.dumps(mutated))
        for f in ("m.pdmodel", "m.json"):
            try:
                ovcl.read_model(target / f)
            except FrontendError:
                pass


# -- fuzzing (tests/fuzzing.py): mutated copies of models made here, every rejection a typed error --------------

@pytest.mark.parametrize("runs", [pytest.param(1000, id="default"),
                                  pytest.param(10_000, id="long", marks=pytest.mark.slow)])
@pytest.mark.parametrize("form", ["pir", "legacy"])
def test_fuzzed_models_get_typed_errors(models, tmp_path, form, runs):
    """The program (PIR JSON, legacy ProgramDesc) of a small model, its parameters intact."""
    import warnings
    import fuzzing
    path = models / form / ("semantics.json" if form == "pir" else "legacy_ops.pdmodel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = fuzzing.fuzz(fuzzing.file_reader(path, tmp_path), [path.read_bytes()], runs, seed=5)
    fuzzing.check(report, f"paddle {form}")
