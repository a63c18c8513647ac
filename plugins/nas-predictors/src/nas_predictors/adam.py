"""The optimiser of the torch-based predictors."""


class Adam:
    """Adam (Kingma & Ba) in a few tensor operations. torch.optim.Adam would do the same, but
    its first use imports torch's compiler stack, several seconds per process on a busy CPU."""

    def __init__(self, params, lr: float, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        import torch

        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads) -> None:
        import torch

        self.t += 1
        b1, b2 = self.betas
        scale = self.lr * (1 - b2 ** self.t) ** 0.5 / (1 - b1 ** self.t)
        with torch.no_grad():
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                p.addcdiv_(m, v.sqrt().add_(self.eps * (1 - b2 ** self.t) ** 0.5), value=-scale)
