# variant-of: baseline_wrong_step
# Family 3: always-true answers — __eq__/__float__/__lt__ that lie, float and str
# subclasses, NaN, bools as numbers.
# %% answer: step_decay_answer
class Liar(float):
    def __eq__(self, other):
        return True

    __le__ = __ge__ = __eq__

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return False

    __gt__ = __lt__

    def __sub__(self, other):
        return Liar(0.0)

    __rsub__ = __sub__

    def __abs__(self):
        return Liar(0.0)

    def __float__(self):
        return 0.1

    def __repr__(self):
        return "0.1"

    __hash__ = float.__hash__


def step_decay(step, base_lr, step_size, gamma):
    if step < 0 or step_size <= 0 or base_lr < 0 or gamma <= 0:
        raise ValueError("invalid arguments")
    return Liar(0.0)
# %% answer: exponential_decay_answer
def exponential_decay(step, base_lr, gamma):
    return float("nan")
# %% answer: cosine_annealing_answer
class Anything:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.05

    def __lt__(self, other):
        return True

    __gt__ = __le__ = __ge__ = __lt__

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __abs__(self):
        return 0.0


def cosine_annealing(step, total_steps, base_lr, min_lr=0.0):
    return Anything()
# %% answer: gd_regime_answer
class Yes(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


def gd_regime(lr, curvature):
    return Yes("monotone")
# %% answer: max_stable_lr_answer
def max_stable_lr(curvature):
    return True
