"""Live TensorFlow objects → ``ovcl.ir.Model``: a Keras model, a ``tf.function``, a ConcreteFunction or a
``tf.Module`` whose ``__call__`` is a tf.function. TensorFlow is imported here only.

The object is traced to a ConcreteFunction and frozen by TensorFlow (its variables become constants); the
frozen GraphDef is then read as a ``.pb`` file would be. Input shapes come from, in this order: ``input=``, the
``example_input``, the function's input signature, the Keras model's inputs."""
from __future__ import annotations

from ovcl.frontends.errors import FrontendError
from ovcl.ir import Model

from .frozen_graph import convert_graph_def
from .protos import GraphDef


def is_tensorflow_object(obj) -> bool:
    import sys
    mod = type(obj).__module__
    if mod.startswith(("keras", "tensorflow", "tf_keras")):
        return True
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(obj, tf.Module)


def convert_live(obj, example_input=None, input=None, output=None) -> Model:  # noqa: A002
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    cf = _concrete_function(tf, obj, example_input, input)
    try:
        frozen = convert_variables_to_constants_v2(cf)
    except Exception as e:
        raise FrontendError(f"TensorFlow could not freeze the {type(obj).__name__}: {type(e).__name__}: {e}") from e
    g = GraphDef()
    g.ParseFromString(frozen.graph.as_graph_def().SerializeToString())
    inputs = [t.op.name for t in frozen.inputs if t.dtype != tf.resource]
    names = _output_names(cf.structured_outputs, len(frozen.outputs))
    outputs = [(t.name, n) for t, n in zip(frozen.outputs, names)]
    return convert_graph_def(g, getattr(obj, "name", None) or type(obj).__name__, inputs, outputs,
                             cuts={"output": output})


def _specs(tf, obj, example_input, input) -> list | None:  # noqa: A002
    """TensorSpecs for the traced inputs, or None where the function's own signature decides."""
    if input is not None:
        from ovcl.ir.input_spec import parse_input_spec
        specs = []
        for k, e in enumerate(parse_input_spec(input)):
            if e.shape is None:
                raise FrontendError(f"input entry {k} ('{e}') gives no shape: a TensorFlow function is traced "
                                    f"for the shapes given")
            dims = [d.get_length() if d.is_static else None for d in e.shape]
            dtype = tf.as_dtype(e.type.dtype) if e.type is not None else tf.float32
            specs.append(tf.TensorSpec(dims, dtype, name=e.name))
        return specs
    if example_input is not None:
        xs = list(example_input.values()) if isinstance(example_input, dict) else \
            list(example_input) if isinstance(example_input, (list, tuple)) else [example_input]
        names = list(example_input) if isinstance(example_input, dict) else [None] * len(xs)
        return [tf.TensorSpec(tf.convert_to_tensor(x).shape, tf.convert_to_tensor(x).dtype, name=n)
                for x, n in zip(xs, names)]
    return None


def _concrete_function(tf, obj, example_input, input):  # noqa: A002
    specs = _specs(tf, obj, example_input, input)
    if isinstance(obj, tf.types.experimental.ConcreteFunction):
        if specs is not None:
            raise FrontendError("a ConcreteFunction is already traced: give input shapes when tracing it")
        return obj
    try:
        import keras
        is_keras = isinstance(obj, keras.Model)
    except ImportError:
        is_keras = False
    if is_keras:
        if specs is None:
            specs = [tf.TensorSpec(t.shape, t.dtype, name=t.name) for t in obj.inputs]
        one = len(specs) == 1
        fn = tf.function(lambda *xs: obj(xs[0] if one else list(xs), training=False))
        return fn.get_concrete_function(*specs)
    fn = obj
    if isinstance(obj, tf.Module) and not isinstance(obj, tf.types.experimental.PolymorphicFunction):
        fn = getattr(obj, "__call__", None)
    if not isinstance(fn, tf.types.experimental.PolymorphicFunction):
        raise FrontendError(f"ovcl cannot convert a {type(obj).__name__}: give a Keras model, a tf.function, a "
                            f"ConcreteFunction or a tf.Module whose __call__ is a tf.function")
    if specs is None:
        if fn.input_signature is None:
            raise FrontendError("the tf.function has no input_signature: give example_input= or input= with "
                                "the input shapes")
        return fn.get_concrete_function()
    return fn.get_concrete_function(*specs)


def _output_names(structure, count: int) -> list[str]:
    """Names of the function's outputs: the keys of a returned dict, else ``output_<k>``."""
    if isinstance(structure, dict) and len(structure) == count:
        return [str(k) for k in sorted(structure)]        # tf.nest flattens a dict in sorted key order
    return [f"output_{k}" for k in range(count)]
