# variant-of: {BASE}
# Family 7: one function loops forever; the other checks must keep their points.
# %% answer: {CELL}
{DEF}
    while True:
        pass
