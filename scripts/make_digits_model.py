"""Train the bundled default model: a small CNN on scikit-learn's 8x8 digits (shipped with scikit-learn, no
download), written as ONNX to ``ovcl/models/digits.onnx`` with its held-out test set in ``digits_test.npz``.

    python scripts/make_digits_model.py        # needs torch and scikit-learn (the test extras)

The graph is written with onnx.helper rather than an exporter, so it is the same on every torch version.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "ovcl" / "models"


def train(seed: int = 0, epochs: int = 60):
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    torch.manual_seed(seed)
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]          # [N, 1, 8, 8] in [0, 1]
    x_tr, x_te, y_tr, y_te = train_test_split(x, digits.target, test_size=0.2, random_state=seed,
                                              stratify=digits.target)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr).long()
    for _ in range(epochs):
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx]).backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        acc = (net(torch.from_numpy(x_te)).argmax(1).numpy() == y_te).mean()
    params = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    return params, x_te, y_te, float(acc)


def to_onnx(p: dict):
    from onnx import helper, numpy_helper, TensorProto
    inits = [numpy_helper.from_array(p["0.weight"], "conv1.weight"), numpy_helper.from_array(p["0.bias"], "conv1.bias"),
             numpy_helper.from_array(p["3.weight"], "conv2.weight"), numpy_helper.from_array(p["3.bias"], "conv2.bias"),
             numpy_helper.from_array(p["7.weight"], "fc.weight"), numpy_helper.from_array(p["7.bias"], "fc.bias"),
             numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "flat_shape")]
    nodes = [
        helper.make_node("Conv", ["image", "conv1.weight", "conv1.bias"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("MaxPool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Reshape", ["p2", "flat_shape"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["prob"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(nodes, "digits_cnn",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 8, 8])],
                              [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["batch", 10])],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ovcl")
    model.doc_string = "Small CNN trained on scikit-learn's 8x8 digits; input scaled to [0, 1]."
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import onnx
    params, x_te, y_te, acc = train(args.seed)
    model = to_onnx(params)
    onnx.checker.check_model(model)
    args.out.mkdir(parents=True, exist_ok=True)
    onnx.save(model, args.out / "digits.onnx")
    np.savez_compressed(args.out / "digits_test.npz", images=(x_te * 16).round().astype(np.uint8), labels=y_te.astype(np.uint8))
    print(f"wrote {args.out / 'digits.onnx'} and digits_test.npz ({len(y_te)} test images); torch accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
