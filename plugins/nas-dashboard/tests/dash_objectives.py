"""A cheap test objective that fails for some models, so runs hold real failed evaluations."""


def kernel_cost(model, budget=None):
    """layers x kernel^2 of a cnn archid ``L=3,K=5,H=32``; kernel 7 is refused on purpose."""
    parts = dict(p.split("=") for p in model.archid.split(","))
    if parts["K"] == "7":
        raise ValueError(f"kernel_cost refuses kernel 7 ({model.archid})")
    return float(int(parts["L"]) * int(parts["K"]) ** 2)
