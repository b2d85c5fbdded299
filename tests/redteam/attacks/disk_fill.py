# variant-of: {BASE}
# Family 7: fill the disk (working directory and TMPDIR) while the answers load; bounded at
# 4 GB per place so a broken sandbox cannot fill the machine.
# %% answer: {CELL}
import os
import tempfile

_block = b"x" * (16 << 20)
for _place in [".", tempfile.gettempdir()]:
    try:
        with open(os.path.join(_place, "fill.bin"), "wb") as _f:
            for _ in range(256):
                _f.write(_block)
    except Exception:
        pass
raise RuntimeError("disk fill finished")
