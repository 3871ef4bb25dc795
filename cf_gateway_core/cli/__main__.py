"""``python -m cf_gateway_core.cli``: the same as the ``cf-gateway`` command."""

import sys

from cf_gateway_core.cli import main

sys.exit(main())
