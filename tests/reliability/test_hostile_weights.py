"""Weight and checkpoint files are pickles underneath: a crafted one must be refused
(`torch.load(weights_only=True)`), never executed."""
import os

import pytest
import torch

MARK = "/tmp/nas-weights-pwned"


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {MARK}",))


@pytest.fixture
def evil_file(tmp_path):
    if os.path.exists(MARK):
        os.remove(MARK)
    path = tmp_path / "weights.pt"
    torch.save({"conv.weight": Payload()}, path)
    yield path
    assert not os.path.exists(MARK), "a crafted weights file ran code"


@pytest.mark.parametrize("space_name", ["cnn", "natsbench_tss", "hivenas_chain", "darts_cells"])
def test_search_spaces_refuse_a_pickle_payload_in_weights(evil_file, space_name):
    from nas_kernel.plugins import make_plugin_manager

    space = make_plugin_manager().registry.get("search_spaces", space_name).load()()
    model = space.random_sample()
    with pytest.raises(Exception) as err:
        space.load_model_weights(model, str(evil_file))
    assert "weights_only" in str(err.value) or "Unsupported" in str(err.value) or "global" in str(err.value)


def test_training_checkpoint_with_a_payload_is_refused(evil_file, tmp_path):
    from nas_evaluators.checkpoints import checkpoint_path, load_checkpoint

    target = checkpoint_path(str(tmp_path / "ckpt"), "L=1,K=3,H=16")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(evil_file, target)
    with pytest.raises(Exception):
        load_checkpoint(str(tmp_path / "ckpt"), "L=1,K=3,H=16", {})
