"""A weight-sharing supernet for the ``mobilenet`` space: train one elastic network once, then
score any sub-network with the weights it inherits (the ``supernet`` evaluator) and fine-tune the
chosen ones (``nas train-best``).

Modules, one job each: ``config`` (what a supernet covers, and the checks against it),
``elastic`` (the shared weights and how a sub-network's weights are cut from them), ``channel_order``
(most important expansion channels first), ``sampling`` (the sandwich rule, progressive
shrinking), ``settings`` (training settings), ``trainer`` (the training loop, checkpoints and
resume), ``distributed`` (one process per GPU), ``files`` (the trained supernet on disk),
``bn_calibration``, ``evaluator``, ``command`` (``nas supernet train``).
"""
