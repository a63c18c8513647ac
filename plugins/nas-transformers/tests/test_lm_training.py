"""``lm_training`` trains real tiny decoders on real text (a slice of the standard library):
the loss falls below the uniform guess and with more budget, the metrics agree with each other,
a continued checkpoint equals a straight run, and models that cannot read the data are refused."""
import math

import pytest
import torch

from .lm_helpers import SEQ_LEN, corpus, tiny_space
from nas_transformers import LanguageModelTraining

HAS_CUDA = torch.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="torch sees no GPU"))]
DATA = corpus()
FAST = dict(steps=24, batch_size=8, eval_tokens=2048, lr=5e-3)


@pytest.fixture(scope="module")
def model():
    space = tiny_space("gpt2", per_layer=False)
    return space.make({"n_layer": 1, "d_model": 48, "n_head": 4, "d_inner": 96, **space.fixed()})


def test_loss_falls_below_the_uniform_guess_and_with_more_budget(model):
    trainer = LanguageModelTraining(DATA, metric="loss", **FAST)
    short, full = trainer.evaluate(model, 0.25), trainer.evaluate(model, 1.0)
    assert full < short < math.log(256)
    assert model.metadata["steps_trained"] == 24 and model.metadata["tokens_trained"] == 24 * 8 * SEQ_LEN
    assert model.metadata["tokens_per_second"] > 0 and model.metadata["device"] == "cpu"


def test_perplexity_and_bits_per_byte_are_the_loss_in_other_units(model):
    scores = {m: LanguageModelTraining(DATA, metric=m, **FAST).evaluate(model) for m in
              ("loss", "perplexity", "bits_per_byte")}
    assert scores["perplexity"] == pytest.approx(math.exp(scores["loss"]), rel=1e-9)
    assert scores["bits_per_byte"] == pytest.approx(scores["loss"] / math.log(2), rel=1e-3)  # byte tokens


def test_a_continued_checkpoint_equals_a_straight_run(model, tmp_path):
    straight = LanguageModelTraining(DATA, metric="loss", **FAST).evaluate(model)
    resumed = LanguageModelTraining(DATA, metric="loss", checkpoint_dir=str(tmp_path), **FAST)
    resumed.evaluate(model, 0.5)
    assert resumed.evaluate(model, 1.0) == straight
    assert model.metadata["tokens_per_second"] > 0 and len(list(tmp_path.iterdir())) == 1


def test_a_short_run_on_its_own_schedule_equals_a_trainer_of_that_length(model, tmp_path):
    """``schedule: run``: a quarter of the budget ends its own warm-up and cosine, as a trainer
    of a quarter of the steps does, instead of stopping early inside the budget's schedule."""
    own = LanguageModelTraining(DATA, metric="loss", schedule="run", checkpoint_dir=str(tmp_path), **FAST)
    quarter = LanguageModelTraining(DATA, metric="loss", **dict(FAST, steps=6)).evaluate(model)
    inside_the_budgets = LanguageModelTraining(DATA, metric="loss", **FAST).evaluate(model, 0.25)
    assert own.evaluate(model, 0.25) == quarter != inside_the_budgets
    half = LanguageModelTraining(DATA, metric="loss", **dict(FAST, steps=12)).evaluate(model)
    assert own.evaluate(model, 0.5) == half  # the 6-step checkpoint ended its own schedule: not continued


def test_a_token_budget_sets_the_steps():
    trainer = LanguageModelTraining(DATA, tokens=10_000, batch_size=8)
    assert trainer.base_steps() == math.ceil(10_000 / (8 * SEQ_LEN)) and trainer.target_steps(0.5) == 20


@pytest.mark.parametrize("arch_type", ["llama"])
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_the_modern_decoder_trains_on_each_device_and_precision(arch_type, device, precision):
    model = tiny_space(arch_type, seed=4).random_sample()
    loss = LanguageModelTraining(DATA, metric="loss", device=device, precision=precision, **FAST).evaluate(model)
    assert math.isfinite(loss) and loss < math.log(256)
    assert model.metadata["device"].split(":")[0] == device


def test_cuda_without_a_gpu_is_refused_naming_the_key():
    if HAS_CUDA:
        pytest.skip("this machine has a GPU")
    with pytest.raises(ValueError, match="device is 'cuda'"):
        LanguageModelTraining(DATA, device="cuda")


def test_a_model_smaller_than_the_data_is_refused_naming_the_space_key():
    trainer = LanguageModelTraining(DATA, **FAST)
    small_vocab = tiny_space(vocab_size=200).random_sample()
    with pytest.raises(ValueError, match="vocab_size"):
        trainer.evaluate(small_vocab)
    short_context = tiny_space(max_sequence_length=SEQ_LEN // 2).random_sample()
    with pytest.raises(ValueError, match="max_sequence_length"):
        trainer.evaluate(short_context)
