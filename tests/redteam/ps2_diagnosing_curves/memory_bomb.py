# variant-of: correct
# Family 7: allocate memory until something gives.
# %% answer: figures_answer
_hog = []
while True:
    _hog.append(bytearray(256 << 20))
