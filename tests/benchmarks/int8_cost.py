"""int8 against fp32 on this CPU: for a few random ``mobilenet`` architectures trained briefly on
digits (8x8 images, resized to the architecture's resolution inside the network), the ONNX file
size, the ONNX Runtime latency at one thread (thread CPU time) and the validation accuracy, fp32
beside int8 after post-training quantization (static: QDQ, per-channel weights, activations
calibrated on 64 training images; dynamic: weights only).

Run: .venv/bin/python tests/benchmarks/int8_cost.py [--archs 5] [--epochs 5] [--resolution 32]
"""
from __future__ import annotations

import argparse
import copy
import statistics
import tempfile

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--width", type=float, default=0.5)
    args = parser.parse_args()

    from nas_kernel.plugins import make_plugin_manager
    from nas_edge.int8 import calibration_batch, export_dynamic_batch, onnx_accuracy, quantize
    from nas_edge.mobilenet_space import MobileNetSearchSpace
    from nas_edge.timing import TimingSettings, time_onnx_ms

    torch.set_num_threads(1)
    registry = make_plugin_manager().registry
    digits = registry.get("datasets", "digits").load()(seed=0)
    space = MobileNetSearchSpace(in_channels=1, num_classes=10, resolutions=[args.resolution], widths=[args.width],
                                 seed=7)
    timing = TimingSettings.checked("cpu", "onnxruntime", 1, 1, 5, 30, "median", "thread_cpu")
    X, y = digits.get_val()
    Xn, yn = X.float().numpy(), y.numpy()
    calibration = calibration_batch(digits, 64)
    print(f"mobilenet (MobileNetV3-Large stages, width {args.width}), resolution {args.resolution}, digits, "
          f"{args.epochs} epochs of partial_training, {args.archs} random archs; ONNX Runtime, 1 thread, thread CPU "
          "time; shared busy machine: figures are noisy\n")
    header = (f"{'archid':<58} {'kind':<8} {'size MB':>8} {'ms':>7} {'val acc':>8}")
    print(header)
    summary = {k: [] for k in ("static", "dynamic")}
    for _ in range(args.archs):
        model = space.random_sample()
        with tempfile.TemporaryDirectory() as folder:
            training = registry.get("evaluators", "partial_training").load()(
                dataset=digits, epochs=args.epochs, checkpoint_dir=folder, progress_bar=False, device="cpu")
            training.evaluate(model)
            from nas_kernel.toolbox.checkpoints import load_state
            from nas_kernel.paths import inside, safe_filename

            state = load_state(inside(folder, safe_filename(model.archid) + ".pt"))["model"]
        net = copy.deepcopy(model.arch)
        net.load_state_dict(state)
        deployed = net.input_shape
        fp32_deployed = export_dynamic_batch(net, torch.randn(*deployed))
        fp32_data = export_dynamic_batch(net, torch.randn(1, *X.shape[1:]))
        rows = {"fp32": (len(fp32_deployed), time_onnx_ms(fp32_deployed, deployed, timing),
                         onnx_accuracy(fp32_data, Xn, yn))}
        for mode in ("static", "dynamic"):
            cal_deployed = torch.nn.functional.interpolate(torch.from_numpy(calibration), size=deployed[2:],
                                                           mode="bilinear", align_corners=False).numpy()
            q_deployed = quantize(fp32_deployed, mode, cal_deployed)
            q_data = quantize(fp32_data, mode, calibration)
            rows[mode] = (len(q_deployed), time_onnx_ms(q_deployed, deployed, timing), onnx_accuracy(q_data, Xn, yn))
            base = rows["fp32"]
            summary[mode].append((rows[mode][0] / base[0], rows[mode][1] / base[1], rows[mode][2] - base[2]))
        for kind, (size, ms, acc) in rows.items():
            print(f"{model.archid:<58} {kind:<8} {size / 1e6:>8.3f} {ms:>7.3f} {acc:>8.4f}")
    print("\nmedian over the archs (int8 / fp32): size ratio, latency ratio, accuracy change (points)")
    for mode, values in summary.items():
        sizes, times, accs = zip(*values)
        print(f"int8 {mode:<8} size x{statistics.median(sizes):.3f}  latency x{statistics.median(times):.3f}  "
              f"accuracy {statistics.median(accs) * 100:+.2f}")


if __name__ == "__main__":
    main()
