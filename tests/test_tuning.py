"""Kernel variants, the tuning database and the tuner: constraints, the lookup order, bad files, rejection of
wrong candidates, and a tiny model tuned end to end whose next compile uses the result."""
from __future__ import annotations

import json
import warnings
from dataclasses import replace

import numpy as np
import pytest

import ovcl
from ovcl.ir import Model, ops
from ovcl.kernels.conv.depthwise import VARIANT as DEPTHWISE
from ovcl.kernels.conv.direct import VARIANT as DIRECT
from ovcl.kernels.conv.winograd import VARIANT as WINOGRAD
from ovcl.kernels.matmul.naive import VARIANT as NAIVE
from ovcl.kernels.matmul.tiled import VARIANT as TILED
from ovcl.kernels.softmax.row import VARIANT as SOFTMAX
from ovcl.tuning import database, tuner
from ovcl.tuning.database import Identity, TuningWarning


@pytest.fixture
def dbs(tmp_path, monkeypatch):
    """An empty user database and an empty shipped one, both in tmp_path."""
    monkeypatch.setenv("OVCL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(database, "SHIPPED", tmp_path / "shipped.json")
    monkeypatch.delenv("OVCL_TUNING", raising=False)
    database._warned.clear()
    return tmp_path


def _caps(**kw):
    from ovcl.device import get_device
    return replace(get_device("CPU").caps, **kw)


def _matmul_model(m=24, k=40, n=48, seed=0):
    rng = np.random.default_rng(seed)
    b = rng.standard_normal((k, n)).astype(np.float32)
    pa = ops.parameter((m, k), name="a")
    return Model([ops.make("MatMul", [pa, ops.constant(b)])], [pa]), b


def _record(level, key, shape="*", params=None, variant=TILED, **extra):
    from ovcl import __version__
    r = {"level": level, "key": key, "variant": variant.id, "shape": shape, "params": params or {"TM": 2},
         "source": variant.source_hash(), "ovcl": __version__, "driver": "1"}
    r.update(extra)
    return r


# -- variants --------------------------------------------------------------------------------------------

def test_space_keeps_only_valid_configurations():
    problem = {"kind": "const", "M": 64, "N": 64, "K": 64, "nb": 1, "b_half": False}
    caps = _caps(max_work_group_size=16)
    space = TILED.space(problem, caps)
    assert space and all(TILED.check(c, problem, caps) is None for c in space)
    assert all(c["L0"] * c["L1"] <= 16 for c in space)
    assert all(c["TM"] * c["NV"] + c["NV"] <= 40 for c in space)
    assert len({tuple(sorted(c.items())) for c in space}) == len(space)
    # a work-group past the device's limit, and a read-in-place B whose N the vectors do not divide
    assert "exceeds" in TILED.check(dict(space[0], L0=8, L1=8), problem, caps)
    direct = dict(problem, kind="runtime", direct_ok=True, N=60)
    assert TILED.check(TILED.fit(dict(space[0], VW=8, BDIRECT=1), direct, caps), direct, caps) is None  # fit drops it
    assert "in place" in TILED.check(dict(space[0], VW=8, NV=1, BDIRECT=1), direct, caps)


def test_capability_defaults_follow_the_vector_width():
    problem = {"kind": "const", "M": 512, "N": 512, "K": 512, "nb": 1}
    assert TILED.defaults(problem, _caps(preferred_vector_width_float=16))["VW"] == 16
    assert TILED.defaults(problem, _caps(preferred_vector_width_float=8))["VW"] == 8
    gpu = TILED.defaults(problem, _caps(device_type="GPU"))
    assert gpu["AVEC"] == 1 and gpu["L0"] * gpu["L1"] == 128


def test_both_winograd_transforms_fit_the_device():
    # the generic check sees the input transform's work-group; the output transform's, LO x 16 // LO, is its own
    problem = {"n": 1, "c": 64, "oc": 64, "th": 7, "tw": 7}
    cfg = {"NT": 4, "LI": 4, "LO": 4}                                   # input (4, 1, 16), output (4, 4, 1)
    assert WINOGRAD.check(cfg, problem, _caps()) is None
    assert "output transform" in WINOGRAD.check(cfg, problem, _caps(max_work_item_sizes=(1024, 2, 1024)))
    assert "output transform" in WINOGRAD.check(dict(cfg, LO=8), problem, _caps(max_work_item_sizes=(4, 64, 64)))
    assert WINOGRAD.check(cfg, problem, _caps(max_work_item_sizes=(4, 64, 64))) is None
    # the input transform's group of planes (up to 64 work-items) shrinks to the device's limits, which the
    # lowering puts in the problem
    small = dict(problem, group_max=16, z_max=2)
    assert WINOGRAD.local_size(cfg, small) == (4, 1, 2) and WINOGRAD.local_size(cfg, problem) == (4, 1, 16)
    assert WINOGRAD.check(WINOGRAD.defaults(small, _caps()), small, _caps(max_work_group_size=16,
                                                                        max_work_item_sizes=(16, 16, 2))) is None


def test_one_item_and_one_group_per_segment_schemes():
    # one work-item per element: the work-group is clipped to a tiny launch, and a device's limit rejects
    assert NAIVE.fit({"WG": 256}, {"total": 5}, _caps()) == {"WG": 8}
    assert NAIVE.global_size({"WG": 64}, {"total": 100}) == (128,)
    assert "exceeds" in NAIVE.check({"WG": 128}, {"total": 1000}, _caps(max_work_group_size=64))
    # one work-group per segment: a CPU loops in one work-item (float8 where the segment is contiguous f32), a
    # GPU shares a segment among a power of two of items no larger than it
    row = {"segments": 10, "R": 100, "vec_ok": True}
    assert SOFTMAX.defaults(row, _caps(device_type="CPU")) == {"WG": 1, "VEC": 1}
    assert SOFTMAX.defaults(row, _caps(device_type="GPU", max_work_group_size=1024)) == {"WG": 128, "VEC": 0}
    assert SOFTMAX.fit({"WG": 4, "VEC": 1}, row, _caps()) == {"WG": 4, "VEC": 0}
    assert SOFTMAX.fit({"WG": 1, "VEC": 1}, dict(row, vec_ok=False), _caps()) == {"WG": 1, "VEC": 0}
    assert "power of two" in SOFTMAX.check({"WG": 6, "VEC": 0}, row, _caps())
    assert SOFTMAX.global_size({"WG": 4, "VEC": 0}, row) == (40,) and SOFTMAX.local_bytes({"WG": 4}, row) == 32
    space = SOFTMAX.space(row, _caps(max_work_group_size=16))
    assert {(c["WG"], c["VEC"]) for c in space} == {(1, 0), (1, 1), (2, 0), (4, 0), (8, 0), (16, 0)}


def test_arguments_bind_by_name():
    args = DEPTHWISE.args("float", "float", bias_ct="float", res_ct=None)
    assert args.c_params().startswith("__global float *restrict out, __global const float *restrict x")
    values = {"out": 1, "x": 2, "w": 3, "bias": 4, **{k: i for i, k in enumerate(
        ("NC", "C", "H", "W", "OH", "OW", "PT", "PL", "NT", "NR"))}}
    bound = args.bind(dict(reversed(list(values.items()))))      # order of the dict does not matter
    assert bound[:4] == [1, 2, 3, 4] and [int(v) for v in bound[4:]] == list(range(10))
    with pytest.raises(ValueError, match="do not match"):
        args.bind({k: v for k, v in values.items() if k != "PT"})


def test_forced_parameters_are_used_and_checked():
    model, b = _matmul_model()
    a = np.random.default_rng(1).standard_normal((24, 40)).astype(np.float32)
    cm = ovcl.compile_model(model, "CPU", {"KERNEL_PARAMS": {"matmul.tiled": {"TM": 3, "VW": 4, "NV": 2}}})
    np.testing.assert_allclose(cm(a)[0], a @ b, rtol=1e-4, atol=1e-4)
    (l,) = cm.launches()
    assert (l.variant, l.tuning, l.params["TM"], l.params["VW"], l.params["NV"]) == ("matmul.tiled", "forced", 3, 4, 2)
    with pytest.raises(ovcl.CompileError, match="unknown parameters"):
        ovcl.compile_model(model, "CPU", {"KERNEL_PARAMS": {"matmul.tiled": {"TILE": 3}}})
    with pytest.raises(ovcl.CompileError, match="spill"):
        ovcl.compile_model(model, "CPU", {"KERNEL_PARAMS": {"matmul.tiled": {"TM": 10, "NV": 4, "VW": 4}}})



def test_panels_narrow_where_a_quarter_would_be_padding():
    """fit() takes a narrower panel where the last ones would pad N by a quarter of the columns computed and the
    narrower pads less (N = 32 on 24-column panels computes 48); the product stays right on it."""
    model, b = _matmul_model(m=20, k=40, n=32)
    forced = {"TM": 4, "VW": 8, "NV": 3}
    cm = ovcl.compile_model(model, "CPU", {"KERNEL_PARAMS": {"matmul.tiled": forced}})
    (l,) = cm.launches()
    assert (l.params["VW"], l.params["NV"]) == (8, 2)
    a = np.random.default_rng(1).standard_normal((20, 40)).astype(np.float32)
    np.testing.assert_allclose(cm(a)[0], a @ b, rtol=1e-4, atol=1e-4)
    from ovcl.device import get_device
    caps = get_device("CPU").caps
    nv = {n: TILED.fit(dict(TILED.defaults({"kind": "const", "M": 64, "N": n, "K": 32, "nb": 1}, caps), **forced),
                       {"kind": "const", "M": 64, "N": n, "K": 32, "nb": 1}, caps)["NV"] for n in (32, 40, 48, 64, 96)}
    assert nv == {32: 2, 40: 3, 48: 3, 64: 3, 96: 3}

# -- the database ----------------------------------------------------------------------------------------

def test_lookup_order(dbs, monkeypatch):
    ident = Identity.fake("acme|dev1", "pocl:zen9:vw8", "pocl:CPU")
    src, shape = TILED.source_hash(), "kind=const,M=1,N=2,K=3,nb=1"
    find = lambda: database.lookup(ident, TILED.id, shape, src)  # noqa: E731
    assert find() is None
    database.write(database.SHIPPED, [_record("type", "CPU", params={"TM": 1}),
                                      _record("vendor", "pocl:CPU", params={"TM": 2}),
                                      _record("arch", "pocl:other:vw8", params={"TM": 8})])
    assert find().params == {"TM": 2}                      # vendor before type; another arch never
    database.add_user_entries([_record("arch", "pocl:zen9:vw8", params={"TM": 3})])
    assert find().params == {"TM": 3}                      # arch before vendor
    database.write(database.SHIPPED, [_record("arch", "pocl:zen9:vw8", shape=shape, params={"TM": 4})])
    assert find().params == {"TM": 4}                      # an exact shape before any-shape entries
    database.add_user_entries([_record("arch", "pocl:zen9:vw8", shape=shape, params={"TM": 5})])
    assert find().params == {"TM": 5}                      # the user's before the shipped, same level
    database.add_user_entries([_record("device", "acme|dev1", shape=shape, params={"TM": 6})])
    assert find().params == {"TM": 6}                      # device first
    database.add_user_entries([_record("device", "acme|dev1", shape=shape, params={"TM": 7}, driver="2")])
    assert find().params == {"TM": 5}                      # measured with another driver: not used
    monkeypatch.setenv("OVCL_TUNING", "user")
    database.add_user_entries([])
    assert find().params == {"TM": 5}
    database.write(database.user_path(), [])
    assert find() is None                                  # user mode ignores the shipped database
    monkeypatch.setenv("OVCL_TUNING", "0")
    database.add_user_entries([_record("device", "acme|dev1", shape=shape, params={"TM": 6})])
    assert find() is None                                  # off: capability defaults only


def test_stale_and_foreign_entries_are_ignored(dbs):
    ident = Identity.fake("acme|dev1", "a", "v")
    database.add_user_entries([_record("device", "acme|dev1", source="0" * 16),
                               _record("device", "acme|dev1", variant=DIRECT, ovcl="0.0.0")])
    with pytest.warns(TuningWarning, match="other kernel source"):
        assert database.lookup(ident, TILED.id, "x", TILED.source_hash()) is None
    assert database.lookup(ident, DIRECT.id, "x", DIRECT.source_hash()) is None     # another ovcl version


@pytest.mark.parametrize("content", ["{not json", '{"format": "something-else", "entries": []}',
                                     '{"format": "ovcl-tuning", "version": 99, "entries": []}',
                                     '{"format": "ovcl-tuning", "version": 1, "entries": [{"level": "device"}]}',
                                     "\udcff"])
def test_bad_database_files_warn_and_fall_back(dbs, content):
    path = database.user_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    model, b = _matmul_model()
    a = np.ones((24, 40), np.float32)
    with pytest.warns(TuningWarning, match="not usable"):
        cm = ovcl.compile_model(model, "CPU")
    np.testing.assert_allclose(cm(a)[0], a @ b, rtol=1e-4, atol=1e-4)
    assert cm.launches()[0].tuning == "default"


def test_an_entry_that_cannot_run_falls_back_with_a_warning(dbs):
    from ovcl.device import get_device
    ident = get_device("CPU").tuning_identity
    database.add_user_entries([_record("device", ident.device, driver=ident.driver,
                                       params={"TM": 10, "NV": 4, "VW": 4})])
    model, _ = _matmul_model()
    with pytest.warns(TuningWarning, match="cannot run"):
        cm = ovcl.compile_model(model, "CPU")
    assert cm.launches()[0].tuning == "default"


# -- the tuner -------------------------------------------------------------------------------------------

def test_tiny_model_tuned_and_used_by_the_next_compile(dbs):
    from ovcl.device import get_device
    dev = get_device("CPU")
    model, b = _matmul_model()
    lines = []
    import time
    t0 = time.perf_counter()
    insts = tuner.tune(model, dev, budget_s=8, runs=2, progress=lines.append)
    assert time.perf_counter() - t0 < 8 + 6        # the budget, plus one candidate and the final check
    assert len(insts) == 1 and insts[0].tried >= 3 and insts[0].rejected == 0
    assert any("ETA" in ln or "left" in ln for ln in lines)
    tuner.save(insts, dev)
    cm = ovcl.compile_model(model, "CPU")
    (l,) = cm.launches()
    assert l.tuning == f"device:{dev.tuning_identity.device}"
    assert l.params == TILED.fit(insts[0].best, insts[0].problem, dev.caps)
    a = np.random.default_rng(2).standard_normal((24, 40)).astype(np.float32)
    np.testing.assert_allclose(cm(a)[0], a @ b, rtol=1e-4, atol=1e-4)
    assert "| matmul.tiled |" in tuner.table(insts)


def test_stale_parameters_are_measured_first(dbs, monkeypatch):
    """After a template change, an entry measured on the old source is ignored at compile time, but the tuner
    tries its parameters before any other candidate."""
    from ovcl.device import get_device
    dev = get_device("CPU")
    ident = dev.tuning_identity
    model, _ = _matmul_model()
    shape = ovcl.compile_model(model, "CPU").launches()[0].shape
    old = {"TM": 2, "VW": 4, "NV": 1, "U": 2, "L0": 2, "L1": 2, "AVEC": 0, "BLOCAL": 0, "BDIRECT": 0}
    database.add_user_entries([_record("device", ident.device, shape=shape, params=old, driver=ident.driver,
                                       source="0" * 16)])
    measured = []
    real = tuner._NodeBench.measure

    def measure(self, cfg, *args):
        measured.append(cfg)
        return real(self, cfg, *args)

    monkeypatch.setattr(tuner._NodeBench, "measure", measure)
    with pytest.warns(TuningWarning, match="other kernel source"):
        (inst,) = tuner.tune(model, dev, budget_s=1, runs=1, progress=lambda m: None)
    assert measured[0] == inst.current != old                # the capability defaults: the stale entry is ignored
    assert measured[1] == TILED.fit(old, inst.problem, dev.caps)


def test_a_candidate_with_wrong_results_is_rejected(dbs, monkeypatch):
    """Inject a candidate whose kernel 'runs in no time' but whose output is off by 0.1%."""
    from ovcl.device import get_device
    dev = get_device("CPU")
    model, _ = _matmul_model()
    wrong = {"TM": 2, "VW": 4, "NV": 1, "U": 2, "L0": 2, "L1": 2, "AVEC": 0, "BLOCAL": 0, "BDIRECT": 0}
    good = dict(wrong, TM=1)
    real_plan = tuner._NodeBench.plan

    def plan(self, cfg):
        p = real_plan(self, cfg)
        if cfg == wrong:
            run = p.run
            p.run = lambda arrays: [o * np.float32(1.001) for o in run(arrays)]
            p.time_launches = lambda: 0.0
        return p

    monkeypatch.setattr(tuner._NodeBench, "plan", plan)
    insts = tuner.tune(model, dev, budget_s=30, runs=1, progress=lambda m: None,
                       candidates=lambda inst: [wrong, good])
    assert insts[0].tried == 2 and insts[0].rejected == 1 and insts[0].best != wrong


def test_tune_cli(dbs, tmp_path, capsys):
    from onnx import helper, numpy_helper
    import onnx
    rng = np.random.default_rng(0)
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "t",
                          [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [8, 32])],
                          [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
                          initializer=[numpy_helper.from_array(rng.standard_normal((32, 24)).astype(np.float32), "w")])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    from ovcl.cli import main
    assert main(["tune", str(path), "-d", "CPU", "--budget-s", "4", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "whole model" in out and "saved 1 entries" in out
    assert main(["tune", "--show", "-d", "CPU"]) == 0
    assert "device:matmul.tiled" in capsys.readouterr().out
    assert main(["tune", "--export", str(tmp_path / "x.json"), "-d", "CPU", "--promote", "arch"]) == 0
    doc = json.loads((tmp_path / "x.json").read_text())
    assert [e["level"] for e in doc["entries"]] == ["arch"]
    assert main(["tune", "--import", str(tmp_path / "x.json")]) == 0
    assert main(["tune", "--import", str(tmp_path / "missing.json")]) == 1


def test_every_variant_declares_a_whole_unit():
    from ovcl.kernels.variant import KERNELS, all_variants
    specs = all_variants()
    assert {"matmul.tiled", "matmul.naive", "matmul.pack", "conv.direct", "conv.depthwise", "conv.winograd",
            "conv.generic", "conv.im2col", "conv.subsample", "conv.pad", "reduce.segment", "softmax.row",
            "norm.segment"} <= set(specs)
    for v in specs.values():
        assert v.id.split(".")[0] == v.template.split("/")[0], v.id          # kernels/<family>/<variant>
        assert all((KERNELS / t).is_file() for t in (v.template, *v.also)), v.id
        assert "${signature}" in (KERNELS / v.template).read_text(), v.id    # arguments declared once
        assert v.params and all(v.params.values()), v.id
        assert set(v.shape_keys), v.id


def test_shipped_database_is_current():
    """Shipped entries are measured against the kernel source as it is: an entry for other source is
    ignored at run time, so a template change must come with a new measurement (``ovcl tune --promote``)."""
    entries = database.read(database.SHIPPED)
    from ovcl.kernels.variant import all_variants
    specs = all_variants()
    assert all(e.variant in specs for e in entries)
    stale = [f"{e.variant} {e.shape}" for e in entries if e.source != specs[e.variant].source_hash()]
    assert not stale, f"shipped tuning entries for changed kernel source: {stale}"
    assert all(e.level != "device" or e.record.get("driver") for e in entries)
    assert all(set(e.params) <= set(specs[e.variant].params) for e in entries)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        database.read(database.SHIPPED)
