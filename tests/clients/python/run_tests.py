"""Runs one test module of the Python client for ctest.

    python3 run_tests.py test_client

Exit status: 0 when the tests passed, 1 when one failed, 77 (ctest's
SKIP_RETURN_CODE) when every test was skipped -- the reason is printed,
e.g. grpcio or pandas missing, or the package not built.
"""

import os
import sys
import unittest


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: run_tests.py MODULE")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    suite = unittest.defaultTestLoader.loadTestsFromName(sys.argv[1])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped and len(result.skipped) >= result.testsRun:
        reasons = sorted({reason for _, reason in result.skipped})
        print("skipped: " + "; ".join(reasons))
        sys.exit(77)


if __name__ == "__main__":
    main()
