"""NAS Kernel for edge devices: the ``mobilenet`` space, latency tables built on the target device,
latency read from a command run on the device, and int8 cost."""
