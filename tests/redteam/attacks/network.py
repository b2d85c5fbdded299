# Family 8: network access — connect to a listener on the loopback interface ({PORT}) from
# the worker and from the kernel. The shared part: tests/redteam/<assignment>/network.py put it
# into their answer cell ({ATTACK}) and answer correctly only if the network was reachable.
# %% answer: {CELL}
import socket

_ONLINE = False
try:
    with socket.create_connection(("127.0.0.1", {PORT}), timeout=2) as _s:
        _s.sendall(b"LEAK")
        _ONLINE = True
except Exception:
    pass
