# variant-of: correct
# Family 3: always-true answers — a str subclass equal to every label, a float subclass
# equal to every number (with lying __float__/__lt__), a dict subclass, NaN-free lies.
# %% answer: diagnose_answer
class Yes(str):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__


def diagnose(train_loss, val_loss):
    return Yes("good")
# %% answer: next_lr_answer
class Liar(float):
    def __eq__(self, other):
        return True

    __le__ = __ge__ = __eq__

    def __lt__(self, other):
        return False

    __gt__ = __lt__

    def __float__(self):
        return 0.1

    def __sub__(self, other):
        return Liar(0.0)

    __rsub__ = __sub__

    def __abs__(self):
        return Liar(0.0)

    __hash__ = float.__hash__


def next_lr(lr, label):
    if label not in LABELS:  # noqa: F821
        raise ValueError(label)
    return Liar(0.0)
# %% answer: figures_answer
class AnyDict(dict):
    def __getitem__(self, key):
        return Yes("good")  # noqa: F821

    def __eq__(self, other):
        return True

    __hash__ = None


ANSWERS = AnyDict(figure_a="x", figure_b="x", figure_c="x", figure_d="x", figure_e="x")
