"""``python -m autograder.sandbox``: a warm parent (:func:`autograder.sandbox._server.main`), as
:mod:`autograder.sandbox.lifecycle` starts it."""
from autograder.sandbox._server import main

main()
