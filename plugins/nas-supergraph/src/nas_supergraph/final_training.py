"""``final_training``: a kernel evaluator that trains a supergraph-built model from scratch and
returns its validation accuracy (the ``Evaluater`` behind a ``ModelEvaluator``)."""
from __future__ import annotations

from typing import Any, Optional, Tuple

from overrides import overrides

from nas_kernel import ArchaiModel, ModelEvaluator
from nas_kernel.toolbox.params import check_int
from nas_supergraph.data import resolve_dataset
from nas_supergraph.model_desc import ModelDesc


class FinalTraining(ModelEvaluator):
    """Train ``Model(desc)`` for ``epochs`` (times ``budget`` when a searcher gives one) and
    return validation accuracy. ``init_channels`` / ``n_cells`` re-lay the cells out wider or
    deeper than searched (DARTS evaluates bigger nets than it searches). ``device``:
    ``auto | cpu | cuda | cuda:N``; ``precision``: ``fp32 | bf16 | fp16``."""

    def __init__(self, dataset: Any = None, epochs: int = 5, batch_size: int = 64, lr: float = 0.05,
                 momentum: float = 0.9, weight_decay: float = 3e-4, drop_path_prob: float = 0.0,
                 aux_weight: float = 0.0, init_channels: Optional[int] = None, n_cells: Optional[int] = None,
                 device: str = "auto", precision: str = "fp32", seed: int = 1, num_threads: int = 1) -> None:
        from nas_supergraph.conf import eval_trainer_conf

        self.num_threads = check_int("num_threads", num_threads, minimum=1)
        self.init_channels = None if init_channels is None else check_int("init_channels", init_channels, minimum=1)
        self.n_cells = None if n_cells is None else check_int("n_cells", n_cells, minimum=1)
        # the one validation of these settings: the evaluater's trainer schema
        self.conf_train = eval_trainer_conf(
            {"epochs": epochs, "batch_size": batch_size, "optimizer": {"lr": lr, "momentum": momentum,
                                                                        "decay": weight_decay},
             "drop_path_prob": drop_path_prob, "aux_weight": aux_weight, "device": device, "precision": precision},
            "final_training")
        self.dataset, self.seed = dataset, seed
        self._evaluater = None

    def evaluater(self):
        if self._evaluater is None:
            from nas_supergraph.evaluater import Evaluater

            self._evaluater = Evaluater(resolve_dataset(self.dataset, self.seed), self.seed)
        return self._evaluater

    def provider(self) -> Any:
        """The dataset the model is trained on (its ``input_transform()`` goes with exports)."""
        return self.evaluater().provider()

    def final_desc(self, model: Any) -> ModelDesc:
        desc = getattr(model.arch, "desc", None)
        if not isinstance(desc, ModelDesc):
            raise TypeError(f"final_training needs a model built from a ModelDesc (darts_cells), got "
                            f"{type(model.arch).__name__}")
        if self.init_channels is None and self.n_cells is None:
            return desc
        from nas_supergraph.model_desc_builder import ModelDescBuilder

        builder = ModelDescBuilder.from_macro_params(desc.params["macro"], init_channels=self.init_channels,
                                                     n_cells=self.n_cells)
        return builder.build_discrete(desc)

    @overrides
    def evaluate(self, arch, budget=None):
        model = arch  # Archai names the parameter ``arch``
        conf = dict(self.conf_train)
        if budget is not None:
            conf["epochs"] = max(1, round(self.conf_train["epochs"] * float(budget)))
        val_acc, _ = self._train(model, conf)
        model.metadata["epochs"] = conf["epochs"]
        return val_acc

    def train_final(self, arch: Any, epochs: int, device: Optional[str] = None) -> Tuple[float, ArchaiModel]:
        """Train the discrete network of ``arch`` for ``epochs`` (on ``device``, default this
        evaluator's) and return its validation accuracy and the trained model, ready to save with
        the ``darts_cells`` space (``nas train-best`` calls this). Its archid is that of the
        network trained, which differs from ``arch``'s when ``init_channels`` / ``n_cells`` re-lay it out."""
        from nas_kernel.toolbox.devices import resolve_device
        from nas_supergraph.model import LogitsModel

        conf = dict(self.conf_train, epochs=check_int("epochs", epochs, minimum=1))
        if device is not None:
            conf["device"] = device
        val_acc, network = self._train(arch, conf)
        trained = ArchaiModel(LogitsModel(network.to("cpu")).eval(), network.desc.archid(),
                              {"genotype": network.desc.genotype(), "epochs": conf["epochs"],
                               "device": resolve_device(conf["device"])})
        return val_acc, trained

    def _train(self, model: Any, conf: dict):
        import torch

        from nas_supergraph.model import Model

        torch.set_num_threads(self.num_threads)
        desc = self.final_desc(model)
        evaluater = self.evaluater()
        evaluater.check_data(desc)
        network = Model(desc, droppath=conf["drop_path_prob"] > 0)
        metrics = evaluater.train_model(conf, network, None)
        return float(metrics["val_acc"]), network
