"""The TensorFlow checkpoint reader against TensorFlow's own: checkpoints written by TensorFlow in a subprocess
(this process never imports it) are read back bit-exactly, and damaged copies fail with a FrontendError."""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from ovcl.frontends.errors import FrontendError
from ovcl.frontends.tensorflow.checkpoint import Checkpoint

pytestmark = pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow")

# Writes a checkpoint of assorted dtypes (and 1200 long-named scalars, so that the index outgrows TensorFlow's
# 256 KiB table block) and a SavedModel, then what TensorFlow itself reads back from each: numbers in
# expected.npz (bfloat16 as its uint16 bits), strings as hex in expected.json.
_WRITER = textwrap.dedent("""
    import json, sys
    import numpy as np, tensorflow as tf
    out = sys.argv[1]
    rng = np.random.default_rng(0)
    v = {
        "f32": tf.Variable(rng.standard_normal((3, 4)).astype(np.float32)),
        "f16": tf.Variable(rng.standard_normal(5).astype(np.float16)),
        "i64": tf.Variable(np.array([[2**40 + 1, -7], [0, 2**62]], np.int64)),
        "flag": tf.Variable([True, False, False, True]),
        "bf16": tf.Variable(tf.cast(rng.standard_normal((3, 3)), tf.bfloat16)),
        "big": tf.Variable(rng.standard_normal((300, 500)).astype(np.float32)),
        "words": tf.Variable([b"ab", b"", bytes(range(256)) * 2]),
    }
    v.update({f"scalar{i:04d}" + "_" * 250: tf.Variable(np.float32(i)) for i in range(1200)})
    tf.train.Checkpoint(**v).write(out + "/ckpt/model")
    module = tf.Module()
    module.w = tf.Variable(rng.standard_normal((4, 2)).astype(np.float32))
    module.b = tf.Variable(np.arange(2, dtype=np.int32))
    tf.saved_model.save(module, out + "/saved")
    arrays, meta = {}, {}
    for name, prefix in (("ckpt", out + "/ckpt/model"), ("saved", out + "/saved/variables/variables")):
        meta[name] = {}
        for key, shape in tf.train.list_variables(prefix):
            value = tf.train.load_variable(prefix, key)
            if isinstance(value, bytes) or value.dtype == object:     # never via numpy's "S": it drops NULs
                value = np.array(value, dtype=object)
                meta[name][key] = {"strings": [s.hex() for s in value.ravel()], "shape": list(value.shape)}
                continue
            dtype = value.dtype.name
            arrays[f"t{len(arrays)}"] = value.view(np.uint16) if dtype == "bfloat16" else value
            meta[name][key] = {"array": f"t{len(arrays) - 1}", "dtype": dtype}
    np.savez(out + "/expected.npz", **arrays)
    with open(out + "/expected.json", "w") as f:
        json.dump(meta, f)
""")


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, dict, dict]:
    """The folder TensorFlow wrote into, what it reads back (per checkpoint, per key), and the arrays."""
    out = tmp_path_factory.mktemp("tf_checkpoint")
    proc = subprocess.run([sys.executable, "-c", _WRITER, str(out)], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"the TensorFlow writer failed:\n{proc.stderr[-3000:]}")
    with np.load(out / "expected.npz") as npz:
        arrays = dict(npz)
    return out, json.loads((out / "expected.json").read_text()), arrays


def _prefix(out: Path, name: str) -> Path:
    return out / "ckpt" / "model" if name == "ckpt" else out / "saved" / "variables" / "variables"


@pytest.mark.parametrize("name", ["ckpt", "saved"])
def test_reads_what_tensorflow_reads(written, name):
    out, meta, arrays = written
    ckpt = Checkpoint(_prefix(out, name))
    assert sorted(ckpt.keys()) == sorted(meta[name])
    for key, want in meta[name].items():
        got = ckpt.tensor(key)
        if "strings" in want:
            assert got.dtype == object and list(got.shape) == want["shape"], key
            assert [s.hex() for s in got.ravel()] == want["strings"], key
            continue
        expected = arrays[want["array"]]
        if want["dtype"] == "bfloat16":
            assert got.dtype == ml_dtypes.bfloat16, key
            got = got.view(np.uint16)
        assert got.dtype == expected.dtype and got.shape == expected.shape, key
        assert got.tobytes() == expected.tobytes(), key
    graph = meta[name]["_CHECKPOINTABLE_OBJECT_GRAPH"]["strings"][0]
    assert ckpt.object_graph().hex() == graph


def test_covers_the_dtypes(written):
    out, meta, _ = written
    dtypes = {want.get("dtype") for want in meta["ckpt"].values()}
    assert {"float32", "float16", "int64", "bool", "bfloat16"} <= dtypes
    assert len(meta["saved"]) == 3                  # the module's two variables and the object graph
    assert (out / "ckpt" / "model.index").stat().st_size > 256 * 1024    # several data blocks


@pytest.fixture
def damaged(written, tmp_path) -> Path:
    """A copy of the assorted checkpoint to damage: its prefix."""
    shutil.copytree(written[0] / "ckpt", tmp_path / "ckpt")
    return tmp_path / "ckpt" / "model"


@pytest.mark.parametrize("keep", [0, 20, 47, -1, -60])
def test_truncated_index(damaged, keep):
    index = damaged.with_name("model.index")
    data = index.read_bytes()
    index.write_bytes(data[:keep % len(data)])
    with pytest.raises(FrontendError, match=r"model\.index: corrupt checkpoint index"):
        Checkpoint(damaged)


def test_corrupt_index_byte(damaged):
    index = damaged.with_name("model.index")
    data = bytearray(index.read_bytes())
    data[10] ^= 0x40
    index.write_bytes(bytes(data))
    with pytest.raises(FrontendError, match="crc32c"):
        Checkpoint(damaged)


def test_truncated_shard(damaged):
    shard = damaged.with_name("model.data-00000-of-00001")
    shard.write_bytes(shard.read_bytes()[:-1000])
    with pytest.raises(FrontendError, match=r"model\.data-00000-of-00001: tensor .* runs past the end"):
        Checkpoint(damaged)


def test_missing_shard(damaged):
    damaged.with_name("model.data-00000-of-00001").unlink()
    with pytest.raises(FrontendError, match=r"model\.data-00000-of-00001: cannot read"):
        Checkpoint(damaged)


@pytest.mark.parametrize("var", ["f32", "big"])       # the small and the large crc32c paths
def test_corrupt_shard_byte(written, damaged, var):
    _, meta, arrays = written
    key = f"{var}/.ATTRIBUTES/VARIABLE_VALUE"
    shard = damaged.with_name("model.data-00000-of-00001")
    data = bytearray(shard.read_bytes())
    at = data.find(arrays[meta["ckpt"][key]["array"]].tobytes())
    assert at >= 0
    data[at + 5] ^= 0x01
    shard.write_bytes(bytes(data))
    ckpt = Checkpoint(damaged)
    with pytest.raises(FrontendError, match=rf"model\.data-00000-of-00001: tensor '{key}' fails its crc32c"):
        ckpt.tensor(key)
    ckpt.tensor("i64/.ATTRIBUTES/VARIABLE_VALUE")      # the others still read


def test_unknown_key(written):
    ckpt = Checkpoint(_prefix(written[0], "ckpt"))
    with pytest.raises(FrontendError, match="no tensor 'nope'"):
        ckpt.tensor("nope")


def test_missing_index(tmp_path):
    with pytest.raises(FrontendError, match=r"variables\.index: cannot read"):
        Checkpoint(tmp_path / "variables")
