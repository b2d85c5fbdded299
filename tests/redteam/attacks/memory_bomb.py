# variant-of: {BASE}
# Family 7: allocate memory until something gives.
# %% answer: {CELL}
_hog = []
while True:
    _hog.append(bytearray(256 << 20))
