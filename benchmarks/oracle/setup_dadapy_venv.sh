#!/usr/bin/env bash
# Create the git-ignored oracle environment venvs/dadapy (DADApy 0.3.1 needs numpy < 2, so
# it cannot live in the product environment) and regenerate the DADApy fixtures.
#   bash benchmarks/oracle/setup_dadapy_venv.sh            # venv + fixtures
#   bash benchmarks/oracle/setup_dadapy_venv.sh --venv-only
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x venvs/dadapy/bin/python ]; then
    python3 -m venv venvs/dadapy
    venvs/dadapy/bin/pip install --quiet "numpy==1.26.4" "dadapy==0.3.1"
fi
venvs/dadapy/bin/python -c "import dadapy, numpy; print('dadapy', dadapy.__version__ if hasattr(dadapy, '__version__') else '0.3.1', 'numpy', numpy.__version__)"
if [ "${1:-}" != "--venv-only" ]; then
    venvs/dadapy/bin/python benchmarks/oracle/make_dadapy_fixtures.py tests/compute/fixtures/dadapy
fi
