"""``ovcl convert``: a framework model to OpenVINO IR, with the flags of OpenVINO's ``ovc``.

    ovcl convert model.onnx                                   # -> ./model.xml + ./model.bin (FP16 weights)
    ovcl convert model.onnx --output_model out/               # -> out/model.xml
    ovcl convert model.onnx --output_model net.xml --compress_to_fp16=False
    ovcl convert model.onnx --input "x[1,3,224,224]{f32}" --output logits
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

_TRUE = {"true", "1", "yes", "on", "y", "t"}
_FALSE = {"false", "0", "no", "off", "n", "f"}


class _UsageError(Exception):
    pass


def _bool(text: str) -> bool:
    t = str(text).strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise argparse.ArgumentTypeError("expected a True/False value")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors: the usage, one line, exit code 2 (raised, not exited)
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="ovcl convert",
        usage="ovcl convert INPUT_MODEL [-h] [--output_model OUTPUT_MODEL] [--compress_to_fp16 [True | False]] "
              "[--version] [--input INPUT] [--output OUTPUT] [--extension EXTENSION] [--verbose] [--dynamo]",
        description="Convert a model (ONNX .onnx, TensorFlow Lite .tflite, a TensorFlow SavedModel directory or\n"
                    "frozen .pb/.pbtxt graph, a PaddlePaddle .json or .pdmodel program, or OpenVINO IR .xml to\n"
                    "re-save it) to OpenVINO IR v11:"
                    " an .xml with the graph and a .bin with the weights. The flags are those of OpenVINO's\n"
                    "ovc; the result loads in OpenVINO and in ovcl.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  ovcl convert model.onnx\n"
               "  ovcl convert model.onnx --output_model out/ --compress_to_fp16=False\n"
               "  ovcl convert mobilenet_int8.tflite             # int8 weights stay int8\n"
               "  ovcl convert saved_model_dir/ --output_model resnet.xml\n"
               "  ovcl convert inference.json                    # PaddlePaddle, inference.pdiparams beside it\n"
               "  ovcl convert model.onnx --input \"x[1,3,224,224]{f32}\" --output logits\n")
    p.add_argument("input_model", metavar="INPUT_MODEL", nargs="?",
                   help="the model to convert: .onnx, .tflite, a TensorFlow SavedModel directory, .pb or .pbtxt, "
                        "a PaddlePaddle .json or .pdmodel (with its .pdiparams beside it), or an OpenVINO .xml "
                        "(with its .bin beside it)")
    p.add_argument("--output_model", metavar="OUTPUT_MODEL",
                   help="name of the output .xml/.bin files, or an output directory (then the files take the "
                        "input model's name). Default: the input model's name in the current directory.")
    p.add_argument("--compress_to_fp16", metavar="True | False", nargs="?", const=True, default=True, type=_bool,
                   help="compress floating-point weights to FP16 (decompressed to FP32 at load). To keep FP32 "
                        "weights use --compress_to_fp16=False. Default: True.")
    p.add_argument("--version", action="store_true", help="print the ovcl version and exit")
    p.add_argument("--input", metavar="INPUT",
                   help="input names, shapes and types, comma-separated: \"x[1,3,224,224]\", \"x[1,3,?,?]{f32}\", "
                        "\"a[1,100],b[1,?]\" or, unnamed, \"[1,100],[1,?]\". ? (or -1) is a dynamic dimension, "
                        "1..10 a bounded one. A name inside the graph makes that tensor a new input.")
    p.add_argument("--output", metavar="OUTPUT",
                   help="comma-separated tensor names to keep as the model's outputs; the graph is cut after them")
    p.add_argument("--extension", metavar="EXTENSION",
                   help="OpenVINO extension libraries: not supported (every op needs an OpenCL kernel of "
                        "ovcl's); an op ovcl cannot translate is named in its error")
    p.add_argument("--verbose", action="store_true", help="print details of the conversion (graph summary, "
                                                           "timings, full tracebacks on errors)")
    p.add_argument("--dynamo", action="store_true",
                   help="accepted for ovc's command lines: ovcl reads PyTorch through torch.export either way")
    return p


def _out_paths(input_model: Path, output_model: str | None) -> Path:
    stem = input_model.stem if input_model.suffix else input_model.name
    if output_model is None:
        return Path.cwd() / f"{stem}.xml"
    out = Path(output_model)
    if output_model.endswith(("/", os.sep)) or out.is_dir():
        return out / f"{stem}.xml"
    if out.suffix.lower() == ".xml":
        return out
    return out.with_name(out.name + ".xml")


def _info(msg: str) -> None:
    print(f"[ INFO ] {msg}", flush=True)


def main(argv=None) -> int:
    """Run ``ovcl convert`` with ``argv`` (the arguments after ``convert``); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as e:
        parser.print_usage(sys.stderr)
        print(f"ovcl convert: error: {e}", file=sys.stderr)
        return 2
    except SystemExit as e:            # --help
        return int(e.code or 0)
    if args.version:
        import ovcl
        print(f"ovcl model converter {ovcl.__version__} (writes OpenVINO IR v11)")
        return 0
    if not args.input_model:
        parser.print_usage(sys.stderr)
        print("ovcl convert: error: the following arguments are required: INPUT_MODEL", file=sys.stderr)
        return 2
    try:
        return _convert(args)
    except KeyboardInterrupt:
        print("[ ERROR ] interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - one readable line; the traceback with --verbose
        if args.verbose:
            import traceback
            traceback.print_exc()
        from ovcl.errors import OVCLError
        kind = "" if isinstance(e, (OVCLError, OSError)) else f"{type(e).__name__}: "
        text = " ".join(str(e).split()) or type(e).__name__
        print(f"[ ERROR ] {kind}{text}", file=sys.stderr)
        return 1


def _convert(args) -> int:
    src = Path(args.input_model)
    if not src.exists():
        raise FileNotFoundError(f'the input model "{src}" does not exist')
    if src.is_dir() and not (src / "saved_model.pb").is_file():
        raise IsADirectoryError(f'the input model "{src}" is a directory but not a TensorFlow SavedModel (it has '
                                f'no saved_model.pb)')
    xml_path = _out_paths(src, args.output_model)
    from ovcl.convert import convert_model
    from ovcl.ir.ir_writer import write_ir

    t0 = time.perf_counter()
    size = sum(f.stat().st_size for f in src.rglob("*") if f.is_file()) if src.is_dir() else src.stat().st_size
    _info(f"Reading {src} ({size / 2**20:.1f} MiB)")
    model = convert_model(src, input=args.input or None, output=args.output or None, extension=args.extension)
    t1 = time.perf_counter()
    ops = model.get_ordered_ops()
    _info(f"Converted in {t1 - t0:.1f} s: {len(ops)} ops, inputs "
          + ", ".join(f"{_port_name(p)}{p.get_partial_shape()}{{{p.get_element_type()}}}" for p in model.inputs)
          + ", outputs " + ", ".join(f"{_port_name(p)}{p.get_partial_shape()}" for p in model.outputs))
    if args.verbose:
        counts: dict[str, int] = {}
        for n in ops:
            counts[n.type_name] = counts.get(n.type_name, 0) + 1
        _info("Op types: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))
        n_weights = sum(int(n.value.nbytes) for n in ops if n.type_name == "Constant" and n.value is not None)
        _info(f"Weights: {n_weights / 2**20:.2f} MiB before compression")
    if args.compress_to_fp16:
        _info('Floating-point weights will be compressed to FP16. If accuracy drops, convert with '
              '--compress_to_fp16=False.')
    _info(f"Writing {xml_path}")
    write_ir(model, xml_path, compress_to_fp16=args.compress_to_fp16)
    t2 = time.perf_counter()
    bin_path = xml_path.with_suffix(".bin")
    if args.verbose:
        _info(f"Written in {t2 - t1:.1f} s; .bin {bin_path.stat().st_size / 2**20:.2f} MiB")
    print(f"[ SUCCESS ] XML file: {xml_path}")
    print(f"[ SUCCESS ] BIN file: {bin_path}")
    return 0


def _port_name(port) -> str:
    names = port.get_names()
    return min(names) if names else port.get_node().name


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
