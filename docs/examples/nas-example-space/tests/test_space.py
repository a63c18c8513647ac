"""What the kit cannot know: the networks classify 8x8 digits, and bad parameters are refused."""
import pytest
import torch

from nas_example_space.space import MLPSearchSpace


def test_networks_map_digits_to_ten_logits():
    space = MLPSearchSpace(seed=0)
    for _ in range(5):
        model = space.random_sample()
        assert model.arch(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
        hidden = [m for m in model.arch if isinstance(m, torch.nn.Linear)][:-1]
        assert [m.out_features for m in hidden] == [int(w) for w in model.archid.split("-")[2:]]


def test_samples_stay_inside_the_choices():
    space = MLPSearchSpace(depths=[2], widths=[8, 16], activations=["tanh"], seed=1)
    models = [space.random_sample() for _ in range(10)]
    models += [space.mutate(m) for m in models] + [space.crossover(models[:2])]
    for model in models:
        arch = space.arch_of(model.archid)
        assert arch.activation == "tanh" and len(arch.widths) == 2 and set(arch.widths) <= {8, 16}


@pytest.mark.parametrize("params,message", [
    ({"depths": []}, "depths must be a non-empty list"),
    ({"widths": [0]}, "widths must be"),
    ({"activations": ["swish"]}, "activations must be"),
    ({"in_features": 0}, "in_features must be a positive whole number"),
])
def test_bad_parameters_name_the_parameter(params, message):
    with pytest.raises(ValueError, match=message):
        MLPSearchSpace(**params)


def test_archids_from_elsewhere_are_refused():
    space = MLPSearchSpace(widths=[16])
    with pytest.raises(ValueError, match="not in this space"):
        space.arch_of("mlp-relu-32")
    with pytest.raises(ValueError, match="not an MLP archid"):
        space.arch_of("cnn-3")
