"""Stands in for a device benchmark tool (an adb or ssh call): runs the ONNX model with onnxruntime
and prints its latency, or misbehaves as asked (the first argument)."""
import sys
import time

behaviour, model = sys.argv[1], sys.argv[2]
if behaviour == "fail":
    print("connecting to device...")
    print("error: device 'emulator-5554' offline")
    sys.exit(3)
if behaviour == "hang":
    print("waiting for device", flush=True)
    time.sleep(120)
if behaviour == "silent":
    print("benchmark finished")
    sys.exit(0)

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
feed = {session.get_inputs()[0].name: np.zeros(session.get_inputs()[0].shape, dtype=np.float32)}
session.run(None, feed)
start = time.perf_counter()
for _ in range(5):
    session.run(None, feed)
seconds = (time.perf_counter() - start) / 5
print(f"input {sys.argv[3] if len(sys.argv) > 3 else '?'}")
print(f"avg inference: {seconds:.6f} s")
